import pytest

from accounts.models import Organization
from tests.conftest import client_for
from tests.factories import OrganizationFactory, ProviderFactory, member_user

pytestmark = pytest.mark.django_db
LIST = "/api/v1/organizations/"


def test_staff_see_every_organisation_and_filter(reviewer, auditor):
    OrganizationFactory()
    OrganizationFactory(status=Organization.Status.PENDING, region_code="430104")
    ProviderFactory(region_code="420100")

    for user in (reviewer, auditor):
        body = client_for(user).get(LIST).json()
        assert body["count"] == 3
        assert set(body) >= {"count", "next", "previous", "results"}

    client = client_for(reviewer)
    assert client.get(LIST, {"kind": "provider"}).json()["count"] == 1
    assert client.get(LIST, {"status": "pending"}).json()["count"] == 1
    assert client.get(LIST, {"region_code": "420100"}).json()["count"] == 1
    assert client.get(LIST, {"kind": "bank"}).status_code == 400


def test_members_see_only_their_own(provider_user):
    OrganizationFactory()
    body = client_for(provider_user).get(LIST).json()
    assert body["count"] == 1
    assert body["results"][0]["id"] == str(provider_user.organization.public_id)
    assert body["results"][0]["bank_account"]["number"]


def test_another_organisations_object_is_not_found(enterprise_user):
    other = OrganizationFactory()
    client = client_for(enterprise_user)

    response = client.get(f"{LIST}{other.public_id}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"

    own = client.get(f"{LIST}{enterprise_user.organization.public_id}/")
    assert own.status_code == 200
    assert own.json()["name"] == enterprise_user.organization.name


def test_pending_member_may_read_own_organisation():
    organization = OrganizationFactory(status=Organization.Status.PENDING)
    response = client_for(member_user(organization)).get(f"{LIST}{organization.public_id}/")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"


def test_malformed_id_is_not_found(reviewer):
    response = client_for(reviewer).get(f"{LIST}not-a-uuid/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_anonymous_is_not_authenticated(api_client):
    assert api_client.get(LIST).json()["code"] == "not_authenticated"


def test_list_query_count_does_not_grow(reviewer, django_assert_max_num_queries):
    for _ in range(5):
        OrganizationFactory()
    client = client_for(reviewer)
    with django_assert_max_num_queries(4):
        client.get(LIST)
