"""Large statements: 202 with a job URL, rendered on Celery (inline here: no broker),
progress recorded; chunks laid out in parallel still make one numbered document."""

import pytest

from reports.models import IssuedStatement
from tests.conftest import client_for
from tests.reports.conftest import assert_cjk_covered, pdf_text

pytestmark = pytest.mark.django_db


def test_past_the_threshold_the_answer_is_a_job(year, settings):
    settings.STATEMENT_ASYNC_ROWS = 1
    settings.STATEMENT_CHUNK_ROWS = 1  # two lines: two chunks, in two worker processes
    settings.STATEMENT_RENDER_WORKERS = 2
    client = client_for(year.finance)
    response = client.get(f"/api/v1/statements/payout-batch/{year.batch.public_id}.pdf")
    assert response.status_code == 202
    body = response.json()
    assert response["Location"] == body["job"]
    job = client.get(body["job"]).json()
    assert job["status"] == "ready" and job["progress"] == 100  # the task ran inline
    assert job["pages"] == 2
    pdf = client.get(job["pdf"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    pages = pdf_text(pdf.content)
    assert [f"第 {n} 页 共 2 页" in page for n, page in enumerate(pages, 1)] == [True, True]
    assert "壹万柒仟伍佰元壹角伍分" in pages[-1]
    assert "¥7,500.05" in pages[0] and "¥10,000.10" in pages[1]
    assert_cjk_covered(pdf.content)
    statement = IssuedStatement.objects.get(public_id=body["id"])
    assert statement.rows == 2 and statement.pdf_digest


def test_a_job_not_ready_has_no_pdf_yet(year, settings, monkeypatch):
    settings.STATEMENT_ASYNC_ROWS = 1
    monkeypatch.setattr("reports.tasks.statement_render_task.delay", lambda pk: None)
    client = client_for(year.finance)
    body = client.get(f"/api/v1/statements/payout-batch/{year.batch.public_id}.pdf").json()
    assert body["status"] == "pending" and body["pdf"] is None
    response = client.get(body["job"] + "pdf/")
    assert response.status_code == 409
    # the worker picks it up later
    from reports.tasks import statement_render_task
    statement_render_task(IssuedStatement.objects.get(public_id=body["id"]).pk)
    assert client.get(body["job"]).json()["status"] == "ready"
    assert client.get(body["job"] + "pdf/").status_code == 200


def test_a_client_asking_for_pdf_still_gets_the_job_as_json(year, settings, monkeypatch):
    settings.STATEMENT_ASYNC_ROWS = 1
    monkeypatch.setattr("reports.tasks.statement_render_task.delay", lambda pk: None)
    response = client_for(year.finance).get(
        f"/api/v1/statements/payout-batch/{year.batch.public_id}.pdf",
        HTTP_ACCEPT="application/pdf")
    assert response.status_code == 202
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "pending"


def test_a_browser_is_sent_to_the_page_that_follows_the_job(year, settings, monkeypatch):
    from django.test import Client

    settings.STATEMENT_ASYNC_ROWS = 1
    monkeypatch.setattr("reports.tasks.statement_render_task.delay", lambda pk: None)
    browser = Client()
    browser.force_login(year.finance)
    response = browser.get(f"/api/v1/statements/payout-batch/{year.batch.public_id}.pdf",
                           HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response.status_code == 303
    statement = IssuedStatement.objects.get()
    assert response["Location"] == f"/statements/jobs/{statement.public_id}/"
    page = browser.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' in page and 'data-job-status="pending"' in page
    from reports.tasks import statement_render_task
    statement_render_task(statement.pk)
    page = browser.get(response["Location"]).content.decode()
    assert 'data-job-status="ready"' in page and 'http-equiv="refresh"' not in page
    pdf = f"/api/v1/statements/jobs/{statement.public_id}/pdf/"
    assert pdf in page and browser.get(pdf).status_code == 200
    # someone else's job is not theirs to follow
    other = Client()
    other.force_login(year.provider_b)
    assert other.get(response["Location"]).status_code == 404


def test_a_code_is_verified_only_once_its_pdf_exists(year, settings, monkeypatch, api_client):
    settings.STATEMENT_ASYNC_ROWS = 1
    monkeypatch.setattr("reports.tasks.statement_render_task.delay", lambda pk: None)
    body = client_for(year.finance).get(
        f"/api/v1/statements/payout-batch/{year.batch.public_id}.pdf").json()
    verify = f"/api/v1/statements/verify/{body['verification_code']}/"
    assert api_client.get(verify).status_code == 404  # printed on no document yet
    from reports.tasks import statement_render_task
    statement_render_task(IssuedStatement.objects.get(public_id=body["id"]).pk)
    assert api_client.get(verify).status_code == 200
