import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from audit.services import audit_record, audit_verify
from core.append_only import set_maintenance

pytestmark = pytest.mark.django_db


def _three_events():
    for n in range(3):
        audit_record(actor="system", action="test.step", object_type="thing", object_id=n,
                     before={"n": n}, after={"n": n + 1})


def test_chain_of_fresh_events_verifies():
    _three_events()
    report = audit_verify()
    assert (report.ok, report.checked, report.first_bad) == (True, 3, None)


@pytest.mark.parametrize("statement", [
    "UPDATE audit_auditevent SET action = 'forged' WHERE seq = 2",
    "DELETE FROM audit_auditevent WHERE seq = 2",
])
def test_database_refuses_update_and_delete(statement):
    _three_events()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.get(seq=2).action == "test.step"


def _behind_the_applications_back(sql):
    """Edit the table with the protection trigger disabled, as an attacker with DB access would."""
    set_maintenance(True)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        set_maintenance(False)


def test_verifier_finds_an_altered_record():
    _three_events()
    _behind_the_applications_back(
        "UPDATE audit_auditevent SET after = '{\"n\": 99}' WHERE seq = 2"
    )
    report = audit_verify()
    assert (report.ok, report.first_bad) == (False, 2)


def test_verifier_finds_a_removed_record():
    _three_events()
    _behind_the_applications_back("DELETE FROM audit_auditevent WHERE seq = 2")
    report = audit_verify()
    assert (report.ok, report.first_bad) == (False, 3)


def test_verifier_finds_a_removed_last_record():
    _three_events()
    _behind_the_applications_back("DELETE FROM audit_auditevent WHERE seq = 3")
    assert audit_verify().ok is False


def test_verifier_finds_reordered_records():
    _three_events()
    _behind_the_applications_back(
        "UPDATE audit_auditevent SET seq = seq + 100 WHERE seq IN (1, 2)"
    )
    _behind_the_applications_back(
        "UPDATE audit_auditevent SET seq = CASE seq WHEN 101 THEN 2 ELSE 1 END "
        "WHERE seq IN (101, 102)"
    )
    report = audit_verify()
    assert report.ok is False
    assert report.first_bad == 1
