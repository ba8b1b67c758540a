"""The database's checks of a resolution (post or void of a hold) and of a reversal,
refused with raw SQL.

On PostgreSQL the resolution checks are one query in the deferred journal trigger, and the
reversal check runs only for reversals (migration ledger 0005); these cases pin each check,
and the order in which they are reported, on a hold of three legs so that "per account and
side" matters: totals alone would pass.
"""

import uuid

import pytest
from django.db import IntegrityError, connection, transaction

from ledger.services import Leg, journal_post, transfer
from tests.ledger.test_db_invariants import PG, raw_journal, refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def hold(chart):
    """pool → voucher 60 + voucher2 40, held (pending) on a funded pool."""
    transfer(key="fund", debit=chart.treasury, credit=chart.pool, amount=1000, kind="t")
    return journal_post(key="h", kind="t", pending=True, legs=[
        Leg(chart.pool, "debit", 100), Leg(chart.voucher, "credit", 60),
        Leg(chart.voucher2, "credit", 40)])


def release_legs(chart):
    return [(chart.pool.pk, "debit", 100, True, True),
            (chart.voucher.pk, "credit", 60, True, True),
            (chart.voucher2.pk, "credit", 40, True, True)]


def test_resolving_a_journal_that_is_not_a_hold_is_refused(chart, hold):
    posted = transfer(key="p", debit=chart.pool, credit=chart.voucher, amount=10, kind="t")
    refused(release_legs(chart), resolves_id=posted.pk, resolution="void", match="not a hold")


def test_a_release_must_match_the_hold_per_account_and_side(chart, hold):
    # same totals, wrong accounts
    refused([(chart.pool.pk, "debit", 100, True, True),
             (chart.voucher.pk, "credit", 100, True, True)],
            resolves_id=hold.pk, resolution="void", match="release exactly")
    # one leg missing (the rest balanced), one leg too much
    refused([(chart.pool.pk, "debit", 60, True, True),
             (chart.voucher.pk, "credit", 60, True, True)],
            resolves_id=hold.pk, resolution="void", match="release exactly")
    refused([(chart.pool.pk, "debit", 110, True, True),
             (chart.voucher.pk, "credit", 70, True, True),
             (chart.voucher2.pk, "credit", 40, True, True)],
            resolves_id=hold.pk, resolution="void", match="release exactly")
    # sides swapped
    refused([(chart.pool.pk, "credit", 100, True, True),
             (chart.voucher.pk, "debit", 60, True, True),
             (chart.voucher2.pk, "debit", 40, True, True)],
            resolves_id=hold.pk, resolution="void", match="release exactly")


def test_a_post_posts_no_more_than_held_per_account_and_side(chart, hold):
    # 100 posted in all, as held, but 70 to a leg that held 60
    refused([*release_legs(chart), (chart.pool.pk, "debit", 100, False, False),
             (chart.voucher.pk, "credit", 70, False, False),
             (chart.voucher2.pk, "credit", 30, False, False)],
            resolves_id=hold.pk, resolution="post", match="more than|exceed")
    # an account the hold never held
    refused([*release_legs(chart), (chart.pool.pk, "debit", 10, False, False),
             (chart.payable.pk, "credit", 10, False, False)],
            resolves_id=hold.pk, resolution="post", match="more than|exceed")
    # a posted leg on the side opposite to the held one
    refused([*release_legs(chart), (chart.voucher.pk, "debit", 10, False, False),
             (chart.voucher2.pk, "credit", 10, False, False)],
            resolves_id=hold.pk, resolution="post", match="more than|exceed")


def test_the_checks_report_in_order(chart, hold):
    # not exactly the hold and posting more: the release is reported first
    refused([(chart.pool.pk, "debit", 90, True, True),
             (chart.voucher.pk, "credit", 90, True, True),
             (chart.pool.pk, "debit", 500, False, False),
             (chart.voucher.pk, "credit", 500, False, False)],
            resolves_id=hold.pk, resolution="post", match="release exactly")
    # a void that posts more than held: the void is reported first
    refused([*release_legs(chart), (chart.pool.pk, "debit", 500, False, False),
             (chart.voucher.pk, "credit", 500, False, False)],
            resolves_id=hold.pk, resolution="void", match="void")


@pytest.mark.parametrize("posted", [(100, 60, 40), (50, 30, 20), (40, 0, 40)])
def test_full_and_partial_posts_are_accepted(chart, hold, posted):
    total, first, second = posted
    legs = [(chart.pool.pk, "debit", total, False, False)]
    legs += [(acct.pk, "credit", amount, False, False)
             for acct, amount in [(chart.voucher, first), (chart.voucher2, second)] if amount]
    raw_journal([*release_legs(chart), *legs], resolves_id=hold.pk, resolution="post")


def test_a_void_releasing_exactly_is_accepted(chart, hold):
    raw_journal(release_legs(chart), resolves_id=hold.pk, resolution="void")


def raw_reversal(entries, reverses_id):
    """raw_journal for a reversal (raw_journal's header has no `reverses_id`): PostgreSQL
    journal first, SQLite entries first; `entries` are posted (account_id, side, amount)."""
    public_id = uuid.uuid4()
    values = [public_id if PG else str(public_id), f"raw-{public_id}", "x", "raw",
              "2026-06-01", "", "", "{}", False, "", reverses_id, "2026-06-01T00:00:00+00:00"]
    insert = ("INSERT INTO ledger_journal ({}public_id, idempotency_key, request_digest, kind, "
              "effective_date, actor, memo, metadata, pending, resolution, reverses_id, "
              "created_at) VALUES ({}%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
    with connection.cursor() as cursor:
        if PG:
            cursor.execute(insert.format("", "") + " RETURNING id", values)
            journal_id = cursor.fetchone()[0]
        else:
            cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM ledger_journal")
            journal_id = cursor.fetchone()[0]
        for account_id, side, amount in entries:
            cursor.execute(
                "INSERT INTO ledger_entry (journal_id, account_id, side, amount, pending, "
                "release) VALUES (%s, %s, %s, %s, %s, %s)",
                [journal_id, account_id, side, amount, False, False],
            )
        if PG:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        else:
            cursor.execute(insert.format("id, ", "%s, "), [journal_id, *values])
    return journal_id


def test_a_reversal_must_mirror_the_posted_entries_it_reverses(chart):
    transfer(key="fund", debit=chart.treasury, credit=chart.pool, amount=1000, kind="t")
    posted = journal_post(key="j", kind="t", legs=[
        Leg(chart.pool, "debit", 100), Leg(chart.voucher, "credit", 60),
        Leg(chart.voucher2, "credit", 40)])
    for entries in (
        [(chart.pool.pk, "credit", 100), (chart.voucher.pk, "debit", 100)],  # wrong accounts
        [(chart.pool.pk, "credit", 90), (chart.voucher.pk, "debit", 50),  # wrong amounts
         (chart.voucher2.pk, "debit", 40)],
        [(chart.pool.pk, "debit", 100), (chart.voucher.pk, "credit", 60),  # sides not swapped
         (chart.voucher2.pk, "credit", 40)],
    ):
        with pytest.raises(IntegrityError, match="mirror"), transaction.atomic():
            raw_reversal(entries, posted.pk)
    raw_reversal([(chart.pool.pk, "credit", 100), (chart.voucher.pk, "debit", 60),
                  (chart.voucher2.pk, "debit", 40)], posted.pk)
