"""`audit_record(write=…)`: the change and its event together, or neither.

On PostgreSQL the UPDATE runs inside the append's statement (one round trip for both);
elsewhere it runs just before the append. Either way an UPDATE that finds no row raises
and the transaction keeps neither the change nor the event.
"""

import pytest
from django.db import transaction

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record, audit_verify
from core import rows
from tests.audit.test_audit_append import _RoundTrips
from tests.factories import staff_user

pytestmark = pytest.mark.django_db


def test_the_write_and_the_event_are_both_kept():
    user = staff_user("reviewer")
    user.first_name = "张三"
    event = audit_record(actor="system", action="user.rename", object_type="user",
                         object_id=user.pk, after={"first_name": "张三"},
                         write=rows.Update(user, ["first_name"]))
    assert User.objects.get(pk=user.pk).first_name == "张三"
    assert AuditEvent.objects.get(pk=event.pk).after == {"first_name": "张三"}
    assert audit_verify().ok


def test_a_write_that_finds_no_row_keeps_nothing():
    user = staff_user("reviewer")
    events = AuditEvent.objects.count()
    ghost = User(pk=user.pk + 10_000, first_name="无此人")
    with pytest.raises(User.DoesNotExist), transaction.atomic():
        audit_record(actor="system", action="user.rename", object_type="user",
                     object_id=ghost.pk, write=rows.Update(ghost, ["first_name"]))
    assert AuditEvent.objects.count() == events
    assert audit_verify().ok


@pytest.mark.postgres
@pytest.mark.parametrize("prepared", [True, False])
def test_the_write_costs_no_round_trip_of_its_own(monkeypatch, settings, prepared):
    settings.LEDGER_PREPARED_STATEMENTS = prepared
    user = staff_user("reviewer")
    audit_record(actor="system", action="test.warm", object_type="t", object_id=0,
                 write=rows.Update(user, ["first_name"]))
    trips = _RoundTrips(monkeypatch)
    for n in range(5):
        user.first_name = f"名{n}"
        audit_record(actor="system", action="user.rename", object_type="user",
                     object_id=user.pk, write=rows.Update(user, ["first_name"]))
    assert trips.count == 5
    assert User.objects.get(pk=user.pk).first_name == "名4"
