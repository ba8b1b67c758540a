"""Pages are driven with Django's test Client (session auth, CSRF as a browser sends it).

The set-up goes through the real services: a funded programme of this year, an active
科技型中小企业, a provider, a voucher and a claim, in the programme officer's numbers.
"""

import itertools
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Organization, Role
from core.money import parse_yuan
from tests.factories import OrganizationFactory, ProviderFactory, member_user, staff_user
from vouchers import services

_numbers = itertools.count(1)


def signed_in(user, **headers) -> Client:
    client = Client(headers=headers)
    client.force_login(user)
    return client


def make_programme(reviewer, finance, *, funded: str = "1000000.00"):
    day = timezone.localdate()
    programme = services.programme_create(
        actor=reviewer, code=f"CS-{day.year}", name=f"长沙市{day.year}年度科技创新券",
        region_code="430100", year=day.year,
        application_opens=day - timedelta(days=30), application_closes=day + timedelta(days=30),
        valid_until=day + timedelta(days=90), claim_deadline=day + timedelta(days=120),
        enterprise_annual_cap=parse_yuan("50000.00"),
        provider_annual_cap=parse_yuan("100000.00"),
        ratios={"high_tech": 4000, "sme_tech": 5000, "default": 3000},
        categories=["testing", "rd_design"], partner_regions=[],
    )
    services.programme_fund(programme=programme, amount=parse_yuan(funded), actor=finance)
    return programme


def apply(programme, enterprise_user, amount: str = "20000.00"):
    return services.application_submit(
        enterprise=enterprise_user.organization, programme=programme,
        amount=parse_yuan(amount), purpose="检测服务", actor=enterprise_user,
    )


def issue(programme, enterprise_user, reviewer, amount: str = "20000.00"):
    application = apply(programme, enterprise_user, amount)
    return services.application_approve(application=application, actor=reviewer).voucher


def submit_claim(provider_user, voucher, amount: str = "5000.00", invoice: str = "12000.00"):
    n = next(_numbers)
    return services.claim_submit(
        provider=provider_user.organization, voucher_code=voucher.code, category="testing",
        contract_number=f"HT-WEB-{n}", contract_date=timezone.localdate(),
        invoice_number=f"WEB{n:08d}", invoice_amount=parse_yuan(invoice),
        amount=parse_yuan(amount), actor=provider_user,
    )


@pytest.fixture
def enterprise(db):
    return member_user(OrganizationFactory(name="长沙麓谷测试科技有限公司",
                                           sme_tech_year=timezone.localdate().year))


@pytest.fixture
def provider(db):
    return member_user(ProviderFactory(name="湖南省检验检测研究院"))


@pytest.fixture
def pending_enterprise(db):
    return member_user(OrganizationFactory(name="待审核科技有限公司",
                                           status=Organization.Status.PENDING))


@pytest.fixture
def admin_user(db):
    return staff_user(Role.ADMIN)


@pytest.fixture
def programme(reviewer, finance):
    return make_programme(reviewer, finance)


@pytest.fixture
def voucher(programme, enterprise, reviewer):
    """A 20,000.00 voucher of the enterprise."""
    return issue(programme, enterprise, reviewer)


@pytest.fixture
def claim(voucher, provider):
    """5,000.00 asked of a 12,000.00 invoice (ceiling 6,000.00 at 0.50), pending the
    enterprise's confirmation."""
    return submit_claim(provider, voucher)
