from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from tests.factories import UserFactory

URL = "/api/v1/auth/token/"
PASSWORD = "correct-horse-9"  # UserFactory's

pytestmark = pytest.mark.django_db


def _sign_in(client, username, password):
    return client.post(URL, {"username": username, "password": password}, format="json")


def test_token_for_good_credentials_and_it_authenticates(api_client, enterprise_user):
    response = _sign_in(api_client, enterprise_user.username, PASSWORD)
    assert response.status_code == 200
    token = response.json()["token"]
    assert _sign_in(api_client, enterprise_user.username, PASSWORD).json()["token"] == token

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/me/").json()["username"] == enterprise_user.username


def test_bad_credentials_are_a_problem_document(api_client, enterprise_user):
    for username in (enterprise_user.username, "nobody"):
        response = _sign_in(api_client, username, "wrong-password")
        assert response.status_code == 400
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["code"] == "invalid"
    assert _sign_in(api_client, "", "").json()["code"] == "invalid"


def test_a_stale_token_header_does_not_block_signing_in(api_client, enterprise_user):
    api_client.credentials(HTTP_AUTHORIZATION="Token deadbeef")
    assert _sign_in(api_client, enterprise_user.username, PASSWORD).status_code == 200


def test_lock_after_five_failures_even_with_the_right_password(api_client, settings):
    user = UserFactory()
    for attempt in range(1, settings.LOGIN_FAILURE_LIMIT):
        assert _sign_in(api_client, user.username, "wrong").status_code == 400
        user.refresh_from_db()
        assert user.failed_logins == attempt
    fifth = _sign_in(api_client, user.username, "wrong")
    assert fifth.status_code == 403
    assert fifth.json()["code"] == "account_locked"

    response = _sign_in(api_client, user.username, PASSWORD)
    assert response.status_code == 403
    assert response.json()["code"] == "account_locked"
    user.refresh_from_db()
    assert user.locked_until > timezone.now() + timedelta(
        seconds=settings.LOGIN_LOCK_SECONDS - 60
    )
    assert AuditEvent.objects.filter(action="user.locked", object_id=user.username).count() == 1


def test_the_lock_expires(api_client, settings):
    user = UserFactory()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _sign_in(api_client, user.username, "wrong")
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert _sign_in(api_client, user.username, PASSWORD).status_code == 200
    user.refresh_from_db()
    assert user.failed_logins == 0
    assert user.locked_until is None


def test_success_resets_the_counter(api_client, settings):
    user = UserFactory()
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        _sign_in(api_client, user.username, "wrong")
    assert _sign_in(api_client, user.username, PASSWORD).status_code == 200
    user.refresh_from_db()
    assert user.failed_logins == 0
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        _sign_in(api_client, user.username, "wrong")
    assert _sign_in(api_client, user.username, PASSWORD).status_code == 200


def test_inactive_user_cannot_sign_in(api_client):
    user = UserFactory(is_active=False)
    assert _sign_in(api_client, user.username, PASSWORD).status_code == 400


def test_web_login_refuses_a_locked_account_and_shows_an_error(client, settings):
    user = UserFactory()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200  # the form again, not a redirect
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_sign_in_form_names_the_lock(rf, settings):
    from accounts.forms import SignInForm

    user = UserFactory()
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() + timedelta(minutes=10))
    form = SignInForm(rf.post("/"), data={"username": user.username, "password": PASSWORD})
    assert not form.is_valid()
    assert form.non_field_errors().as_data()[0].code == "account_locked"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_are_all_counted(settings):
    from concurrent.futures import ThreadPoolExecutor

    from django.contrib.auth import authenticate
    from django.db import connection

    user = UserFactory()

    def attempt(_):
        try:
            return authenticate(None, username=user.username, password="wrong")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert not any(pool.map(attempt, range(settings.LOGIN_FAILURE_LIMIT)))
    user.refresh_from_db()
    assert user.locked_until is not None
    assert authenticate(None, username=user.username, password=PASSWORD) is None
