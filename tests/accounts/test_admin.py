import pytest

from tests.factories import OrganizationFactory, ShareholdingFactory, staff_user

pytestmark = pytest.mark.django_db


def test_admin_pages_render_for_an_admin(client):
    admin = staff_user("admin", is_staff=True, is_superuser=True)
    organization = OrganizationFactory()
    ShareholdingFactory(organization=organization)
    client.force_login(admin)
    for url in (
        "/admin/accounts/organization/",
        f"/admin/accounts/organization/{organization.pk}/change/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{admin.pk}/change/",
        "/admin/accounts/user/add/",
    ):
        assert client.get(url).status_code == 200, url


def test_bureau_users_cannot_open_the_admin(client):
    client.force_login(staff_user("reviewer"))
    response = client.get("/admin/accounts/organization/")
    assert response.status_code == 302
