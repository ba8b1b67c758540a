"""Unknown paths under /api/ answer problem details (`not_found`) with DEBUG on and off;
pages outside /api/ keep Django's HTML 404 (issue #14, item 4)."""

import pytest
from django.test import Client, override_settings
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory

UNKNOWN_API_PATHS = [
    "/api/v1/no-such-thing/",
    "/api/v1/no-such-thing",  # no slash, and no slash-ended route to redirect to
    "/api/v1/programmes/CS-2026/no-such-action/",
    "/api/v1/claims/not-a-uuid/confirm/x/",
    "/api/",
    "/api/v2/programmes/",
]


def _assert_problem_404(response, path):
    assert response.status_code == 404, path
    assert response["Content-Type"] == "application/problem+json", path
    body = response.json()
    assert (body["code"], body["status"]) == ("not_found", 404), path


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("path", UNKNOWN_API_PATHS)
def test_unknown_api_path_is_a_problem(path, debug):
    with override_settings(DEBUG=debug):
        for method in ("get", "post", "delete"):
            _assert_problem_404(getattr(Client(), method)(path), f"{method} {path}")


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_unknown_api_path_is_a_problem_for_a_signed_in_client(debug):
    token = Token.objects.create(user=UserFactory())
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT="text/html")
    with override_settings(DEBUG=debug):
        _assert_problem_404(client.get("/api/v1/no-such-thing/"), "signed in")


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_a_missing_slash_on_a_known_api_route_still_redirects(debug):
    with override_settings(DEBUG=debug):
        response = Client().get("/api/v1/programmes")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/programmes/"


@pytest.mark.django_db
def test_pages_outside_the_api_keep_djangos_html_404():
    with override_settings(DEBUG=False):
        page = Client().get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
    with override_settings(DEBUG=True):
        technical = Client().get("/no-such-page/")
    assert technical.status_code == 404
    assert technical["Content-Type"].startswith("text/html")
    assert b"Page not found" in technical.content  # Django's technical 404 page


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_an_api_views_own_not_found_is_unchanged(debug):
    token = Token.objects.create(user=UserFactory())
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    with override_settings(DEBUG=debug):
        response = client.get("/api/v1/programmes/NO-SUCH-CODE/")
    _assert_problem_404(response, "programme")
    assert response.json()["detail"] == "No such programme."  # the view's, not replaced
