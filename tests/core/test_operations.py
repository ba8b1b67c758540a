import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_answers_200_when_the_database_is_reachable():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_openapi_schema_and_docs_pages_are_served():
    client = Client()
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


@pytest.mark.django_db
def test_root_leads_a_visitor_to_the_sign_in_page():
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    page = Client().get(response["Location"])
    assert page.status_code == 200
    assert "登录" in page.content.decode()
    assert b"csrfmiddlewaretoken" in page.content


@pytest.mark.django_db
def test_sign_in_page_speaks_english_when_asked():
    page = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Sign in" in page.content.decode()


@pytest.mark.django_db
def test_unauthenticated_api_call_is_401_problem():
    response = Client().get("/api/v1/audit/verify/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_celery_task_runs_inline_without_a_broker(db):
    from core.tasks import ping

    assert ping.delay("hello").get(timeout=5) == {"payload": "hello", "database": True}


def _manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )


def test_production_settings_refuse_to_start_without_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", ALLOWED_HOSTS="example.org",
               IDENTITY_HASH_SALT="x" * 40)
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_pass_check_deploy():
    env = dict(os.environ)
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", ALLOWED_HOSTS="example.org",
               SECRET_KEY="k" * 60 + "-Prod-Secret-9", IDENTITY_HASH_SALT="x" * 40)
    result = _manage("check", "--deploy", "--tag", "security", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_unknown_api_path_is_a_problem_not_an_html_page():
    response = Client().get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_unexpected_api_error_is_a_problem_500():
    from django.test import RequestFactory

    from core.views import server_error

    response = server_error(RequestFactory().get("/api/v1/programmes/"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
