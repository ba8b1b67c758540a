import pytest
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from accounts.models import Organization, Role
from accounts.permissions import IsEnterprise, role_required
from core.errors import DomainError
from tests.conftest import client_for
from tests.factories import registration_payload

pytestmark = pytest.mark.django_db


def test_member_of_a_pending_organisation_signs_in_and_reads_me(api_client):
    payload = registration_payload()
    api_client.post("/api/v1/organizations/register/", payload, format="json")

    token = api_client.post(
        "/api/v1/auth/token/",
        {"username": payload["username"], "password": payload["password"]},
        format="json",
    ).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api_client.get("/api/v1/me/")

    assert response.status_code == 200
    body = response.json()
    assert body["username"] == payload["username"]
    assert body["role"] == "enterprise"
    organization = body["organization"]
    assert organization["status"] == "pending"
    assert organization["uscc"] == payload["uscc"]
    assert set(organization) >= {"id", "kind", "name", "uscc", "region_code", "status"}
    assert payload["legal_representative_id"] not in response.content.decode()


class _EnterpriseOnly(APIView):
    permission_classes = [IsEnterprise]

    def get(self, request):
        return None


def test_role_required_refuses_a_pending_organisation_with_409(enterprise_user):
    enterprise_user.organization.status = Organization.Status.PENDING
    enterprise_user.organization.save()
    request = APIRequestFactory().get("/anything/")
    force_authenticate(request, user=enterprise_user)

    response = _EnterpriseOnly.as_view()(request)

    assert response.status_code == 409
    assert response.data["code"] == "organization_not_active"


def test_role_required_permission_class_directly(enterprise_user):
    permission = role_required(Role.ENTERPRISE)()
    request = APIRequestFactory().get("/anything/")
    request.user = enterprise_user
    assert permission.has_permission(request, None)
    enterprise_user.organization.status = Organization.Status.SUSPENDED
    with pytest.raises(DomainError) as exc:
        permission.has_permission(request, None)
    assert exc.value.code == "organization_not_active"
    request.user = enterprise_user
    assert not role_required(Role.PROVIDER)().has_permission(request, None)


def test_staff_me_has_no_organisation(reviewer):
    body = client_for(reviewer).get("/api/v1/me/").json()
    assert body["role"] == "reviewer"
    assert body["organization"] is None


def test_me_needs_authentication(api_client):
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
