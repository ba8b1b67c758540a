"""Session sign-in through the page, CSRF-protected."""

from django.test import Client

from tests.factories import OrganizationFactory, member_user


def test_sign_in_form_refuses_a_post_without_the_csrf_token(db):
    member_user(OrganizationFactory(), username="alice")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/",
                           {"username": "alice", "password": "correct-horse-9"})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_sign_in_with_the_csrf_token_leads_to_the_start_page(db):
    member_user(OrganizationFactory(), username="alice")
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    response = client.post("/accounts/login/", {
        "username": "alice", "password": "correct-horse-9", "csrfmiddlewaretoken": token,
    }, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "我的创新券" in response.content.decode()


def test_action_forms_are_csrf_protected_too(db):
    from django.urls import reverse

    from tests.factories import staff_user

    reviewer = staff_user("reviewer")
    org = OrganizationFactory(status="pending")
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    response = client.post(reverse("reviewer-organization-action",
                                   args=[org.public_id, "approve"]))
    assert response.status_code == 403
    org.refresh_from_db()
    assert org.status == "pending"
