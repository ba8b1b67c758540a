"""GET /api/v1/ledger/accounts/, /accounts/{id}/, /trial-balance/ (finance and auditor)."""

from datetime import date

import pytest

from ledger.services import transfer
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(chart):
    transfer(key="fund", debit=chart.treasury, credit=chart.pool, amount=500_000_00,
             kind="appropriation", effective_date=date(2026, 3, 1))
    transfer(key="issue", debit=chart.pool, credit=chart.voucher, amount=15_000_00,
             kind="issue", effective_date=date(2026, 4, 1))
    transfer(key="hold", debit=chart.voucher, credit=chart.payable, amount=2_000_00,
             kind="claim.hold", pending=True, effective_date=date(2026, 4, 2))
    return chart


def test_accounts_list_is_paginated_with_balances_as_strings(books, finance):
    body = client_for(finance).get("/api/v1/ledger/accounts/").json()
    assert body["count"] == 5
    assert {"next", "previous", "results"} <= set(body)
    voucher = next(a for a in body["results"] if a["code"] == "voucher:CS2026A001")
    assert voucher["id"] == str(books.voucher.public_id)
    assert voucher["type"] == "voucher"
    assert voucher["balance"]["posted"] == "15000.00"
    assert voucher["balance"]["held"] == "2000.00"
    assert voucher["available"] == "13000.00"
    assert voucher["balance"]["debits_pending"] == "2000.00"


def test_accounts_filter_by_code_prefix_and_owner(books, auditor):
    client = client_for(auditor)
    codes = [a["code"] for a in client.get("/api/v1/ledger/accounts/?code_prefix=voucher:")
             .json()["results"]]
    assert codes == ["voucher:CS2026A001", "voucher:CS2026A002"]
    owned = client.get("/api/v1/ledger/accounts/?owner_ref=provider:lab-1").json()["results"]
    assert [a["code"] for a in owned] == ["payable:CS-2026:lab-1"]


def test_account_detail_now_and_as_of(books, finance):
    client = client_for(finance)
    url = f"/api/v1/ledger/accounts/{books.pool.public_id}/"
    now = client.get(url).json()
    assert now["posted"] == "485000.00"
    assert now["as_of"] is None
    before = client.get(url + "?as_of=2026-03-31").json()
    assert before["posted"] == "500000.00"
    assert before["as_of"] == "2026-03-31"
    empty = client.get(url + "?as_of=2026-01-01").json()
    assert empty["posted"] == "0.00"


def test_account_detail_errors(books, finance):
    client = client_for(finance)
    assert client.get("/api/v1/ledger/accounts/not-a-uuid/").json()["code"] == "not_found"
    missing = client.get("/api/v1/ledger/accounts/00000000-0000-0000-0000-000000000000/")
    assert missing.status_code == 404
    bad = client.get(f"/api/v1/ledger/accounts/{books.pool.public_id}/?as_of=2026-13-01")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"


def test_trial_balance(books, auditor):
    body = client_for(auditor).get("/api/v1/ledger/trial-balance/").json()
    assert body["total_debits"] == body["total_credits"] == "515000.00"
    assert body["balanced"] is True
    assert body["by_type"] == [
        {"type": "payable", "debits": "0.00", "credits": "0.00"},
        {"type": "pool", "debits": "15000.00", "credits": "500000.00"},
        {"type": "treasury", "debits": "500000.00", "credits": "0.00"},
        {"type": "voucher", "debits": "0.00", "credits": "15000.00"},
    ]
    assert body["total_debits_pending"] == body["total_credits_pending"] == "2000.00"
    march = client_for(auditor).get("/api/v1/ledger/trial-balance/?as_of=2026-03-31").json()
    assert march["total_debits"] == march["total_credits"] == "500000.00"
    assert "count" not in march


@pytest.mark.parametrize("path", [
    "/api/v1/ledger/accounts/", "/api/v1/ledger/trial-balance/",
])
def test_only_finance_and_auditors(books, path, reviewer, enterprise_user, api_client):
    assert api_client.get(path).status_code == 401
    assert client_for(reviewer).get(path).status_code == 403
    assert client_for(enterprise_user).get(path).status_code == 403
