"""Resolving a hold: what is written, every refusal, and (PostgreSQL) its round trips.

On PostgreSQL a resolution is one statement that reads the hold itself; the reads that say
why nothing was written run only when it wrote nothing. On SQLite the hold is read first.
Both must answer every request alike, down to the exception and its message.
"""

from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from ledger.errors import IdempotencyConflict, InvalidJournal, PendingAlreadyResolved
from ledger.models import Entry, Journal
from ledger.selectors import balance, ledger_verify
from ledger.services import Leg, journal_post, pending_post, pending_void, transfer
from tests.round_trips import RoundTrips

pytestmark = pytest.mark.django_db


def issue(chart, amount=1_000_00):
    transfer(key="fund", debit=chart.treasury, credit=chart.pool, amount=50_000_00,
             kind="appropriation")
    transfer(key="issue", debit=chart.pool, credit=chart.voucher, amount=amount, kind="issue")


def hold(chart, amount=300_00, key="hold-1", effective_date=None):
    return transfer(key=key, debit=chart.voucher, credit=chart.payable, amount=amount,
                    kind="claim.hold", pending=True, effective_date=effective_date)


def snapshot(chart):
    """Everything a refused request must leave as it was."""
    return (Journal.objects.count(), Entry.objects.count(),
            [balance(a) for a in (chart.voucher, chart.payable, chart.pool)])


def assert_as_stored(journal):
    stored = Journal.objects.get(pk=journal.pk)
    fields = ("public_id", "idempotency_key", "request_digest", "kind", "effective_date",
              "actor", "memo", "metadata", "pending", "resolves_id", "resolution",
              "reverses_id", "created_at")
    assert {f: getattr(journal, f) for f in fields} == {f: getattr(stored, f) for f in fields}


def entries(journal):
    return list(Entry.objects.filter(journal=journal).order_by("id").values_list(
        "account_id", "side", "amount", "pending", "release"))


# --------------------------------------------------------------------------- written


def test_a_full_post_releases_the_hold_then_posts_it_in_the_holds_order(chart):
    issue(chart)
    h = hold(chart)
    post = pending_post(key="post", pending=h, actor="reviewer", memo="ok",
                        metadata={"claim": "c1"})
    assert_as_stored(post)
    assert (post.kind, post.resolves_id, post.resolution) == ("claim.hold", h.pk, "post")
    v, p = chart.voucher.pk, chart.payable.pk
    assert entries(post) == [
        (v, "debit", 300_00, True, True), (p, "credit", 300_00, True, True),
        (v, "debit", 300_00, False, False), (p, "credit", 300_00, False, False),
    ]
    assert (balance(chart.voucher).posted, balance(chart.voucher).held) == (700_00, 0)
    assert ledger_verify().ok


def test_a_partial_post_posts_the_amount_on_both_legs(chart):
    issue(chart)
    h = hold(chart)
    post = pending_post(key="post", pending=h, amount=120_00, kind="claim.approve")
    assert_as_stored(post)
    assert post.kind == "claim.approve"
    v, p = chart.voucher.pk, chart.payable.pk
    assert entries(post) == [
        (v, "debit", 300_00, True, True), (p, "credit", 300_00, True, True),
        (v, "debit", 120_00, False, False), (p, "credit", 120_00, False, False),
    ]
    assert (balance(chart.voucher).posted, balance(chart.payable).posted) == (880_00, 120_00)


def test_a_post_of_exactly_the_held_amount_is_a_full_post_even_with_three_legs(chart):
    issue(chart)
    h = journal_post(key="h3", kind="claim.hold", pending=True, legs=[
        Leg(chart.voucher, "debit", 300_00),
        Leg(chart.payable, "credit", 200_00),
        Leg(chart.pool, "credit", 100_00),
    ])
    post = pending_post(key="post", pending=h, amount=300_00)
    assert [amount for _, _, amount, pending, _ in entries(post) if not pending] == [
        300_00, 200_00, 100_00]
    assert ledger_verify().ok


def test_a_void_releases_the_hold_and_posts_nothing(chart):
    issue(chart)
    h = hold(chart)
    void = pending_void(key="void", pending=h)
    assert_as_stored(void)
    assert entries(void) == [(chart.voucher.pk, "debit", 300_00, True, True),
                             (chart.payable.pk, "credit", 300_00, True, True)]
    assert balance(chart.voucher).available == 1_000_00


def test_the_effective_date_is_today_the_holds_date_if_later_or_the_one_given(chart):
    issue(chart)
    today = timezone.localdate()
    later = today + timedelta(days=3)
    assert pending_post(key="p1", pending=hold(chart, 1, "h1")).effective_date == today
    future = hold(chart, 1, "h2", effective_date=later)
    assert pending_void(key="v2", pending=future).effective_date == later
    assert_as_stored(Journal.objects.get(idempotency_key="v2"))
    given = pending_post(key="p3", pending=hold(chart, 1, "h3"), effective_date=later)
    assert given.effective_date == later
    assert_as_stored(given)


def test_the_same_request_again_returns_the_same_journal(chart):
    issue(chart)
    h = hold(chart)
    first = pending_post(key="post", pending=h, amount=100_00, metadata={"n": 1})
    before = snapshot(chart)
    again = pending_post(key="post", pending=h, amount=100_00, metadata={"n": 1})
    assert (again.pk, again.public_id, again.resolution) == (first.pk, first.public_id, "post")
    assert snapshot(chart) == before
    void = pending_void(key="void", pending=hold(chart, key="hold-2"))
    assert pending_void(key="void", pending=void.resolves_id).pk == void.pk


# --------------------------------------------------------------------------- refused


@pytest.fixture
def held(chart):
    issue(chart)
    return hold(chart)


def refused(chart, call, error, message):
    before = snapshot(chart)
    with pytest.raises(error) as caught:
        call()
    assert str(caught.value) == message
    assert snapshot(chart) == before
    return caught.value


def test_a_posted_hold_is_not_posted_or_voided_again(chart, held):
    pending_post(key="post", pending=held, amount=100_00)
    message = f"pending journal {held.pk} is already resolved (post)"
    error = refused(chart, lambda: pending_post(key="post-2", pending=held),
                    PendingAlreadyResolved, message)
    assert (error.pending_id, error.resolution) == (held.pk, "post")
    refused(chart, lambda: pending_void(key="void", pending=held), PendingAlreadyResolved,
            message)


def test_a_voided_hold_is_not_posted_or_voided_again(chart, held):
    pending_void(key="void", pending=held)
    message = f"pending journal {held.pk} is already resolved (void)"
    refused(chart, lambda: pending_post(key="post", pending=held, amount=1),
            PendingAlreadyResolved, message)
    refused(chart, lambda: pending_void(key="void-2", pending=held), PendingAlreadyResolved,
            message)


def test_a_resolved_hold_answers_as_resolved_before_any_other_problem(chart, held):
    pending_void(key="void", pending=held)
    refused(chart, lambda: pending_post(key="post", pending=held, amount=300_01),
            PendingAlreadyResolved, f"pending journal {held.pk} is already resolved (void)")


def test_a_post_above_the_hold_is_invalid(chart, held):
    refused(chart, lambda: pending_post(key="post", pending=held, amount=300_01),
            InvalidJournal,
            f"cannot post 30001 fen of pending journal {held.pk}: it holds 30000 fen")
    assert pending_post(key="post", pending=held, amount=300_00).resolution == "post"


def test_a_partial_post_of_a_three_leg_hold_is_invalid(chart):
    issue(chart)
    h = journal_post(key="h3", kind="claim.hold", pending=True, legs=[
        Leg(chart.voucher, "debit", 300_00),
        Leg(chart.payable, "credit", 200_00),
        Leg(chart.pool, "credit", 100_00),
    ])
    refused(chart, lambda: pending_post(key="post", pending=h, amount=1), InvalidJournal,
            f"pending journal {h.pk} has 3 legs; only a two-leg hold can be posted partially")


def test_a_journal_that_is_not_a_hold_or_does_not_exist_is_not_resolved(chart, held):
    plain = Journal.objects.get(idempotency_key="issue")
    refused(chart, lambda: pending_post(key="post", pending=plain), InvalidJournal,
            f"journal {plain.pk} is not pending")
    refused(chart, lambda: pending_void(key="void", pending=plain.pk), InvalidJournal,
            f"journal {plain.pk} is not pending")
    missing = Journal.objects.order_by("-pk").first().pk + 1000
    refused(chart, lambda: pending_post(key="post", pending=missing), InvalidJournal,
            f"no journal with id {missing}")


def test_an_effective_date_before_the_holds_is_invalid(chart):
    issue(chart)
    h = hold(chart, effective_date=date(2030, 1, 2))
    message = "effective date 2030-01-01 is before the original's 2030-01-02"
    refused(chart, lambda: pending_post(key="post", pending=h, effective_date=date(2030, 1, 1)),
            InvalidJournal, message)
    # asked of a resolved hold, the date is still the answer (it is checked first)
    pending_void(key="void", pending=h)
    refused(chart, lambda: pending_post(key="post", pending=h, effective_date=date(2030, 1, 1)),
            InvalidJournal, message)


def test_a_replay_with_another_request_conflicts(chart, held):
    post = pending_post(key="post", pending=held, amount=100_00)
    message = "idempotency key 'post' was used for a different request"
    for call in (
        lambda: pending_post(key="post", pending=held, amount=100_01),  # another amount
        lambda: pending_post(key="post", pending=held),
        lambda: pending_void(key="post", pending=held),  # another resolution
        lambda: pending_post(key="post", pending=held, amount=100_00, memo="changed"),
        lambda: pending_post(key="post", pending=held, amount=300_01),  # and above the hold
    ):
        error = refused(chart, call, IdempotencyConflict, message)
        assert (error.key, error.journal_id) == ("post", post.pk)
    # a key already used by a plain journal, for a hold no one resolved
    other = hold(chart, amount=1, key="hold-2")
    refused(chart, lambda: pending_post(key="issue", pending=other), IdempotencyConflict,
            "idempotency key 'issue' was used for a different request")
    assert pending_post(key="post", pending=held, amount=100_00).pk == post.pk


def test_a_refusal_without_a_savepoint_leaves_the_callers_transaction_usable(chart, held):
    """The statement wrote nothing and raised nothing: the diagnosis reads run in the
    caller's transaction, which goes on (as before: no database error was raised)."""
    pending_post(key="post", pending=held)
    with transaction.atomic():
        with pytest.raises(PendingAlreadyResolved):
            pending_void(key="void", pending=held, savepoint=False)
        assert pending_post(key="post", pending=held, savepoint=False).resolves_id == held.pk
        transfer(key="after", debit=chart.pool, credit=chart.voucher, amount=1, kind="t",
                 savepoint=False)
    assert Journal.objects.filter(idempotency_key="after").exists()


# --------------------------------------------------------------------------- PostgreSQL


@pytest.mark.postgres
@pytest.mark.parametrize("prepared", [True, False])
def test_a_resolution_is_one_round_trip_inside_the_callers_transaction(
        chart, monkeypatch, settings, prepared):
    settings.LEDGER_PREPARED_STATEMENTS = prepared
    issue(chart)
    holds = [hold(chart, amount=1_00, key=f"hold-{i}") for i in range(6)]
    pending_post(key="warm", pending=holds[0])  # the statement is prepared once per connection
    trips = RoundTrips(monkeypatch)
    with transaction.atomic():  # the caller's (the test's own is outermost)
        assert trips(lambda: pending_post(key="post", pending=holds[1], savepoint=False)) == 1
        assert trips(lambda: pending_post(key="part", pending=holds[2], amount=50,
                                          savepoint=False)) == 1
        assert trips(lambda: pending_void(key="void", pending=holds[3], savepoint=False)) == 1
        # with a savepoint: SAVEPOINT, the statement, RELEASE
        assert trips(lambda: pending_post(key="post-sp", pending=holds[4])) == 3
        # a replay: the statement wrote nothing, one read finds the journal
        assert trips(lambda: pending_post(key="post", pending=holds[1], savepoint=False)) == 2
        # a second resolution: the statement, the key is free, the hold is resolved
        with pytest.raises(PendingAlreadyResolved):
            trips(lambda: pending_void(key="void-2", pending=holds[1], savepoint=False))
    # 1 + 1 + 1 + 3 + 2 + 3, and SAVEPOINT / RELEASE of the block above (a savepoint in the
    # test's own transaction)
    assert trips.count == 13


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_at_top_level_a_resolution_is_one_round_trip_in_autocommit(chart, monkeypatch):
    issue(chart)
    holds = [hold(chart, amount=1_00, key=f"hold-{i}") for i in range(3)]
    pending_post(key="warm", pending=holds[0])
    assert connection.get_autocommit() and not connection.in_atomic_block
    trips = RoundTrips(monkeypatch)
    assert trips(lambda: pending_post(key="post", pending=holds[1], amount=40)) == 1
    assert trips(lambda: pending_void(key="void", pending=holds[2])) == 1
    assert (balance(chart.payable).posted, balance(chart.voucher).held) == (1_00 + 40, 0)
    assert ledger_verify().ok
