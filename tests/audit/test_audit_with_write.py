"""`audit_record(writes=[…])`: the changes and their event together, or none of them.

On PostgreSQL the UPDATEs run inside the append's statement (one round trip for all);
elsewhere they run just before the append. Either way an UPDATE that finds no row raises
and the transaction keeps neither the changes nor the event.
"""

import pytest
from django.db import transaction

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record, audit_verify
from core import rows
from tests.factories import staff_user
from tests.round_trips import RoundTrips

pytestmark = pytest.mark.django_db


def test_the_write_and_the_event_are_both_kept():
    user = staff_user("reviewer")
    user.first_name = "张三"
    event = audit_record(actor="system", action="user.rename", object_type="user",
                         object_id=user.pk, after={"first_name": "张三"},
                         writes=[rows.Update(user, ["first_name"])])
    assert User.objects.get(pk=user.pk).first_name == "张三"
    assert AuditEvent.objects.get(pk=event.pk).after == {"first_name": "张三"}
    assert audit_verify().ok


def test_a_write_that_finds_no_row_keeps_nothing():
    user = staff_user("reviewer")
    events = AuditEvent.objects.count()
    ghost = User(pk=user.pk + 10_000, first_name="无此人")
    with pytest.raises(User.DoesNotExist), transaction.atomic():
        audit_record(actor="system", action="user.rename", object_type="user",
                     object_id=ghost.pk, writes=[rows.Update(ghost, ["first_name"])])
    assert AuditEvent.objects.count() == events
    assert audit_verify().ok


@pytest.mark.postgres
@pytest.mark.parametrize("prepared", [True, False])
def test_the_write_costs_no_round_trip_of_its_own(monkeypatch, settings, prepared):
    settings.LEDGER_PREPARED_STATEMENTS = prepared
    user = staff_user("reviewer")
    audit_record(actor="system", action="test.warm", object_type="t", object_id=0,
                 writes=[rows.Update(user, ["first_name"])])
    trips = RoundTrips(monkeypatch)
    for n in range(5):
        user.first_name = f"名{n}"
        audit_record(actor="system", action="user.rename", object_type="user",
                     object_id=user.pk, writes=[rows.Update(user, ["first_name"])])
    assert trips.count == 5
    assert User.objects.get(pk=user.pk).first_name == "名4"


def test_several_writes_are_all_kept_or_none():
    first, second = staff_user("reviewer"), staff_user("finance")
    first.first_name, second.first_name = "甲", "乙"
    audit_record(actor="system", action="users.rename", object_type="user", object_id=0,
                 writes=[rows.Update(first, ["first_name"]), rows.Update(second, ["first_name"])])
    assert [User.objects.get(pk=u.pk).first_name for u in (first, second)] == ["甲", "乙"]

    first.first_name = "丙"
    ghost = User(pk=second.pk + 10_000, first_name="无此人")
    events = AuditEvent.objects.count()
    with pytest.raises(User.DoesNotExist), transaction.atomic():
        audit_record(actor="system", action="users.rename", object_type="user", object_id=0,
                     writes=[rows.Update(first, ["first_name"]),
                             rows.Update(ghost, ["first_name"])])
    assert User.objects.get(pk=first.pk).first_name == "甲"
    assert AuditEvent.objects.count() == events
