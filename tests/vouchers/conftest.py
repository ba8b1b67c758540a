"""A programme officer's set-up: Changsha's programme of this year, funded, with an
enterprise, a provider and the bureau's staff. Amounts in the officer's own numbers."""

import itertools
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Organization
from core.money import parse_yuan
from ledger.selectors import ledger_verify
from tests.factories import OrganizationFactory, ProviderFactory, member_user, staff_user
from vouchers import services
from vouchers.selectors import assert_budget_identity, programme_budget

_invoice_numbers = itertools.count(1)


def yuan(text: str) -> int:
    return parse_yuan(text)


def today() -> date:
    return timezone.localdate()


@pytest.fixture(autouse=True)
def _deferred_checks_run():
    """Fire the database's deferred ledger checks before a `db` test's rollback."""
    yield
    if not connection.in_atomic_block or connection.needs_rollback:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        else:
            cursor.execute("PRAGMA foreign_key_check")
            assert cursor.fetchall() == []


@pytest.fixture
def set_today(monkeypatch):
    """Move the programme calendar (Asia/Shanghai "today") to another date."""
    original = timezone.localdate

    def move(day: date):
        def localdate(value=None, timezone=None):
            if value is None:
                return day
            return original(value, timezone)

        monkeypatch.setattr("django.utils.timezone.localdate", localdate)

    return move


def check_books(programme) -> dict:
    """The budget identity to the fen and a sound ledger; returns the budget in fen."""
    budget = assert_budget_identity(programme_budget(programme))
    report = ledger_verify()
    assert report.ok, report.problems
    return budget.as_dict()


def programme_args(**overrides) -> dict:
    day = today()
    args = {
        "code": f"CS-{day.year}",
        "name": f"长沙市{day.year}年度科技创新券",
        "region_code": "430100",
        "year": day.year,
        "application_opens": day - timedelta(days=30),
        "application_closes": day + timedelta(days=30),
        "valid_until": day + timedelta(days=90),
        "claim_deadline": day + timedelta(days=120),
        "enterprise_annual_cap": yuan("50000.00"),
        "provider_annual_cap": yuan("100000.00"),
        "ratios": {"high_tech": 4000, "sme_tech": 5000, "default": 3000},
        "categories": ["testing", "rd_design", "instrument_sharing"],
        "partner_regions": ["420100"],
    }
    args.update(overrides)
    return args


def make_programme(reviewer, finance=None, *, funded: str | None = "1000000.00", **overrides):
    programme = services.programme_create(actor=reviewer, **programme_args(**overrides))
    if funded:
        services.programme_fund(programme=programme, amount=yuan(funded), actor=finance)
    return programme


def make_enterprise(**kwargs) -> Organization:
    """An active 科技型中小企业 of Changsha registered for this year (ratio 0.50)."""
    kwargs.setdefault("sme_tech_year", today().year)
    return OrganizationFactory(**kwargs)


def make_provider(**kwargs) -> Organization:
    return ProviderFactory(**kwargs)


def issue(programme, enterprise_user, reviewer, amount: str = "20000.00", *,
          approve_amount: str | None = None):
    application = services.application_submit(
        enterprise=enterprise_user.organization, programme=programme, amount=yuan(amount),
        purpose="检测服务", actor=enterprise_user,
    )
    application = services.application_approve(
        application=application, actor=reviewer,
        amount=yuan(approve_amount) if approve_amount else None,
    )
    return application.voucher


def next_invoice() -> str:
    return f"4300{next(_invoice_numbers):08d}"


def submit(provider_user, voucher, amount: str = "5000.00", *, invoice: str = "12000.00",
           invoice_number: str | None = None, category: str = "testing",
           contract_date: date | None = None, code: str | None = None):
    return services.claim_submit(
        provider=provider_user.organization, voucher_code=code or voucher.code,
        category=category, contract_number=f"HT-{next(_invoice_numbers)}",
        contract_date=contract_date or today(),
        invoice_number=invoice_number or next_invoice(),
        invoice_amount=yuan(invoice), amount=yuan(amount), actor=provider_user,
    )


def submitted_claim():
    """A 1,000.00 claim on a 2,000.00 invoice, submitted against a fresh 20,000.00 voucher
    of a fresh programme: for tests about one claim, whoever the parties are."""
    reviewer, finance = staff_user("reviewer"), staff_user("finance")
    programme = make_programme(reviewer, finance)
    enterprise_user = member_user(make_enterprise())
    provider_user = member_user(make_provider())
    voucher = issue(programme, enterprise_user, reviewer, "20000.00")
    return submit(provider_user, voucher, "1000.00", invoice="2000.00")


@pytest.fixture
def enterprise(db):
    return member_user(make_enterprise(name="长沙麓谷测试科技有限公司"))


@pytest.fixture
def provider(db):
    return member_user(make_provider(name="湖南省检验检测研究院"))


@pytest.fixture
def programme(reviewer, finance):
    """CS-<year>: 1,000,000.00 funded; caps 50,000.00 / 100,000.00; 0.40/0.50/0.30."""
    return make_programme(reviewer, finance)


@pytest.fixture
def voucher(programme, enterprise, reviewer):
    """A 20,000.00 voucher of the enterprise."""
    return issue(programme, enterprise, reviewer, "20000.00")
