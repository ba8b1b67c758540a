"""Settlement through the public HTTP contract (SPEC §5): batches with four eyes, the
payment file, the bank file upload, exceptions, clawback; and who may do what."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import client_for
from tests.factories import member_user, staff_user
from tests.settlement.conftest import statement_csv

API = "/api/v1/"


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def problem(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code, response.json()
    return response.json()


def upload(client, content: bytes, name="statement.csv", **headers):
    return client.post(API + "bank-statements/",
                       {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
                       format="multipart", **headers)


@pytest.fixture
def clients(finance, finance2, reviewer):
    return client_for(finance), client_for(finance2), client_for(reviewer)


def test_a_batch_through_the_api(programme, approved, clients):
    finance, finance2, reviewer = clients
    batch = ok(finance.post(API + "payout-batches/", {"programme": programme.code},
                            format="json"), 201)
    assert (batch["status"], batch["total"], batch["programme"]) == (
        "draft", "10000.00", programme.code)
    assert sorted(line["amount"] for line in batch["lines"]) == ["2000.00", "8000.00"]
    line = next(line for line in batch["lines"] if line["amount"] == "8000.00")
    assert set(line) >= {"reference", "provider", "amount", "status", "claims"}
    assert len(line["claims"]) == 2 and line["status"] == "pending"

    problem(finance.get(API + f"payout-batches/{batch['id']}/payment-file/"), 409,
            "invalid_transition")
    problem(finance.post(API + f"payout-batches/{batch['id']}/approve/", {}, format="json"),
            409, "four_eyes_required")
    approved = ok(finance2.post(API + f"payout-batches/{batch['id']}/approve/", {},
                                format="json"))
    assert approved["status"] == "approved" and approved["approved_by"] != approved["built_by"]

    payment_file = finance.get(API + f"payout-batches/{batch['id']}/payment-file/")
    assert payment_file.status_code == 200 and payment_file["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(payment_file.content.decode("utf-8-sig"))))
    assert rows[0] == ["reference", "payee_name", "payee_account", "payee_bank", "amount"]
    assert sorted(row[4] for row in rows[1:]) == ["2000.00", "8000.00"]

    sent = ok(finance.post(API + f"payout-batches/{batch['id']}/send/", {}, format="json"))
    assert sent["status"] == "sent"
    problem(finance2.post(API + f"payout-batches/{batch['id']}/send/", {}, format="json"), 409,
            "invalid_transition")
    claim_id = line["claims"][0]
    assert ok(reviewer.get(API + f"claims/{claim_id}/"))["status"] == "in_payment"

    small = next(row for row in rows[1:] if row[4] == "2000.00")
    content = statement_csv([(row[0], row[4], "ok") for row in rows[1:]]
                            + [("UNKNOWN-REF", "1.00", "ok")])
    result = ok(upload(finance, content), 201)
    assert (result["matched"], result["returned"], result["exceptions"]) == (2, 0, 1)
    assert result["id"] and result["duplicate"] is False
    again = ok(upload(finance, content), 200)
    assert again["id"] == result["id"] and again["duplicate"] is True
    assert ok(finance.get(API + f"payout-batches/{batch['id']}/"))["status"] == "settled"
    assert ok(reviewer.get(API + f"claims/{claim_id}/"))["status"] == "paid"
    assert small[0].startswith("PL")

    exceptions = ok(finance.get(API + "reconciliation/exceptions/?status=open"))
    assert exceptions["count"] == 1
    exception = exceptions["results"][0]
    assert (exception["kind"], exception["bank_line"]["reference"]) == (
        "unknown_reference", "UNKNOWN-REF")
    problem(finance.post(API + f"reconciliation/exceptions/{exception['id']}/resolve/", {},
                         format="json"), 400, "invalid")
    resolved = ok(finance.post(API + f"reconciliation/exceptions/{exception['id']}/resolve/",
                               {"reason": "测试来款，已退回对方"}, format="json"))
    assert (resolved["status"], resolved["resolution"]) == ("resolved", "acknowledged")
    assert ok(finance.get(API + "reconciliation/exceptions/?status=open"))["count"] == 0

    clawback = ok(reviewer.post(API + f"claims/{claim_id}/clawback/",
                                {"reason": "虚假发票", "blacklist": False}, format="json"))
    assert clawback["status"] == "clawback_ordered"
    reference = clawback["clawback_reference"]
    assert reference and ok(reviewer.get(API + f"claims/{claim_id}/"))[
        "clawback_reference"] == reference
    repaid = ok(upload(finance, statement_csv([(reference, clawback["amount"], "ok")]),
                       "repayment.csv"), 201)
    assert repaid["matched"] == 1
    assert ok(reviewer.get(API + f"claims/{claim_id}/"))["status"] == "recovered"
    budget = ok(finance.get(API + f"programmes/{programme.code}/"))["budget"]
    funded = int(budget.pop("funded").replace(".", ""))
    assert funded == sum(int(v.replace(".", "")) for v in budget.values())
    assert budget["recovered"] == clawback["amount"]


def test_a_malformed_upload_is_refused_with_its_line(programme, approved, clients):
    finance, _, _ = clients
    content = statement_csv([("PL000001-0001", "1.00", "ok")]) + b"2026-12-05,X,1.00,62,maybe,\r\n"
    body = problem(upload(finance, content), 400, "invalid")
    assert (body["line"], body["column"]) == (3, "status")
    assert "line 3, column status" in body["errors"]["file"][0]
    problem(finance.post(API + "bank-statements/", {}, format="multipart"), 400, "invalid")
    assert ok(finance.get(API + "bank-statements/"))["count"] == 0


def test_an_upload_replayed_with_its_idempotency_key(programme, approved, clients):
    finance, _, _ = clients
    content = statement_csv([("NOPE", "1.00", "ok")])
    first = upload(finance, content, HTTP_IDEMPOTENCY_KEY="upload-1")
    replay = upload(finance, content, HTTP_IDEMPOTENCY_KEY="upload-1")
    assert first.status_code == replay.status_code == 201
    assert first.json() == replay.json()
    assert ok(finance.get(API + "bank-statements/"))["count"] == 1


def test_who_may_do_what(programme, approved, clients, provider, db):
    finance, _, reviewer = clients
    batch = ok(finance.post(API + "payout-batches/", {"programme": programme.code},
                            format="json"), 201)
    auditor = client_for(staff_user("auditor"))
    assert ok(auditor.get(API + f"payout-batches/{batch['id']}/"))["id"] == batch["id"]
    assert ok(auditor.get(API + "reconciliation/exceptions/"))["count"] == 0
    problem(auditor.post(API + f"payout-batches/{batch['id']}/approve/", {}, format="json"),
            403, "permission_denied")
    for client in (client_for(provider), reviewer):
        problem(client.get(API + "payout-batches/"), 403, "permission_denied")
        problem(client.post(API + "payout-batches/", {"programme": programme.code},
                            format="json"), 403, "permission_denied")
    problem(client_for(provider).post(API + "bank-statements/", {}, format="multipart"), 403,
            "permission_denied")
    problem(finance.get(API + "payout-batches/00000000-0000-0000-0000-000000000000/"), 404,
            "not_found")
    problem(finance.post(API + "payout-batches/", {"programme": "NOPE"}, format="json"), 404,
            "not_found")
    claim_id = batch["lines"][0]["claims"][0]
    problem(finance.post(API + f"claims/{claim_id}/clawback/", {"reason": "x"}, format="json"),
            403, "permission_denied")
    problem(reviewer.post(API + f"claims/{claim_id}/clawback/", {"reason": "x"}, format="json"),
            409, "invalid_transition")
    member = client_for(member_user(provider.organization))
    problem(member.get(API + f"payout-batches/{batch['id']}/payment-file/"), 403,
            "permission_denied")


def test_a_retried_upload_with_a_new_boundary_is_a_replay(programme, approved, clients):
    """A client retrying an upload sends the same file in a body with another random
    multipart boundary: still the same request for its Idempotency-Key."""
    from django.test.client import encode_multipart

    finance, _, _ = clients
    content = statement_csv([("NOPE", "1.00", "ok")])

    def send(boundary, file_content=content):
        body = encode_multipart(boundary, {"file": SimpleUploadedFile(
            "statement.csv", file_content, content_type="text/csv")})
        return finance.generic("POST", API + "bank-statements/", body,
                               content_type=f"multipart/form-data; boundary={boundary}",
                               HTTP_IDEMPOTENCY_KEY="upload-2")

    first, replay = send("BoundaryOne"), send("Boundary-Two-" + "x" * 20)
    assert first.status_code == replay.status_code == 201
    assert first.json() == replay.json()
    other = send("BoundaryThree", statement_csv([("NOPE", "2.00", "ok")]))
    problem(other, 422, "idempotency_key_reused")


def test_an_upload_larger_than_the_form_limit_is_accepted_with_a_key(
        programme, approved, clients, settings):
    """The key's digest does not read the body into memory (Django refuses that past
    DATA_UPLOAD_MAX_MEMORY_SIZE with an HTML 400); the file itself is allowed 20 MB."""
    finance, _, _ = clients
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    content = statement_csv([(f"NOPE{n}", "1.00", "ok") for n in range(100)])
    assert len(content) > 1024
    response = upload(finance, content, HTTP_IDEMPOTENCY_KEY="upload-big")
    assert response.status_code == 201, response.content[:200]
    assert response.json()["exceptions"] == 100
