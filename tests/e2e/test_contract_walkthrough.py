"""A programme officer's year, driven only through the public HTTP contract (SPEC §5).

Registration → approval → programme → funding → application → voucher → claim →
confirmation (hold) → approval, with the budget identity, trial balance and audit chain
checked along the way. Uses only the paths and field names SPEC §5 fixes.
"""

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import make_resident_id, make_uscc

pytestmark = pytest.mark.django_db

API = "/api/v1/"


def staff(role):
    username = f"{role}-{uuid.uuid4().hex[:6]}"
    call_command("create_staff_user", username, "--role", role, "--password-stdin",
                 stdin=StringIO("Str0ng-pass-2026\n"), stdout=StringIO())
    return signed_in(username, "Str0ng-pass-2026")


def signed_in(username, password):
    client = APIClient()
    response = client.post(API + "auth/token/", {"username": username, "password": password},
                           format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION="Token " + response.json()["token"])
    return client


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def budget_identity_holds(budget):
    funded = budget.pop("funded")
    total = sum(int(value.replace(".", "")) for value in budget.values())
    return int(funded.replace(".", "")) == total


def register(kind, n, **extra):
    body = {
        "kind": kind, "name": f"{kind} {n}", "uscc": make_uscc(900 + n), "region_code": "430100",
        "username": f"{kind}{n}", "password": "Str0ng-pass-2026", "email": f"{kind}{n}@example.cn",
        "legal_representative_id": make_resident_id(200 + n), **extra,
    }
    return APIClient().post(API + "organizations/register/", body, format="json")


def test_a_voucher_year_through_the_public_api():
    today = timezone.localdate()
    reviewer, finance, auditor = staff("reviewer"), staff("finance"), staff("auditor")

    # Registration: both start pending; a pending member may sign in but not act.
    enterprise_org = ok(register("enterprise", 1, sme_tech_number="2026430100A00001",
                                 sme_tech_year=today.year), 201)
    provider_org = ok(register("provider", 2, categories=["testing"], bank_account={
        "name": "provider 2", "bank": "中国银行长沙分行", "number": "6216600000000002"}), 201)
    assert enterprise_org["status"] == provider_org["status"] == "pending"
    assert set(enterprise_org) >= {"id", "kind", "name", "uscc", "region_code", "status"}
    enterprise = signed_in("enterprise1", "Str0ng-pass-2026")
    provider = signed_in("provider2", "Str0ng-pass-2026")
    assert ok(enterprise.get(API + "me/"))["organization"]["status"] == "pending"
    refused = enterprise.post(API + "applications/", {
        "programme": "CS-NONE", "amount": "1.00", "purpose": "x"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "organization_not_active")
    for org in (enterprise_org, provider_org):
        approved = ok(reviewer.post(API + f"organizations/{org['id']}/approve/",
                                    {"reason": "材料齐全"}, format="json"))
        assert approved["status"] == "active"

    # Programme and funding.
    programme = ok(reviewer.post(API + "programmes/", {
        "code": "CS-E2E", "name": "长沙科技创新券", "region_code": "430100", "year": today.year,
        "application_opens": str(today - timedelta(days=1)),
        "application_closes": str(today + timedelta(days=30)),
        "valid_until": str(today + timedelta(days=90)),
        "claim_deadline": str(today + timedelta(days=120)),
        "enterprise_annual_cap": "200000.00", "provider_annual_cap": "1000000.00",
        "ratios": {"high_tech": "0.40", "sme_tech": "0.50", "default": "0.30"},
        "categories": ["testing", "rd_design"], "partner_regions": ["420100"],
    }, format="json"), 201)
    assert programme["budget"]["funded"] == "0.00"
    funded = ok(finance.post(API + "programmes/CS-E2E/fund/", {"amount": "1000000.00"},
                             format="json", HTTP_IDEMPOTENCY_KEY="fund-1"))
    replay = finance.post(API + "programmes/CS-E2E/fund/", {"amount": "1000000.00"},
                          format="json", HTTP_IDEMPOTENCY_KEY="fund-1")
    assert replay.json() == funded
    assert finance.post(API + "programmes/CS-E2E/fund/", {"amount": "5.00"}, format="json",
                        HTTP_IDEMPOTENCY_KEY="fund-1").status_code == 422
    assert funded["budget"]["funded"] == funded["budget"]["available"] == "1000000.00"

    # Application and issuance.
    application = ok(enterprise.post(API + "applications/", {
        "programme": "CS-E2E", "amount": "20000.00", "purpose": "产品检测"}, format="json"), 201)
    assert application["status"] == "submitted"
    approved = ok(reviewer.post(API + f"applications/{application['id']}/approve/", {},
                                format="json"))
    voucher = approved["voucher"]
    assert approved["status"] == "approved"
    assert {k: voucher[k] for k in ("face_value", "available", "held", "spent", "status")} == {
        "face_value": "20000.00", "available": "20000.00", "held": "0.00", "spent": "0.00",
        "status": "active"}
    assert set(voucher) >= {"code", "programme", "enterprise", "valid_until"}

    # A claim for 40,000.00 of testing at the SME ratio 0.50: subsidy 15,000.00 is allowed.
    claim_body = {
        "voucher": voucher["code"].lower(), "category": "testing", "contract_number": "HT-001",
        "contract_date": str(today), "invoice_number": "INV-0001",
        "invoice_amount": "40000.00", "amount": "15000.00",
    }
    claim = ok(provider.post(API + "claims/", claim_body, format="json"), 201)
    assert claim["status"] == "pending_confirmation"
    assert claim["amount"] == "15000.00"
    duplicate = provider.post(API + "claims/", claim_body, format="json")
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "duplicate_invoice")
    assert duplicate["Content-Type"] == "application/problem+json"

    confirmed = ok(enterprise.post(API + f"claims/{claim['id']}/confirm/", {}, format="json"))
    assert confirmed["status"] == "confirmed"
    held = ok(enterprise.get(API + f"vouchers/{voucher['code']}/"))
    assert (held["available"], held["held"]) == ("5000.00", "15000.00")

    assert ok(reviewer.post(API + f"claims/{claim['id']}/approve/", {},
                            format="json"))["status"] == "approved"
    spent = ok(enterprise.get(API + f"vouchers/{voucher['code']}/"))
    assert (spent["available"], spent["held"], spent["spent"]) == ("5000.00", "0.00", "15000.00")

    budget = ok(finance.get(API + "programmes/CS-E2E/"))["budget"]
    assert budget["available"] == "980000.00"
    assert budget_identity_holds(budget)

    # Scoping: other organisations' objects are not_found.
    other_org = ok(register("enterprise", 3, sme_tech_number="2026430100A00003",
                            sme_tech_year=today.year), 201)
    ok(reviewer.post(API + f"organizations/{other_org['id']}/approve/", {}, format="json"))
    other = signed_in("enterprise3", "Str0ng-pass-2026")
    for path in (f"organizations/{enterprise_org['id']}/", f"applications/{application['id']}/",
                 f"vouchers/{voucher['code']}/", f"claims/{claim['id']}/"):
        response = other.get(API + path)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), path
    assert provider.get(API + f"organizations/{enterprise_org['id']}/").status_code == 404

    # The books and the audit trail.
    trial = ok(auditor.get(API + "ledger/trial-balance/"))
    assert trial["total_debits"] == trial["total_credits"]
    assert {row["type"] for row in trial["by_type"]} >= {"pool", "voucher"}
    assert ok(finance.get(API + "ledger/accounts/"))["count"] > 0
    verify = ok(auditor.get(API + "audit/verify/"))
    assert verify["ok"] is True
    assert verify["checked"] > 10
    assert verify["first_bad"] is None
    events = ok(auditor.get(API + "audit/events/"))
    assert events["count"] == verify["checked"]
    assert reviewer.get(API + "audit/verify/").status_code == 403
