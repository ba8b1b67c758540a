"""programmes/, programmes/{code}/, fund/: who may, what is refused, budget from the ledger."""

import pytest

from tests.conftest import client_for
from tests.vouchers.conftest import check_books, programme_args, today

URL = "/api/v1/programmes/"


def body(**overrides) -> dict:
    args = programme_args()
    payload = {
        "code": "CS-2026X",
        "name": args["name"],
        "region_code": "430100",
        "year": args["year"],
        "application_opens": args["application_opens"].isoformat(),
        "application_closes": args["application_closes"].isoformat(),
        "valid_until": args["valid_until"].isoformat(),
        "claim_deadline": args["claim_deadline"].isoformat(),
        "enterprise_annual_cap": "50000.00",
        "provider_annual_cap": "100000.00",
        "ratios": {"high_tech": "0.40", "sme_tech": "0.50", "default": "0.30"},
        "categories": ["testing", "rd_design"],
        "partner_regions": ["420100"],
    }
    payload.update(overrides)
    return payload


def test_reviewer_creates_and_everyone_reads(reviewer, enterprise, provider, finance):
    response = client_for(reviewer).post(URL, body(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    for field in ["code", "name", "region_code", "year", "application_opens",
                  "application_closes", "valid_until", "claim_deadline",
                  "enterprise_annual_cap", "provider_annual_cap", "ratios", "categories",
                  "partner_regions", "budget"]:
        assert field in data
    assert data["id"] == data["code"] == "CS-2026X"
    assert data["ratios"] == {"high_tech": "0.40", "sme_tech": "0.50", "default": "0.30"}
    assert data["enterprise_annual_cap"] == "50000.00"
    assert data["budget"]["funded"] == data["budget"]["available"] == "0.00"
    for user in (enterprise, provider, finance):
        listed = client_for(user).get(URL).json()
        assert listed["count"] == 1 and listed["results"][0]["code"] == "CS-2026X"
        assert client_for(user).get(URL + "cs-2026x/").json()["code"] == "CS-2026X"


def test_only_reviewers_create(enterprise, finance, api_client):
    assert client_for(enterprise).post(URL, body(), format="json").status_code == 403
    assert client_for(finance).post(URL, body(), format="json").status_code == 403
    assert api_client.post(URL, body(), format="json").json()["code"] == "not_authenticated"


@pytest.mark.parametrize("overrides, field", [
    ({"code": "cs 2026"}, "code"),
    ({"region_code": "999999"}, "region_code"),
    ({"ratios": {"high_tech": "0.40", "sme_tech": "1.50", "default": "0.30"}}, "ratios"),
    ({"ratios": {"high_tech": "0.40", "sme_tech": "0.50"}}, "ratios"),
    ({"ratios": {"high_tech": 0.4, "sme_tech": "0.50", "default": "0.30"}}, "ratios"),
    ({"categories": []}, "categories"),
    ({"categories": ["astrology"]}, "categories"),
    ({"enterprise_annual_cap": "1e5"}, "enterprise_annual_cap"),
    ({"enterprise_annual_cap": 50000}, "enterprise_annual_cap"),
    ({"provider_annual_cap": "-1.00"}, "provider_annual_cap"),
    ({"provider_annual_cap": "0.00"}, "provider_annual_cap"),
    ({"partner_regions": ["430100"]}, "partner_regions"),
    ({"application_closes": "2000-01-01"}, "application_closes"),
])
def test_invalid_programmes(reviewer, overrides, field):
    response = client_for(reviewer).post(URL, body(**overrides), format="json")
    assert response.status_code == 400, response.json()
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "invalid"
    assert field in problem["errors"]


def test_duplicate_code_is_invalid(reviewer):
    client = client_for(reviewer)
    assert client.post(URL, body(), format="json").status_code == 201
    response = client.post(URL, body(code="cs-2026x"), format="json")
    assert response.status_code == 400 and "code" in response.json()["errors"]


def test_unknown_programme_is_not_found(enterprise):
    response = client_for(enterprise).get(URL + "NOPE-1/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_finance_funds_and_budget_reads_the_ledger(programme, finance, reviewer):
    response = client_for(finance).post(f"{URL}{programme.code}/fund/",
                                        {"amount": "250000.50"}, format="json")
    assert response.status_code == 200, response.json()
    budget = response.json()["budget"]
    assert budget["funded"] == "1250000.50" and budget["available"] == "1250000.50"
    assert sum(int(v.replace(".", "")) for k, v in budget.items() if k != "funded") == 125000050
    check_books(programme)
    denied = client_for(reviewer).post(f"{URL}{programme.code}/fund/", {"amount": "1.00"},
                                       format="json")
    assert denied.status_code == 403


@pytest.mark.parametrize("amount", ["0.00", "-5.00", "1.001", "NaN", "1e3", 100, "",
                                    "1234567890123.00"])
def test_fund_refuses_bad_amounts(programme, finance, amount):
    response = client_for(finance).post(f"{URL}{programme.code}/fund/", {"amount": amount},
                                        format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_fund_replay_with_idempotency_key_funds_once(programme, finance):
    client = client_for(finance)
    url = f"{URL}{programme.code}/fund/"
    first = client.post(url, {"amount": "1000.00"}, format="json", HTTP_IDEMPOTENCY_KEY="f-1")
    again = client.post(url, {"amount": "1000.00"}, format="json", HTTP_IDEMPOTENCY_KEY="f-1")
    assert first.json() == again.json()
    assert check_books(programme)["funded"] == 100100000
    assert today()  # calendar is Shanghai's
