"""Who may download which statement (SPEC §5): finance and auditors all; members only
their own organisation's statement; another organisation's is not_found."""

import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _urls(year):
    code = year.programme.code
    return [
        f"/api/v1/statements/payout-batch/{year.batch.public_id}.pdf",
        f"/api/v1/statements/programme/{code}/monthly.pdf?month=2026-01",
        f"/api/v1/statements/programme/{code}/budget-execution.pdf",
    ]


def test_members_and_reviewers_get_no_bureau_statements(year):
    for user in (year.provider_a, year.enterprise_a, year.reviewer):
        for url in _urls(year):
            response = client_for(user).get(url)
            assert response.status_code == 403, (user.role, url)
            assert response.json()["code"] == "permission_denied"


def test_anonymous_is_not_authenticated(year, api_client):
    for url in _urls(year):
        assert api_client.get(url).status_code == 401


def test_an_organisation_gets_only_its_own_statement(year):
    own = year.provider_a.organization
    other = year.provider_b.organization
    enterprise = year.enterprise_a.organization
    client = client_for(year.provider_a)
    assert client.get(f"/api/v1/statements/organization/{own.public_id}.pdf").status_code == 200
    for org in (other, enterprise):
        response = client.get(f"/api/v1/statements/organization/{org.public_id}.pdf")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    response = client_for(year.enterprise_a).get(
        f"/api/v1/statements/organization/{own.public_id}.pdf")
    assert response.status_code == 404


def test_finance_and_auditor_get_any_organisation(year):
    org = year.enterprise_b.organization
    for user in (year.finance, year.auditor):
        response = client_for(user).get(f"/api/v1/statements/organization/{org.public_id}.pdf")
        assert response.status_code == 200


def test_a_job_is_visible_to_its_issuer_and_the_bureaus_only(year, settings):
    settings.STATEMENT_ASYNC_ROWS = 0
    own = year.provider_a.organization
    response = client_for(year.provider_a).get(
        f"/api/v1/statements/organization/{own.public_id}.pdf")
    assert response.status_code == 202
    job = response.json()["job"]
    assert client_for(year.provider_a).get(job).status_code == 200
    assert client_for(year.auditor).get(job).status_code == 200
    assert client_for(year.provider_b).get(job).status_code == 404
