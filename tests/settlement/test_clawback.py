"""Clawback: the receivable, repayments quoting the clawback reference, the budget."""

import pytest

from accounts.models import Organization
from core.errors import DomainError
from settlement import services
from settlement.models import Recovery
from tests.settlement.conftest import check_books, statement_csv, yuan
from vouchers.models import Claim


@pytest.fixture
def paid(programme, approved, finance, finance2):
    batch = services.batch_build(programme=programme, actor=finance)
    services.batch_approve(batch=batch, actor=finance2)
    services.batch_send(batch=batch, actor=finance)
    rows = [(line.reference, f"{line.amount // 100}.{line.amount % 100:02d}", "ok")
            for line in batch.lines.all()]
    services.bank_statement_import(content=statement_csv(rows), actor=finance)
    return [Claim.objects.get(pk=c.pk) for c in approved]


def repay(reference, amount, actor, note="退回补贴"):
    return services.bank_statement_import(
        content=statement_csv([(reference, amount, "ok", note)]), actor=actor)


def test_clawback_opens_a_receivable_and_repayments_settle_it(paid, reviewer, finance,
                                                              programme):
    claim = paid[0]  # 5,000.00
    ordered = services.claim_clawback(claim=claim, actor=reviewer, reason="发票作废，虚假交易")
    assert ordered.status == "clawback_ordered"
    reference = ordered.clawback_reference
    assert reference.startswith("RC-") and len(reference) == 13
    budget = check_books(programme)
    assert (budget["paid"], budget["clawback_receivable"], budget["recovered"]) == (
        yuan("5000.00"), yuan("5000.00"), 0)

    first = repay(reference, "2000.00", finance)
    assert first.statement.matched == 1
    assert Claim.objects.get(pk=claim.pk).status == "clawback_ordered"
    assert Recovery.objects.get().outstanding == yuan("3000.00")
    budget = check_books(programme)
    assert (budget["clawback_receivable"], budget["recovered"]) == (yuan("3000.00"),
                                                                     yuan("2000.00"))
    too_much = repay(reference.lower(), "3000.01", finance, note="多还了")
    assert (too_much.statement.matched, too_much.statement.exceptions) == (0, 1)
    repay(reference, "3000.00", finance, note="余款")
    assert Claim.objects.get(pk=claim.pk).status == "recovered"
    recovery = Recovery.objects.get()
    assert (recovery.status, recovery.recovered) == ("recovered", yuan("5000.00"))
    budget = check_books(programme)
    assert (budget["paid"], budget["clawback_receivable"], budget["recovered"]) == (
        yuan("5000.00"), 0, yuan("5000.00"))


def test_clawback_only_of_a_paid_claim_with_a_reason(paid, approved_claim_unpaid, reviewer):
    with pytest.raises(DomainError) as not_paid:
        services.claim_clawback(claim=approved_claim_unpaid, actor=reviewer, reason="x")
    assert not_paid.value.code == "invalid_transition"
    with pytest.raises(DomainError) as no_reason:
        services.claim_clawback(claim=paid[0], actor=reviewer, reason="")
    assert no_reason.value.code == "invalid"
    services.claim_clawback(claim=paid[0], actor=reviewer, reason="虚假发票")
    with pytest.raises(DomainError) as twice:
        services.claim_clawback(claim=paid[0], actor=reviewer, reason="again")
    assert twice.value.code == "invalid_transition"


def test_clawback_can_blacklist_the_provider(paid, approved_claim_unpaid, reviewer):
    services.claim_clawback(claim=paid[0], actor=reviewer, reason="科研失信", blacklist=True)
    provider = Organization.objects.get(pk=paid[0].provider_id)
    assert provider.status == "blacklisted"
    assert Claim.objects.get(pk=approved_claim_unpaid.pk).frozen


@pytest.fixture
def approved_claim_unpaid(paid, programme, reviewer, provider):
    from tests.settlement.conftest import approved_claim

    return approved_claim(programme, reviewer, provider, "1000.00")
