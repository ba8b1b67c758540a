import pytest

from accounts.models import Organization
from accounts.permissions import ensure_active_member
from accounts.services import (
    STATUS_TRANSITIONS,
    organization_approve,
    organization_blacklist,
    organization_change_status,
    organization_suspend,
)
from audit.models import AuditEvent
from audit.services import audit_verify
from core.errors import DomainError
from tests.conftest import client_for
from tests.factories import OrganizationFactory, member_user, registration_payload

pytestmark = pytest.mark.django_db
Status = Organization.Status


def test_registration_then_approval_by_a_reviewer(api_client, reviewer):
    created = api_client.post(
        "/api/v1/organizations/register/", registration_payload(), format="json"
    ).json()
    assert created["status"] == "pending"

    response = client_for(reviewer).post(
        f"/api/v1/organizations/{created['id']}/approve/", {"reason": "材料齐全"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "active"
    assert response.json()["status_reason"] == "材料齐全"
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.action for e in events] == ["organization.registered", "organization.approved"]
    approved = events[1]
    assert approved.actor == reviewer.username
    assert approved.object_id == created["id"]
    assert approved.before["status"] == "pending"
    assert approved.after["status"] == "active"
    assert audit_verify().ok


def test_suspend_needs_a_reason_and_a_reviewer(reviewer, finance):
    organization = OrganizationFactory(status=Status.ACTIVE)
    url = f"/api/v1/organizations/{organization.public_id}/suspend/"

    assert client_for(finance).post(url, {"reason": "x"}, format="json").status_code == 403
    response = client_for(reviewer).post(url, {}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]

    response = client_for(reviewer).post(url, {"reason": "年报未报送"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "suspended"


def test_members_cannot_approve_even_their_own(enterprise_user):
    organization = enterprise_user.organization
    organization.status = Status.PENDING
    organization.save()
    response = client_for(enterprise_user).post(
        f"/api/v1/organizations/{organization.public_id}/approve/", {}, format="json"
    )
    assert response.status_code in (403, 409)
    organization.refresh_from_db()
    assert organization.status == Status.PENDING


def test_illegal_move_is_invalid_transition(reviewer):
    organization = OrganizationFactory(status=Status.PENDING)
    response = client_for(reviewer).post(
        f"/api/v1/organizations/{organization.public_id}/suspend/", {"reason": "x"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert not AuditEvent.objects.exists()


def test_unknown_organisation_is_not_found(reviewer):
    client = client_for(reviewer)
    url = "/api/v1/organizations/00000000-0000-0000-0000-000000000000/approve/"
    assert client.post(url, {}, format="json").json()["code"] == "not_found"
    assert client.post("/api/v1/organizations/nope/approve/", {}, format="json").status_code == 404


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        (Status.PENDING, "approve", Status.ACTIVE),
        (Status.SUSPENDED, "approve", Status.ACTIVE),
        (Status.ACTIVE, "suspend", Status.SUSPENDED),
        (Status.PENDING, "blacklist", Status.BLACKLISTED),
        (Status.ACTIVE, "blacklist", Status.BLACKLISTED),
        (Status.SUSPENDED, "blacklist", Status.BLACKLISTED),
    ],
)
def test_allowed_transitions(reviewer, start, action, end):
    organization = OrganizationFactory(status=start)
    result = organization_change_status(
        organization=organization, action=action, reason="理由", actor=reviewer
    )
    assert result.status == end
    assert organization.status == end  # the caller's instance follows
    organization.refresh_from_db()
    assert organization.status == end
    expected = {"approve": "approved", "suspend": "suspended", "blacklist": "blacklisted"}
    assert AuditEvent.objects.get().action == f"organization.{expected[action]}"


@pytest.mark.parametrize("action", ["approve", "suspend", "blacklist"])
@pytest.mark.parametrize("start", list(Status))
def test_everything_else_is_refused(reviewer, start, action):
    if (start, action) in STATUS_TRANSITIONS:
        return
    organization = OrganizationFactory(status=start)
    with pytest.raises(DomainError) as exc:
        organization_change_status(
            organization=organization, action=action, reason="理由", actor=reviewer
        )
    assert exc.value.code == "invalid_transition"
    organization.refresh_from_db()
    assert organization.status == start


def test_blacklist_service_and_blacklisted_member_is_refused(reviewer):
    organization = OrganizationFactory(status=Status.ACTIVE)
    member = member_user(organization)
    organization_blacklist(organization=organization, reason="科研失信", actor=reviewer)
    organization.refresh_from_db()
    assert organization.status == Status.BLACKLISTED
    assert organization.status_reason == "科研失信"
    with pytest.raises(DomainError) as exc:
        organization_approve(organization=organization, actor=reviewer)
    assert exc.value.code == "invalid_transition"
    member.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        ensure_active_member(member)
    assert exc.value.code == "blacklisted"


def test_suspend_service_requires_reason(reviewer):
    organization = OrganizationFactory(status=Status.ACTIVE)
    with pytest.raises(DomainError) as exc:
        organization_suspend(organization=organization, actor=reviewer, reason="  ")
    assert exc.value.code == "invalid"
