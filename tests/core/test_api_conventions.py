"""Problem details, money input and Idempotency-Key, through test-only endpoints."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client, RequestFactory

from audit.models import AuditEvent
from core.idempotency import _digest
from core.models import IdempotencyRecord

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls")]


def post(client, path, body, **headers):
    return client.post(path, data=json.dumps(body), content_type="application/json", **headers)


@pytest.mark.parametrize("amount", [
    "1.001", "1e5", "NaN", "-1.00", "1000000000000.00", 15000, 15000.5, None, "", "abc",
])
def test_each_bad_amount_form_is_400_invalid(amount):
    response = post(Client(), "/echo/", {"amount": amount})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "invalid"
    assert body["status"] == 400
    assert set(body) >= {"type", "title", "status", "detail", "code", "errors"}
    assert "amount" in body["errors"]
    assert AuditEvent.objects.count() == 0  # nothing written


def test_missing_amount_is_invalid_with_field_error():
    body = post(Client(), "/echo/", {}).json()
    assert body["code"] == "invalid"
    assert "amount" in body["errors"]


def test_good_amount_comes_back_with_two_decimals():
    response = post(Client(), "/echo/", {"amount": "15000"})
    assert response.status_code == 201
    assert response.json()["amount"] == "15000.00"


def test_negative_amount_where_allowed():
    response = post(Client(), "/echo/", {"amount": "1.00", "delta": "-0.50"})
    assert response.status_code == 201


def test_malformed_json_is_invalid():
    response = Client().post("/echo/", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_domain_error_is_problem_details_with_extra_members():
    response = post(Client(), "/refuse/", {})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "budget_exhausted"
    assert body["detail"] == "Only 100.00 is available."
    assert body["available"] == "100.00"


def test_idempotent_replay_returns_first_response_and_changes_nothing():
    client = Client()
    first = post(client, "/echo/", {"amount": "10.00"}, HTTP_IDEMPOTENCY_KEY="k-1")
    replay = post(client, "/echo/", {"amount": "10.00"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action="test.echo").count() == 1


def test_same_key_with_another_body_is_422():
    client = Client()
    post(client, "/echo/", {"amount": "10.00"}, HTTP_IDEMPOTENCY_KEY="k-2")
    response = post(client, "/echo/", {"amount": "11.00"}, HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert AuditEvent.objects.filter(action="test.echo").count() == 1


def test_refusals_are_replayed_too():
    client = Client()
    first = post(client, "/refuse/", {}, HTTP_IDEMPOTENCY_KEY="k-3")
    again = post(client, "/refuse/", {}, HTTP_IDEMPOTENCY_KEY="k-3")
    assert first.status_code == again.status_code == 409
    assert again.json() == first.json()


def test_request_while_first_is_running_is_409_in_use():
    body = json.dumps({"amount": "1.00"})
    running_digest = _digest(RequestFactory().post("/echo/", body, content_type="application/json"))
    IdempotencyRecord.objects.create(
        principal="anon", key="k-4", request_digest=running_digest, method="POST", path="/echo/",
    )
    response = post(Client(), "/echo/", {"amount": "1.00"}, HTTP_IDEMPOTENCY_KEY="k-4")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_use"
    assert AuditEvent.objects.count() == 0


def test_a_failed_first_attempt_releases_the_key(monkeypatch):
    import tests.core.urls as views

    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(views, "audit_record", boom)
    client = Client(raise_request_exception=False)
    assert post(client, "/echo/", {"amount": "2.00"}, HTTP_IDEMPOTENCY_KEY="k-5").status_code == 500
    monkeypatch.undo()
    assert post(client, "/echo/", {"amount": "2.00"}, HTTP_IDEMPOTENCY_KEY="k-5").status_code == 201


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_run_the_view_once():
    results = []
    barrier = threading.Barrier(8)

    def worker():
        try:
            barrier.wait()
            response = post(Client(), "/echo/", {"amount": "5.00"}, HTTP_IDEMPOTENCY_KEY="k-race")
            results.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert AuditEvent.objects.filter(action="test.echo").count() == 1
    assert results.count(201) >= 1
    assert set(results) <= {201, 409}
