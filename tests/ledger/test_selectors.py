"""ledger.selectors: balances now and in the past, sums, statements, trial balance, verify."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core.append_only import set_maintenance
from ledger.models import Account, Journal
from ledger.selectors import (
    Balance,
    account_statement,
    balance,
    balances_sum,
    ledger_verify,
    trial_balance,
)
from ledger.services import pending_post, transfer

pytestmark = pytest.mark.django_db

D1, D2, D3 = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)


@pytest.fixture
def history(chart):
    fund = transfer(key="fund", debit=chart.treasury, credit=chart.pool, amount=1_000_00,
                    kind="appropriation", effective_date=D1)
    issue = transfer(key="issue", debit=chart.pool, credit=chart.voucher, amount=300_00,
                     kind="issue", effective_date=D2, memo="A001")
    hold = transfer(key="hold", debit=chart.voucher, credit=chart.payable, amount=100_00,
                    kind="claim.hold", pending=True, effective_date=D2)
    post = pending_post(key="post", pending=hold, amount=80_00, effective_date=D3)
    return {"fund": fund, "issue": issue, "hold": hold, "post": post}


def test_balance_now_comes_from_the_counters(chart, history, django_assert_num_queries):
    with django_assert_num_queries(1):
        b = balance(chart.voucher)
    assert b == Balance(80_00, 300_00, 0, 0, "credit")
    assert (b.posted, b.pending, b.held, b.available) == (220_00, 0, 0, 220_00)


def test_balance_as_of_a_date(chart, history):
    assert balance(chart.voucher, as_of=D1) == Balance(normal_side="credit")
    on_d2 = balance(chart.voucher, as_of=D2)
    assert (on_d2.posted, on_d2.held, on_d2.available) == (300_00, 100_00, 200_00)
    on_d3 = balance(chart.voucher, as_of=D3)
    assert on_d3 == balance(chart.voucher)
    assert balance(chart.pool.pk, as_of=D2).posted == 700_00
    assert balance(chart.treasury, as_of=D2).posted == 1_000_00  # debit-normal


def test_balance_at_a_journal_and_at_a_time(chart, history):
    assert balance(chart.voucher, at_journal=history["issue"]).posted == 300_00
    assert balance(chart.voucher, at_journal=history["hold"]).held == 100_00
    assert balance(chart.voucher, at_journal=history["post"]) == balance(chart.voucher)
    created = Journal.objects.get(pk=history["issue"].pk).created_at
    assert balance(chart.voucher, as_of=created).posted == 300_00
    assert balance(chart.voucher, as_of=created - timedelta(microseconds=1)).posted == 0
    assert balance(chart.voucher, as_of=datetime(2000, 1, 1, tzinfo=UTC)).posted == 0


def test_balances_sum_is_one_query(chart, history, django_assert_num_queries):
    transfer(key="issue-2", debit=chart.pool, credit=chart.voucher2, amount=50_00,
             kind="issue")
    vouchers = Account.objects.filter(code__startswith="voucher:")
    with django_assert_num_queries(1):
        total = balances_sum(vouchers)
    assert (total.posted, total.held, total.available) == (270_00, 0, 270_00)
    assert balances_sum(Account.objects.none()) == Balance()
    with pytest.raises(ValueError):
        balances_sum(Account.objects.all())


def test_statement_with_running_balance(chart, history):
    rows = account_statement(chart.voucher)
    assert [(r.kind, r.side, r.amount, r.pending, r.release) for r in rows] == [
        ("issue", "credit", 300_00, False, False),
        ("claim.hold", "debit", 100_00, True, False),
        ("claim.hold", "debit", 100_00, True, True),   # the hold released by the post
        ("claim.hold", "debit", 80_00, False, False),  # what was posted
    ]
    assert [(r.balance.posted, r.balance.available) for r in rows] == [
        (300_00, 300_00), (300_00, 200_00), (300_00, 300_00), (220_00, 220_00),
    ]
    assert rows[0].memo == "A001" and rows[0].effective_date == D2
    later = account_statement(chart.voucher, start=D3)
    assert len(later) == 2
    assert later[0].balance.posted == 300_00 and later[-1].balance.posted == 220_00
    assert len(account_statement(chart.voucher.pk, end=D2)) == 2


def test_trial_balance_now_and_as_of(chart, history):
    now = trial_balance()
    assert now.balanced
    assert now.total_debits == now.total_credits == 1_000_00 + 300_00 + 80_00
    assert [row["type"] for row in now.by_type] == ["payable", "pool", "treasury", "voucher"]
    then = trial_balance(as_of=D2)
    assert then.total_debits == 1_300_00
    assert then.total_debits_pending == then.total_credits_pending == 100_00
    assert trial_balance(as_of=D1).total_debits == 1_000_00


def test_verify_passes_on_a_sound_ledger(chart, history):
    report = ledger_verify()
    assert report.ok, report.problems
    assert report.accounts_checked == 5 and report.journals_checked == 4
    call_command("ledger_verify")


def test_verify_names_an_account_whose_cache_drifted(chart, history):
    Account.objects.filter(pk=chart.voucher.pk).update(credits_posted=301_00)
    report = ledger_verify()
    assert not report.ok
    assert any("voucher:CS2026A001" in p and "credits_posted" in p for p in report.problems)
    with pytest.raises(CommandError, match="BROKEN"):
        call_command("ledger_verify")


def _behind_the_triggers(sql, params):
    set_maintenance(True)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        set_maintenance(False)


def test_verify_finds_an_entry_edited_behind_the_triggers(chart, history):
    edit = "UPDATE ledger_entry SET amount = %s WHERE journal_id = %s AND side = 'debit'"
    _behind_the_triggers(edit, [1, history["fund"].pk])
    problems = ledger_verify().problems
    # put it back: Django's test teardown runs the deferred checks, which would refuse it
    _behind_the_triggers(edit, [1_000_00, history["fund"].pk])
    assert any("treasury:CS-2026" in p for p in problems)
    assert any(f"journal {history['fund'].pk}: entries do not balance" in p for p in problems)
    assert any("trial balance" in p for p in problems)
