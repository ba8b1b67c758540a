"""batch_resolve: many holds posted or voided in one statement, each exactly as
pending_post / pending_void would (same journal, same digest, same refusals)."""

import pytest

from ledger.errors import IdempotencyConflict, InvalidJournal, PendingAlreadyResolved
from ledger.models import Journal
from ledger.selectors import balance, ledger_verify
from ledger.services import HoldResolution, batch_resolve, pending_post, pending_void, transfer

pytestmark = pytest.mark.django_db


def holds(chart, n=3, amount=100_00):
    transfer(key="fund", debit=chart.treasury, credit=chart.pool, amount=10_000_00, kind="fund")
    transfer(key="issue", debit=chart.pool, credit=chart.voucher, amount=10_000_00, kind="issue")
    return [transfer(key=f"hold-{n}", debit=chart.voucher, credit=chart.payable,
                     amount=amount * (n + 1), kind="claim.hold", pending=True)
            for n in range(n)]


@pytest.fixture
def three(chart):
    return holds(chart)


def test_posts_and_voids_in_one_call(chart, three):
    a, b, c = three
    journals = batch_resolve([
        HoldResolution(key="post-a", pending=a, resolution="post"),
        HoldResolution(key="void-b", pending=b.pk, resolution="void"),
        HoldResolution(key="post-c", pending=c, resolution="post", amount=50_00),
    ])
    assert [(j.resolves_id, j.resolution) for j in journals] == [
        (a.pk, "post"), (b.pk, "void"), (c.pk, "post")]
    payable = balance(chart.payable)
    assert (payable.posted, payable.incoming) == (100_00 + 50_00, 0)
    voucher = balance(chart.voucher)
    assert (voucher.held, voucher.debits_posted) == (0, 150_00)
    assert ledger_verify().ok


def test_a_retry_is_a_replay_and_a_single_call_with_the_same_key_too(chart, three):
    a, b, _ = three
    specs = [HoldResolution(key="post-a", pending=a, resolution="post"),
             HoldResolution(key="void-b", pending=b, resolution="void")]
    first = batch_resolve(specs)
    again = batch_resolve(specs)
    assert [j.pk for j in again] == [j.pk for j in first]
    assert pending_post(key="post-a", pending=a).pk == first[0].pk
    assert pending_void(key="void-b", pending=b).pk == first[1].pk
    assert Journal.objects.filter(resolves__isnull=False).count() == 2
    with pytest.raises(IdempotencyConflict):
        batch_resolve([HoldResolution(key="post-a", pending=a, resolution="post", amount=1)])


def test_a_hold_resolved_under_another_key_refuses_the_whole_batch(chart, three):
    a, b, _ = three
    pending_void(key="void-a", pending=a)
    before = balance(chart.payable)
    with pytest.raises(PendingAlreadyResolved):
        batch_resolve([HoldResolution(key="post-b", pending=b, resolution="post"),
                       HoldResolution(key="post-a", pending=a, resolution="post")])
    assert balance(chart.payable) == before
    assert not Journal.objects.filter(idempotency_key="post-b").exists()


def test_refusals_before_writing(chart, three):
    a, _, _ = three
    plain = Journal.objects.get(idempotency_key="fund")
    for specs, message in [
        ([HoldResolution(key="x", pending=plain, resolution="post")], "is not pending"),
        ([HoldResolution(key="x", pending=999999, resolution="post")], "no journal"),
        ([HoldResolution(key="x", pending=a, resolution="post", amount=10_000_00)],
         "cannot post"),
        ([HoldResolution(key="x", pending=a, resolution="post"),
          HoldResolution(key="x", pending=a, resolution="void")], "same idempotency key"),
        ([HoldResolution(key="x", pending=a, resolution="keep")], "'post' or 'void'"),
    ]:
        with pytest.raises(InvalidJournal, match=message):
            batch_resolve(specs)
    assert batch_resolve([]) == []
