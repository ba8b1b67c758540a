"""Statement pages: each role's download links, the auditor's code verification."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.reports.conftest import Year, build_year, pdf_text
from tests.web.conftest import signed_in


@pytest.fixture
def year(db) -> Year:
    return build_year()


def test_finance_page_links_every_statement_and_the_links_work(year: Year):
    client = signed_in(year.finance)
    html = client.get(reverse("statements")).content.decode()
    month = timezone.localdate().strftime("%Y-%m")
    links = re.findall(r'href="(/api/v1/statements/[^"]+)"', html)
    expected = {
        f"/api/v1/statements/programme/{year.programme.code}/monthly.pdf"
        f"?month={month}&amp;lang=zh-hans",
        f"/api/v1/statements/programme/{year.programme.code}/budget-execution.pdf?lang=zh-hans",
        f"/api/v1/statements/payout-batch/{year.batch.public_id}.pdf?lang=zh-hans",
    }
    assert expected <= set(links)
    response = client.get(f"/api/v1/statements/payout-batch/{year.batch.public_id}.pdf")
    assert response.status_code == 200  # the session signs the download in


def test_finance_finds_an_organisation_statement(year: Year):
    org = year.provider_b.organization
    html = signed_in(year.finance).get(reverse("statements"), {"q": "中南大学"}).content.decode()
    assert f"/api/v1/statements/organization/{org.public_id}.pdf" in html


def test_english_page_links_english_statements(year: Year):
    client = signed_in(year.finance)
    client.post(reverse("set_language"), {"language": "en"})
    html = client.get(reverse("statements")).content.decode()
    assert "budget-execution.pdf?lang=en" in html


def test_a_member_gets_a_link_to_its_own_statement_only(year: Year):
    own = year.provider_a.organization
    client = signed_in(year.provider_a)
    html = client.get(reverse("my-statement")).content.decode()
    assert f"/api/v1/statements/organization/{own.public_id}.pdf?from=" in html
    assert client.get(reverse("statements")).status_code == 403
    assert client.get(reverse("statement-verify-page")).status_code == 403


def test_auditor_verifies_a_code(year: Year):
    response = signed_in(year.auditor).get(
        f"/api/v1/statements/payout-batch/{year.batch.public_id}.pdf")
    code = response["X-Verification-Code"]
    assert f"验证码 {code}" in pdf_text(response.content)[0]
    client = signed_in(year.auditor)
    html = client.get(reverse("statement-verify-page"), {"code": code}).content.decode()
    assert f"验证码 {code} 有效" in html
    assert "17500.15" in html
    refused = client.get(reverse("statement-verify-page"), {"code": "AAAA-BBBB-CCCC-DDDD"})
    assert refused.status_code == 404
    assert "不是本系统签发" in refused.content.decode()


def test_verification_page_speaks_english(year: Year):
    client = signed_in(year.auditor, **{"Accept-Language": "en"})
    html = client.get(reverse("statement-verify-page"), {"code": "AAAA-BBBB-CCCC-DDDD"})
    assert "does not belong to any statement" in html.content.decode()
