"""The auditor's guarantee with lanes (ADR 0008): any edited, removed, reordered or moved
event is found, in whichever lane it sits, on SQLite and PostgreSQL.

Chains over several lanes are written through the ORM path with the lane forced
(`services._orm_append(..., lane=n)`): in production a transaction's lane comes from its
transaction id (PostgreSQL) or is 0 (SQLite), and these tests run in one transaction.
"""

from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit import services
from audit.chain import GENESIS_HASH
from audit.models import AuditChainHead, AuditEvent
from audit.services import audit_record, audit_verify
from core.append_only import set_maintenance
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

# The lanes of the events _multi_lane_chain writes, in writing (id) order.
LANES = [0, 1, 0, 2, 1, 0, 2, 1, 0]


def _three_events():
    return [
        audit_record(actor="system", action="test.step", object_type="thing", object_id=n,
                     before={"n": n}, after={"n": n + 1})
        for n in range(3)
    ]


def _append(lane: int, n: int) -> AuditEvent:
    fields = {
        "occurred_at": datetime.now(UTC), "actor_id": None, "actor": "system",
        "action": "test.step", "object_type": "thing", "object_id": str(n),
        "before": {"n": n}, "after": {"n": n + 1},
    }
    return services._orm_append(fields, lane=lane)


def _multi_lane_chain() -> dict[int, list[AuditEvent]]:
    """Events in lanes 0, 1 and 2, interleaved; returns each lane's events in seq order."""
    by_lane: dict[int, list[AuditEvent]] = {}
    for n, lane in enumerate(LANES):
        by_lane.setdefault(lane, []).append(_append(lane, n))
    return by_lane


def _behind_the_applications_back(*statements):
    """Edit the table with the protection trigger disabled, as an attacker with DB access would."""
    set_maintenance(True)
    try:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
    finally:
        set_maintenance(False)


def _report():
    report = audit_verify()
    return report.ok, report.first_bad, report.lane, report.reason


def test_chain_of_fresh_events_verifies():
    _three_events()
    report = audit_verify()
    assert (report.ok, report.checked, report.first_bad) == (True, 3, None)


def test_a_chain_over_several_lanes_verifies():
    by_lane = _multi_lane_chain()
    assert [e.seq for e in by_lane[1]] == [1, 2, 3]  # seq counts within the lane
    assert by_lane[1][0].prev_hash == GENESIS_HASH
    assert by_lane[1][1].prev_hash == by_lane[1][0].hash
    report = audit_verify()
    assert (report.ok, report.checked, report.first_bad) == (True, len(LANES), None)
    for lane, events in by_lane.items():
        head = AuditChainHead.objects.get(lane=lane)
        assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)


def test_events_of_one_transaction_share_its_lane():
    events = _three_events()
    assert len({e.lane for e in events}) == 1
    assert [e.seq for e in events] == [1, 2, 3]
    if connection.vendor == "sqlite":
        assert events[0].lane == 0


@pytest.mark.parametrize("statement", [
    "UPDATE audit_auditevent SET action = 'forged' WHERE id = {id}",
    "UPDATE audit_auditevent SET lane = lane + 1 WHERE id = {id}",
    "DELETE FROM audit_auditevent WHERE id = {id}",
])
def test_database_refuses_update_and_delete(statement):
    """The append-only triggers survive migration 0004 (SQLite's table rebuilds drop them)."""
    event = _three_events()[1]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(id=event.id))
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.lane) == ("test.step", event.lane)


def test_verifier_finds_an_altered_record():
    event = _three_events()[1]
    _behind_the_applications_back(
        f"UPDATE audit_auditevent SET after = '{{\"n\": 99}}' WHERE id = {event.id}"
    )
    assert _report() == (False, event.id, event.lane, "content does not match its hash")


def test_verifier_finds_an_altered_record_in_any_lane():
    event = _multi_lane_chain()[2][1]
    _behind_the_applications_back(
        f"UPDATE audit_auditevent SET actor = 'forged' WHERE id = {event.id}"
    )
    assert _report() == (False, event.id, 2, "content does not match its hash")


def test_verifier_finds_a_removed_record():
    events = _multi_lane_chain()[0]
    _behind_the_applications_back(f"DELETE FROM audit_auditevent WHERE id = {events[1].id}")
    assert _report() == (False, events[2].id, 0, "sequence gap: expected 2, found 3")


def test_verifier_finds_a_removed_last_record():
    events = _three_events()
    _behind_the_applications_back(f"DELETE FROM audit_auditevent WHERE id = {events[2].id}")
    assert _report() == (False, events[1].id, events[1].lane,
                         "events after the last one present were removed")


def test_verifier_finds_the_removed_last_record_of_one_lane():
    """The other lanes go on; the lane's head row still remembers its last seq and hash."""
    by_lane = _multi_lane_chain()
    _append(0, 100)  # lane 0 moves on after lane 1's last event
    last = by_lane[1][-1]
    _behind_the_applications_back(f"DELETE FROM audit_auditevent WHERE id = {last.id}")
    report = audit_verify()
    assert (report.ok, report.first_bad, report.lane) == (False, by_lane[1][-2].id, 1)
    assert report.reason == "events after the last one present were removed"
    assert report.checked == len(LANES)  # every event left was checked


def test_verifier_finds_a_lane_whose_events_were_all_removed():
    by_lane = _multi_lane_chain()
    ids = ", ".join(str(e.id) for e in by_lane[2])
    _behind_the_applications_back(f"DELETE FROM audit_auditevent WHERE id IN ({ids})")
    assert _report() == (False, None, 2, "events after the last one present were removed")


def test_verifier_finds_reordered_records():
    events = _three_events()
    first, second = events[0].id, events[1].id
    # Swap the first two events' places in their lane (in two steps: (lane, seq) is unique).
    _behind_the_applications_back(
        f"UPDATE audit_auditevent SET seq = seq + 100 WHERE id IN ({first}, {second})",
        "UPDATE audit_auditevent SET seq = CASE seq WHEN 101 THEN 2 ELSE 1 END "
        f"WHERE id IN ({first}, {second})",
    )
    report = audit_verify()
    assert report.ok is False
    assert report.first_bad == second  # now first in its lane, it does not link to genesis
    assert report.reason == "link to the previous event is broken"


def test_verifier_finds_reordered_records_in_the_listing():
    """Swapping two events' ids (the listing's order) keeps every hash and link intact."""
    events = _multi_lane_chain()[1]
    a, b = events[0].id, events[1].id
    _behind_the_applications_back(
        f"UPDATE audit_auditevent SET id = -1 WHERE id = {a}",
        f"UPDATE audit_auditevent SET id = {a} WHERE id = {b}",
        f"UPDATE audit_auditevent SET id = {b} WHERE id = -1",
    )
    ok, first_bad, lane, reason = _report()
    assert (ok, first_bad, lane) == (False, a, 1)  # the second in the lane now has id a
    assert reason.startswith("out of order")


def test_verifier_finds_a_record_moved_to_another_lane():
    """The lane is not hashed: the move breaks the lane it left and the lane it joined."""
    by_lane = _multi_lane_chain()
    moved = by_lane[0][1]
    _behind_the_applications_back(
        f"UPDATE audit_auditevent SET lane = 1, seq = {len(by_lane[1]) + 1} WHERE id = {moved.id}"
    )
    report = audit_verify()
    assert report.ok is False
    # Lane 0: the next event finds a gap; lane 1: the moved event links elsewhere. The
    # smaller id of the two is reported.
    assert (report.first_bad, report.lane) == (moved.id, 1)
    assert report.reason == "link to the previous event is broken"


def test_verifier_finds_a_lane_opening_event_moved_to_an_empty_lane():
    """A first event links to genesis wherever it goes: the heads give the move away."""
    by_lane = _multi_lane_chain()
    moved = by_lane[2][0]
    _behind_the_applications_back(f"UPDATE audit_auditevent SET lane = 7 WHERE id = {moved.id}")
    report = audit_verify()
    assert report.ok is False
    assert (report.first_bad, report.lane) == (moved.id, 7)
    assert report.reason == "the lane's head does not match its last event"


def test_verifier_reports_the_smallest_bad_id_across_lanes():
    by_lane = _multi_lane_chain()
    early, late = by_lane[1][0], by_lane[0][-1]
    assert early.id < late.id
    _behind_the_applications_back(
        f"UPDATE audit_auditevent SET actor = 'forged' WHERE id IN ({early.id}, {late.id})"
    )
    assert _report()[:3] == (False, early.id, 1)


def test_verifier_finds_a_rewound_head():
    events = _three_events()
    AuditChainHead.objects.filter(lane=events[0].lane).update(seq=2, hash=events[1].hash)
    assert _report() == (False, events[2].id, events[2].lane,
                         "the lane's head does not match its last event")


def test_verify_command_names_the_event_and_its_lane():
    by_lane = _multi_lane_chain()
    bad = by_lane[1][1]
    call_command("audit_verify")
    _behind_the_applications_back(f"UPDATE audit_auditevent SET actor = 'x' WHERE id = {bad.id}")
    with pytest.raises(CommandError, match=rf"event #{bad.id} \(lane 1: content does not"):
        call_command("audit_verify")


def test_api_lists_events_by_id_with_lane_and_seq(auditor):
    by_lane = _multi_lane_chain()
    client = client_for(auditor)
    listed = client.get("/api/v1/audit/events/?page_size=100").json()["results"]
    ids = [row["id"] for row in listed]
    assert ids == sorted(ids) == sorted(e.id for events in by_lane.values() for e in events)
    assert [row["lane"] for row in listed] == LANES
    second_of_lane_1 = next(row for row in listed if row["id"] == by_lane[1][1].id)
    assert (second_of_lane_1["lane"], second_of_lane_1["seq"]) == (1, 2)

    verify = client.get("/api/v1/audit/verify/").json()
    assert (verify["ok"], verify["checked"], verify["first_bad"]) == (True, len(LANES), None)
    bad = by_lane[2][0]
    _behind_the_applications_back(f"UPDATE audit_auditevent SET actor = 'x' WHERE id = {bad.id}")
    verify = client.get("/api/v1/audit/verify/").json()
    assert (verify["ok"], verify["first_bad"], verify["lane"]) == (False, bad.id, 2)
