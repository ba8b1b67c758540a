"""The whole story in a programme officer's numbers, with the books checked after each step."""

from core.money import format_fen
from tests.vouchers.conftest import check_books, issue, submit, yuan
from vouchers import services
from vouchers.models import Claim, Voucher
from vouchers.selectors import voucher_balance


def money(budget: dict) -> dict:
    return {k: format_fen(v) for k, v in budget.items() if v}


def test_fund_issue_hold_approve_release(programme, enterprise, provider, reviewer):
    assert money(check_books(programme)) == {"funded": "1000000.00", "available": "1000000.00"}

    voucher = issue(programme, enterprise, reviewer, "20000.00")
    assert voucher.status == Voucher.Status.ACTIVE
    assert money(check_books(programme)) == {
        "funded": "1000000.00", "available": "980000.00", "issued_unspent": "20000.00"}

    # 12,000.00 invoice for testing; a 科技型中小企业 gets 0.50: up to 6,000.00
    claim = submit(provider, voucher, "6000.00", invoice="12000.00")
    assert claim.status == Claim.Status.PENDING_CONFIRMATION
    check_books(programme)

    claim = services.claim_confirm(claim=claim, actor=enterprise)
    assert claim.status == Claim.Status.CONFIRMED
    assert money(check_books(programme)) == {
        "funded": "1000000.00", "available": "980000.00", "issued_unspent": "14000.00",
        "held": "6000.00"}

    claim = services.claim_approve(claim=claim, actor=reviewer)
    assert claim.status == Claim.Status.APPROVED
    assert money(check_books(programme)) == {
        "funded": "1000000.00", "available": "980000.00", "issued_unspent": "14000.00",
        "approved_unpaid": "6000.00"}

    second = submit(provider, voucher, "4000.00", invoice="8000.00")
    second = services.claim_confirm(claim=second, actor=enterprise)
    second = services.claim_reject(claim=second, actor=reviewer, reason="发票与合同不符")
    assert second.status == Claim.Status.REJECTED
    voucher.refresh_from_db()
    voucher.account.refresh_from_db()
    balance = voucher_balance(voucher)
    assert (balance.available, balance.held, balance.spent) == (
        yuan("14000.00"), 0, yuan("6000.00"))
    check_books(programme)
