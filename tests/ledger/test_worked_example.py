"""A programme's year in a finance clerk's numbers, with the trial balance after each step.

Chart (account type = code prefix):
  treasury:CS-2026            财政拨款 appropriations received (debit-normal)
  pool:CS-2026                预算池 the programme's unissued budget (credit-normal, no overdraft)
  voucher:CS2026A001 / A002   创新券 one per voucher (credit-normal, no overdraft)
  payable:CS-2026:lab-1       应付服务机构 owed to the provider (credit-normal)
"""

import pytest

from core.money import format_fen, parse_yuan
from ledger.selectors import balance, ledger_verify, trial_balance
from ledger.services import journal_reverse, pending_post, pending_void, transfer

pytestmark = pytest.mark.django_db


def y(text):
    return parse_yuan(text)


def tb():
    t = trial_balance()
    assert t.total_debits == t.total_credits, "the trial balance must balance"
    assert ledger_verify().ok
    return {row["type"]: (format_fen(row["debits"]), format_fen(row["credits"]))
            for row in t.by_type}, format_fen(t.total_debits)


def shows(account):
    b = balance(account)
    return format_fen(b.posted), format_fen(b.held), format_fen(b.available)


def test_a_programme_year(chart):
    # 1. The Finance Bureau appropriates 5,000,000.00 to programme CS-2026.
    transfer(key="fund-1", debit=chart.treasury, credit=chart.pool, amount=y("5000000.00"),
             kind="appropriation", actor="finance1", memo="长财教〔2026〕12号")
    assert shows(chart.pool) == ("5000000.00", "0.00", "5000000.00")
    assert tb() == ({"payable": ("0.00", "0.00"), "pool": ("0.00", "5000000.00"),
                     "treasury": ("5000000.00", "0.00"), "voucher": ("0.00", "0.00")},
                    "5000000.00")

    # 2. Two vouchers are issued: 200,000.00 to enterprise A, 10,000.00 to enterprise B.
    transfer(key="issue-A001", debit=chart.pool, credit=chart.voucher, amount=y("200000.00"),
             kind="voucher.issue")
    issue_b = transfer(key="issue-A002", debit=chart.pool, credit=chart.voucher2,
                       amount=y("10000.00"), kind="voucher.issue")
    assert shows(chart.pool) == ("4790000.00", "0.00", "4790000.00")
    assert shows(chart.voucher) == ("200000.00", "0.00", "200000.00")
    assert tb() == ({"payable": ("0.00", "0.00"), "pool": ("210000.00", "5000000.00"),
                     "treasury": ("5000000.00", "0.00"), "voucher": ("0.00", "210000.00")},
                    "5210000.00")

    # 3. Enterprise A confirms a 50,000.00 claim of lab 1: the amount is held on the voucher.
    claim_1 = transfer(key="claim-1-hold", debit=chart.voucher, credit=chart.payable,
                       amount=y("50000.00"), kind="claim.hold", pending=True)
    assert shows(chart.voucher) == ("200000.00", "50000.00", "150000.00")
    # holds are not in the posted trial balance, but pending debits equal pending credits
    assert tb()[1] == "5210000.00"
    assert trial_balance().total_debits_pending == y("50000.00")

    # 4. The reviewer approves 40,000.00 of it: 40,000.00 posts, 10,000.00 is released.
    pending_post(key="claim-1-approve", pending=claim_1, amount=y("40000.00"))
    assert shows(chart.voucher) == ("160000.00", "0.00", "160000.00")
    assert shows(chart.payable) == ("40000.00", "0.00", "40000.00")
    assert trial_balance().total_debits_pending == 0
    assert tb() == ({"payable": ("0.00", "40000.00"), "pool": ("210000.00", "5000000.00"),
                     "treasury": ("5000000.00", "0.00"),
                     "voucher": ("40000.00", "210000.00")},
                    "5250000.00")

    # 5. A second claim of 30,000.00 is confirmed, then rejected: the hold is voided.
    claim_2 = transfer(key="claim-2-hold", debit=chart.voucher, credit=chart.payable,
                       amount=y("30000.00"), kind="claim.hold", pending=True)
    assert shows(chart.voucher) == ("160000.00", "30000.00", "130000.00")
    pending_void(key="claim-2-reject", pending=claim_2)
    assert shows(chart.voucher) == ("160000.00", "0.00", "160000.00")
    assert tb()[1] == "5250000.00"

    # 6. Voucher A002 was issued in error: the issuance is reversed, the budget returns.
    journal_reverse(key="issue-A002-reverse", journal=issue_b, memo="issued in error")
    assert shows(chart.voucher2) == ("0.00", "0.00", "0.00")
    assert shows(chart.pool) == ("4800000.00", "0.00", "4800000.00")
    # a reversal adds the mirror entries; nothing is deleted, so both sides grow by 10,000.00
    assert tb() == ({"payable": ("0.00", "40000.00"), "pool": ("210000.00", "5010000.00"),
                     "treasury": ("5000000.00", "0.00"),
                     "voucher": ("50000.00", "210000.00")},
                    "5260000.00")

    # The budget identity, to the fen: funded = unissued + issued unspent + approved.
    funded = balance(chart.treasury).posted
    assert funded == (balance(chart.pool).posted + balance(chart.voucher).posted
                      + balance(chart.voucher2).posted + balance(chart.payable).posted)
    assert format_fen(funded) == "5000000.00"
