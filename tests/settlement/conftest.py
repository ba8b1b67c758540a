"""A finance clerk's set-up: CS-<year> funded with 1,000,000.00, two providers with claims
approved and waiting to be paid, and two finance users (four eyes)."""

import csv
import io

import pytest

from tests.factories import member_user, staff_user
from tests.vouchers.conftest import (  # noqa: F401  (fixtures re-exported)
    _deferred_checks_run,
    check_books,
    issue,
    make_enterprise,
    make_programme,
    make_provider,
    set_today,
    submit,
    yuan,
)
from vouchers import services


@pytest.fixture
def reviewer(db):
    return staff_user("reviewer")


@pytest.fixture
def finance(db):
    return staff_user("finance")


@pytest.fixture
def finance2(db):
    return staff_user("finance")


@pytest.fixture
def programme(reviewer, finance):
    return make_programme(reviewer, finance)


@pytest.fixture
def provider(db):
    return member_user(make_provider(name="湖南省检验检测研究院"))


@pytest.fixture
def provider2(db):
    return member_user(make_provider(name="中南大学分析测试中心"))


def approved_claim(programme, reviewer, provider_user, amount="5000.00", *, enterprise=None):
    """A claim of `amount` confirmed by a fresh enterprise and approved by the reviewer."""
    enterprise = enterprise or member_user(make_enterprise())
    voucher = issue(programme, enterprise, reviewer, "20000.00")
    claim = submit(provider_user, voucher, amount, invoice=str(yuan(amount) * 2 // 100) + ".00")
    claim = services.claim_confirm(claim=claim, actor=enterprise)
    return services.claim_approve(claim=claim, actor=reviewer)


@pytest.fixture
def approved(programme, reviewer, provider, provider2):
    """Three approved claims: 5,000.00 and 3,000.00 of provider, 2,000.00 of provider2."""
    return [approved_claim(programme, reviewer, provider, "5000.00"),
            approved_claim(programme, reviewer, provider, "3000.00"),
            approved_claim(programme, reviewer, provider2, "2000.00")]


def statement_csv(rows, *, encoding="utf-8", bom=False) -> bytes:
    """A bank statement file: rows of (reference, amount, status[, note[, date]])."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["date", "reference", "amount", "account", "status", "note"])
    for row in rows:
        reference, amount, status, *rest = row
        note = rest[0] if rest else ""
        day = rest[1] if len(rest) > 1 else "2026-12-05"
        writer.writerow([day, reference, amount, "6222020000000000001", status, note])
    text = out.getvalue()
    return (("\ufeff" if bom else "") + text).encode(encoding)
