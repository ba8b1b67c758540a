"""Finance funds programmes; the auditor reads the audit chain and the trial balance."""

from django.urls import reverse

from audit.models import AuditEvent
from tests.web.conftest import signed_in
from vouchers.models import Appropriation
from vouchers.selectors import programme_budget


def test_finance_funds_a_programme(finance, programme):
    client = signed_in(finance)
    listing = client.get(reverse("programmes")).content.decode()
    url = reverse("programme-fund", args=[programme.code])
    assert url in listing
    response = client.post(url, {"amount": "250000.50", "memo": "长财教〔2026〕1号"},
                           follow=True)
    assert response.redirect_chain[-1][0] == reverse("programmes")
    assert programme_budget(programme).funded == 125_000_050
    assert 'data-bucket="funded">1250000.50<' in response.content.decode()


def test_fund_refuses_an_amount_in_exponent_form(finance, programme):
    response = signed_in(finance).post(reverse("programme-fund", args=[programme.code]),
                                       {"amount": "1e5"})
    assert response.status_code == 400
    assert Appropriation.objects.count() == 1


def test_fund_an_unknown_programme_is_404(finance, db):
    assert signed_in(finance).get(reverse("programme-fund", args=["NOPE-1"])).status_code == 404


def test_auditor_sees_the_chain_status_and_recent_events(auditor, voucher):
    html = signed_in(auditor).get(reverse("audit")).content.decode()
    checked = AuditEvent.objects.count()
    assert f"已校验 {checked} 条记录" in html
    assert "voucher.issue" in html


def test_audit_page_in_english(auditor, voucher):
    html = signed_in(auditor, accept_language="en").get(reverse("audit")).content.decode()
    assert "Audit chain intact" in html


def test_trial_balance_page_balances(auditor, voucher):
    html = signed_in(auditor).get(reverse("trial-balance")).content.decode()
    assert "借贷平衡" in html
    assert "<code>pool</code>" in html
