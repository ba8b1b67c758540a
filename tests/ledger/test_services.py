"""ledger.services: posting, holds, resolutions, reversals, batches, idempotency, refusals."""

from datetime import date

import pytest
from django.db import transaction

from ledger.errors import (
    AlreadyReversed,
    IdempotencyConflict,
    InvalidJournal,
    LedgerError,
    LedgerInvariantBroken,
    LimitExceeded,
    PendingAlreadyResolved,
)
from ledger.models import Account, Entry, Journal
from ledger.selectors import balance
from ledger.services import (
    JournalSpec,
    Leg,
    account_open,
    batch_post,
    journal_post,
    journal_reverse,
    pending_post,
    pending_void,
    transfer,
)

pytestmark = pytest.mark.django_db


def fund(chart, amount=50_000_00, key="fund-1"):
    return transfer(key=key, debit=chart.treasury, credit=chart.pool, amount=amount,
                    kind="appropriation", actor="finance1")


# --------------------------------------------------------------------------- accounts


def test_account_open_is_idempotent_on_code(chart):
    again = account_open(code="pool:CS-2026", normal_side="credit",
                         debits_must_not_exceed_credits=True, name="another name")
    assert again.pk == chart.pool.pk
    assert Account.objects.filter(code="pool:CS-2026").count() == 1


def test_account_open_with_other_settings_conflicts(chart):
    with pytest.raises(IdempotencyConflict):
        account_open(code="pool:CS-2026", normal_side="debit")
    with pytest.raises(IdempotencyConflict):
        account_open(code="pool:CS-2026", normal_side="credit")  # flag missing


def test_account_open_refuses_both_limit_flags(db):
    with pytest.raises(InvalidJournal):
        account_open(code="x:1", normal_side="debit", debits_must_not_exceed_credits=True,
                     credits_must_not_exceed_debits=True)


# --------------------------------------------------------------------------- posting


def test_transfer_moves_money_and_returns_the_journal(chart):
    journal = fund(chart)
    assert isinstance(journal, Journal) and journal.pk
    assert journal.kind == "appropriation" and journal.actor == "finance1"
    stored = Journal.objects.get(pk=journal.pk)
    assert stored.public_id == journal.public_id
    assert stored.idempotency_key == "fund-1"
    assert list(stored.entries.values_list("account_id", "side", "amount", "pending")) == [
        (chart.treasury.pk, "debit", 50_000_00, False),
        (chart.pool.pk, "credit", 50_000_00, False),
    ]
    assert balance(chart.pool).posted == 50_000_00
    assert balance(chart.treasury).posted == 50_000_00
    pool = Account.objects.get(pk=chart.pool.pk)
    assert (pool.credits_posted, pool.version) == (50_000_00, 1)


def test_accounts_can_be_given_by_id(chart):
    transfer(key="k", debit=chart.treasury.pk, credit=chart.pool.pk, amount=1, kind="t")
    assert balance(chart.pool.pk).posted == 1


def test_multi_leg_journal(chart):
    fund(chart)
    journal_post(key="split", kind="issue", legs=[
        Leg(chart.pool, "debit", 300_00),
        Leg(chart.voucher, "credit", 100_00),
        Leg(chart.voucher2, "credit", 200_00),
    ])
    assert balance(chart.voucher).posted == 100_00
    assert balance(chart.voucher2).posted == 200_00
    assert balance(chart.pool).posted == 50_000_00 - 300_00


@pytest.mark.parametrize("legs, message", [
    ([], "two legs"),
    ([Leg(1, "debit", 100)], "two legs"),
    ([Leg(1, "debit", 100), Leg(2, "credit", 99)], "unbalanced"),
    ([Leg(1, "debit", 0), Leg(2, "credit", 0)], "positive"),
    ([Leg(1, "debit", -5), Leg(2, "credit", -5)], "positive"),
    ([Leg(1, "debit", 1.5), Leg(2, "credit", 1.5)], "integer"),
    ([Leg(1, "debit", True), Leg(2, "credit", True)], "integer"),
    ([Leg(1, "up", 1), Leg(2, "credit", 1)], "side"),
    ([Leg("pool", "debit", 1), Leg(2, "credit", 1)], "account"),
])
def test_invalid_journals_are_refused_before_the_database(db, legs, message):
    with pytest.raises(InvalidJournal, match=message):
        journal_post(key="bad", kind="t", legs=legs)
    assert Journal.objects.count() == 0


def test_transfer_to_itself_is_invalid(chart):
    with pytest.raises(InvalidJournal):
        transfer(key="self", debit=chart.pool, credit=chart.pool, amount=1, kind="t")


def test_unknown_account_is_invalid(chart):
    with pytest.raises(InvalidJournal, match="no ledger account"):
        transfer(key="ghost", debit=chart.treasury, credit=987654, amount=1, kind="t")
    assert Journal.objects.count() == 0


def test_effective_date_defaults_to_today_in_shanghai(chart):
    from django.utils import timezone

    assert fund(chart).effective_date == timezone.localdate()
    j = transfer(key="dated", debit=chart.treasury, credit=chart.pool, amount=1, kind="t",
                 effective_date=date(2026, 3, 1))
    assert Journal.objects.get(pk=j.pk).effective_date == date(2026, 3, 1)


# --------------------------------------------------------------------------- idempotency


def test_same_key_same_request_returns_the_same_journal_and_changes_nothing(chart):
    first = fund(chart)
    again = fund(chart)
    assert again.pk == first.pk
    assert Journal.objects.count() == 1
    assert balance(chart.pool).posted == 50_000_00
    assert Account.objects.get(pk=chart.pool.pk).version == 1


def test_same_key_different_request_conflicts(chart):
    fund(chart)
    with pytest.raises(IdempotencyConflict) as caught:
        fund(chart, amount=1)
    assert caught.value.key == "fund-1"
    assert caught.value.code == "idempotency_conflict"
    assert balance(chart.pool).posted == 50_000_00


def test_a_refused_request_does_not_burn_its_key(chart):
    with pytest.raises(LimitExceeded):
        transfer(key="early", debit=chart.pool, credit=chart.voucher, amount=1, kind="issue")
    fund(chart)
    transfer(key="early", debit=chart.pool, credit=chart.voucher, amount=1, kind="issue")
    assert balance(chart.voucher).posted == 1


# --------------------------------------------------------------------------- limits


def test_limit_exceeded_carries_the_account_and_what_is_available(chart):
    fund(chart, amount=100_00)
    with pytest.raises(LimitExceeded) as caught:
        transfer(key="too-much", debit=chart.pool, credit=chart.voucher, amount=100_01,
                 kind="issue")
    error = caught.value
    assert isinstance(error, LedgerError)
    assert error.code == "limit_exceeded"
    assert error.account_id == chart.pool.pk
    assert error.account_code == "pool:CS-2026"
    assert error.available == 100_00
    assert error.limit == "debits_must_not_exceed_credits"
    assert Journal.objects.count() == 1
    assert Entry.objects.count() == 2


def test_pending_debits_count_against_the_limit(chart):
    fund(chart, amount=100_00)
    transfer(key="hold", debit=chart.pool, credit=chart.voucher, amount=60_00, kind="issue",
             pending=True)
    with pytest.raises(LimitExceeded) as caught:
        transfer(key="more", debit=chart.pool, credit=chart.voucher, amount=40_01, kind="issue")
    assert caught.value.available == 40_00
    transfer(key="exact", debit=chart.pool, credit=chart.voucher, amount=40_00, kind="issue")
    assert balance(chart.pool).available == 0


def test_mirror_flag(db):
    bank = account_open(code="bank:1", normal_side="debit", credits_must_not_exceed_debits=True)
    other = account_open(code="income:1", normal_side="credit")
    with pytest.raises(LimitExceeded) as caught:
        transfer(key="out", debit=other, credit=bank, amount=1, kind="t")
    assert caught.value.limit == "credits_must_not_exceed_debits"
    assert caught.value.available == 0
    transfer(key="in", debit=bank, credit=other, amount=5, kind="t")
    transfer(key="out", debit=other, credit=bank, amount=5, kind="t")
    assert balance(bank).posted == 0


def test_refusal_inside_an_outer_transaction_leaves_the_outer_work_alone(chart):
    with transaction.atomic():
        fund(chart)
        with pytest.raises(LimitExceeded):
            transfer(key="x", debit=chart.voucher, credit=chart.pool, amount=1, kind="t")
        transfer(key="y", debit=chart.pool, credit=chart.voucher, amount=1, kind="t")
    assert Journal.objects.count() == 2
    assert balance(chart.voucher).posted == 1


def test_without_a_savepoint_a_refusal_still_says_what_is_available(chart):
    """savepoint=False: on PostgreSQL the transaction is aborted by the refusal, so the
    figures must come with it (migration 0003), not from a read afterwards."""
    fund(chart, amount=100_00)
    transfer(key="held", debit=chart.pool, credit=chart.voucher, amount=30_00, kind="issue",
             pending=True)
    with pytest.raises(LimitExceeded) as caught, transaction.atomic():
        transfer(key="x", debit=chart.pool, credit=chart.voucher, amount=70_01, kind="issue",
                 savepoint=False)
    error = caught.value
    assert (error.account_id, error.account_code, error.available, error.limit) == (
        chart.pool.pk, "pool:CS-2026", 70_00, "debits_must_not_exceed_credits")
    assert not Journal.objects.filter(idempotency_key="x").exists()


def test_without_a_savepoint_the_posting_belongs_to_the_callers_transaction(chart):
    class Boom(Exception):
        pass

    fund(chart)
    with pytest.raises(Boom), transaction.atomic():
        transfer(key="y", debit=chart.pool, credit=chart.voucher, amount=1, kind="t",
                 savepoint=False)
        hold_ = transfer(key="h", debit=chart.pool, credit=chart.voucher, amount=2, kind="t",
                         pending=True, savepoint=False)
        pending_post(key="p", pending=hold_, savepoint=False)
        raise Boom
    assert balance(chart.voucher).posted == 0
    assert Journal.objects.count() == 1


def test_account_open_returns_a_saved_account_in_one_statement(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        account = account_open(code="voucher:NEW", normal_side="debit",
                               debits_must_not_exceed_credits=True, owner_ref="v:1")
    stored = Account.objects.get(pk=account.pk)
    assert (stored.code, stored.public_id, stored.owner_ref, stored.created_at) == (
        "voucher:NEW", account.public_id, "v:1", account.created_at)
    assert stored.debits_must_not_exceed_credits and stored.version == 0


def test_an_outer_rollback_removes_the_posting(chart):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        fund(chart)
        raise Boom
    assert Journal.objects.count() == 0
    assert balance(chart.pool).posted == 0


# --------------------------------------------------------------------------- two-phase


def hold(chart, amount=300_00, key="hold-1"):
    return transfer(key=key, debit=chart.voucher, credit=chart.payable, amount=amount,
                    kind="claim.hold", pending=True)


def issue(chart, amount=1_000_00):
    fund(chart)
    return transfer(key="issue-1", debit=chart.pool, credit=chart.voucher, amount=amount,
                    kind="issue")


def test_hold_moves_pending_counters_only(chart):
    issue(chart)
    h = hold(chart)
    assert h.pending
    v = balance(chart.voucher)
    assert (v.posted, v.held, v.available, v.pending) == (1_000_00, 300_00, 700_00, -300_00)
    p = balance(chart.payable)
    assert (p.posted, p.incoming, p.pending, p.available) == (0, 300_00, 300_00, 0)


def test_full_post(chart):
    issue(chart)
    h = hold(chart)
    post = pending_post(key="post-1", pending=h)
    assert post.resolves_id == h.pk and post.resolution == "post"
    v = balance(chart.voucher)
    assert (v.posted, v.held, v.available) == (700_00, 0, 700_00)
    assert balance(chart.payable).posted == 300_00


def test_partial_post_releases_the_rest(chart):
    issue(chart)
    h = hold(chart)
    pending_post(key="post-1", pending=h, amount=120_00)
    v = balance(chart.voucher)
    assert (v.posted, v.held, v.available) == (880_00, 0, 880_00)
    p = balance(chart.payable)
    assert (p.posted, p.incoming) == (120_00, 0)


def test_post_above_the_hold_is_invalid(chart):
    issue(chart)
    h = hold(chart)
    with pytest.raises(InvalidJournal, match="holds"):
        pending_post(key="post-1", pending=h, amount=300_01)


def test_void_releases_everything(chart):
    issue(chart)
    h = hold(chart)
    void = pending_void(key="void-1", pending=h)
    assert void.resolution == "void"
    v = balance(chart.voucher)
    assert (v.posted, v.held, v.available) == (1_000_00, 0, 1_000_00)
    assert balance(chart.payable).posted == 0


def test_a_hold_resolves_once(chart):
    issue(chart)
    h = hold(chart)
    pending_post(key="post-1", pending=h, amount=100_00)
    with pytest.raises(PendingAlreadyResolved) as caught:
        pending_void(key="void-1", pending=h)
    assert caught.value.resolution == "post"
    with pytest.raises(PendingAlreadyResolved):
        pending_post(key="post-2", pending=h)
    # the replay of the resolution itself is still fine
    assert pending_post(key="post-1", pending=h, amount=100_00).resolves_id == h.pk


def test_resolving_a_journal_that_is_not_pending_is_invalid(chart):
    j = fund(chart)
    with pytest.raises(InvalidJournal, match="not pending"):
        pending_post(key="p", pending=j)


def test_partial_post_of_a_multi_leg_hold_is_invalid_but_full_post_works(chart):
    issue(chart)
    h = journal_post(key="h3", kind="claim.hold", pending=True, legs=[
        Leg(chart.voucher, "debit", 300_00),
        Leg(chart.payable, "credit", 200_00),
        Leg(chart.pool, "credit", 100_00),
    ])
    with pytest.raises(InvalidJournal, match="two-leg"):
        pending_post(key="p", pending=h, amount=1)
    pending_post(key="p", pending=h)
    assert balance(chart.voucher).posted == 700_00


# --------------------------------------------------------------------------- reversal


def test_reverse_mirrors_the_posted_entries(chart):
    issue(chart)
    rev = journal_reverse(key="rev-1", journal=Journal.objects.get(idempotency_key="issue-1"))
    assert rev.reverses_id
    assert balance(chart.voucher).posted == 0
    assert balance(chart.pool).posted == 50_000_00


def test_reverse_once(chart):
    j = fund(chart)
    journal_reverse(key="rev-1", journal=j)
    with pytest.raises(AlreadyReversed):
        journal_reverse(key="rev-2", journal=j)
    assert journal_reverse(key="rev-1", journal=j).reverses_id == j.pk


def test_reverse_of_a_partial_post_reverses_only_what_was_posted(chart):
    issue(chart)
    h = hold(chart)
    post = pending_post(key="post-1", pending=h, amount=120_00)
    journal_reverse(key="rev", journal=post)
    assert balance(chart.voucher).posted == 1_000_00
    assert balance(chart.payable).posted == 0


def test_reverse_of_a_hold_or_a_void_is_invalid(chart):
    issue(chart)
    h = hold(chart)
    with pytest.raises(InvalidJournal, match="void it"):
        journal_reverse(key="r1", journal=h)
    void = pending_void(key="v", pending=h)
    with pytest.raises(InvalidJournal, match="nothing"):
        journal_reverse(key="r2", journal=void)


def test_reversal_respects_limits(chart):
    issue(chart, amount=100_00)
    spend = transfer(key="spend", debit=chart.voucher, credit=chart.payable, amount=100_00,
                     kind="claim")
    issued = Journal.objects.get(idempotency_key="issue-1")
    with pytest.raises(LimitExceeded) as caught:
        journal_reverse(key="rev", journal=issued)
    assert caught.value.account_id == chart.voucher.pk
    journal_reverse(key="rev-spend", journal=spend)
    journal_reverse(key="rev", journal=issued)
    assert balance(chart.voucher).posted == 0


# --------------------------------------------------------------------------- batch


def specs(chart, n, prefix="b"):
    return [
        JournalSpec(key=f"{prefix}{i}", kind="issue",
                    legs=[Leg(chart.pool, "debit", 1_00), Leg(chart.voucher, "credit", 1_00)])
        for i in range(n)
    ]


def test_batch_post_writes_every_journal_in_order(chart):
    fund(chart)
    journals = batch_post(specs(chart, 50))
    assert [j.idempotency_key for j in journals] == [f"b{i}" for i in range(50)]
    assert all(j.pk for j in journals)
    assert balance(chart.voucher).posted == 50_00
    assert Account.objects.get(pk=chart.voucher.pk).version == 1  # one UPDATE per account


def test_batch_post_is_all_or_nothing(chart):
    fund(chart, amount=10_00)
    with pytest.raises(LimitExceeded):
        batch_post(specs(chart, 11))
    assert Journal.objects.count() == 1
    assert balance(chart.pool).posted == 10_00


def test_batch_post_replay_and_conflict(chart):
    fund(chart)
    first = batch_post(specs(chart, 5))
    again = batch_post(specs(chart, 7))
    assert [j.pk for j in again[:5]] == [j.pk for j in first]
    assert balance(chart.voucher).posted == 7_00
    changed = specs(chart, 2)
    changed[1] = JournalSpec(key="b1", kind="other", legs=changed[1].legs)
    with pytest.raises(IdempotencyConflict):
        batch_post(changed)
    with pytest.raises(InvalidJournal, match="twice"):
        batch_post(specs(chart, 2) + specs(chart, 1))


def test_error_types():
    assert not issubclass(LedgerInvariantBroken, LedgerError)
    for cls in (LimitExceeded, IdempotencyConflict, PendingAlreadyResolved, AlreadyReversed,
                InvalidJournal):
        assert issubclass(cls, LedgerError)


@pytest.mark.postgres
def test_works_without_prepared_statements(chart, settings):
    """Behind a pooler that cannot keep prepared statements (LEDGER_PREPARED_STATEMENTS)."""
    settings.LEDGER_PREPARED_STATEMENTS = False
    fund(chart)
    batch_post(specs(chart, 3))
    assert balance(chart.voucher).posted == 3_00
