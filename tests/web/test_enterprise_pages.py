"""Enterprise pages: vouchers, applying, confirming or refusing claims."""

from django.urls import reverse

from audit.models import AuditEvent
from tests.web.conftest import signed_in
from vouchers.models import Application, Claim
from vouchers.selectors import voucher_balance


def test_my_vouchers_show_face_value_available_held_spent_status_and_validity(
        enterprise, voucher, claim):
    html = signed_in(enterprise).get(reverse("enterprise-vouchers")).content.decode()
    assert voucher.code in html
    assert "20000.00" in html
    assert voucher.valid_until.isoformat() in html
    assert "有效" in html


def test_apply_in_an_open_programme_creates_the_application(enterprise, programme):
    client = signed_in(enterprise)
    form = client.get(reverse("enterprise-apply"))
    assert programme.code in form.content.decode()
    response = client.post(reverse("enterprise-apply"), {
        "programme": programme.code, "amount": "15000.00", "purpose": "委托检测",
    }, follow=True)
    assert response.redirect_chain[-1][0] == reverse("enterprise-applications")
    application = Application.objects.get(enterprise=enterprise.organization)
    assert application.amount == 1_500_000
    assert application.status == Application.Status.SUBMITTED
    assert "申领已提交" in response.content.decode()
    assert "15000.00" in response.content.decode()


def test_amount_with_three_decimals_is_refused_on_the_form(enterprise, programme):
    response = signed_in(enterprise).post(reverse("enterprise-apply"), {
        "programme": programme.code, "amount": "100.005", "purpose": "",
    })
    assert response.status_code == 400
    assert "最多两位小数" in response.content.decode()
    assert not Application.objects.exists()


def test_apply_above_the_annual_cap_shows_the_refusal_and_creates_nothing(enterprise,
                                                                           programme):
    events = AuditEvent.objects.count()
    response = signed_in(enterprise).post(reverse("enterprise-apply"), {
        "programme": programme.code, "amount": "60000.00", "purpose": "",
    })
    assert response.status_code == 409
    html = response.content.decode()
    assert "超过企业年度限额" in html
    assert "50000.00 remains" in html  # the service's detail
    assert not Application.objects.exists()
    assert AuditEvent.objects.count() == events


def test_confirm_a_claim_places_the_hold_on_the_voucher(enterprise, voucher, claim):
    client = signed_in(enterprise)
    listing = client.get(reverse("enterprise-claims")).content.decode()
    assert reverse("enterprise-claim-confirm", args=[claim.public_id]) in listing
    assert "5000.00" in listing and "7000.00" in listing  # subsidy and enterprise share
    response = client.post(reverse("enterprise-claim-confirm", args=[claim.public_id]),
                           follow=True)
    assert "已确认" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.CONFIRMED
    voucher.refresh_from_db()
    balance = voucher_balance(voucher)
    assert (balance.held, balance.available) == (500_000, 1_500_000)


def test_refuse_a_claim_with_a_reason(enterprise, claim):
    signed_in(enterprise).post(reverse("enterprise-claim-refuse", args=[claim.public_id]),
                               {"reason": "服务未完成"})
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REFUSED_BY_ENTERPRISE
    assert claim.reason == "服务未完成"


def test_refused_confirmation_shows_the_detail_and_changes_nothing(enterprise, voucher, claim):
    client = signed_in(enterprise)
    client.post(reverse("enterprise-claim-refuse", args=[claim.public_id]))
    events = AuditEvent.objects.count()
    response = client.post(reverse("enterprise-claim-confirm", args=[claim.public_id]),
                           follow=True)
    html = response.content.decode()
    assert "当前状态不允许此操作" in html
    assert "Cannot confirm a claim that is refused_by_enterprise." in html
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REFUSED_BY_ENTERPRISE
    assert voucher_balance(voucher).held == 0
    assert AuditEvent.objects.count() == events


def test_another_enterprises_claim_is_not_found(claim, db):
    from tests.factories import OrganizationFactory, member_user

    stranger = member_user(OrganizationFactory())
    response = signed_in(stranger).post(
        reverse("enterprise-claim-confirm", args=[claim.public_id]), follow=True)
    assert "未找到" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PENDING_CONFIRMATION


def test_claims_page_in_english_when_the_browser_asks(enterprise, claim):
    response = signed_in(enterprise, accept_language="en").get(reverse("enterprise-claims"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert "Claims waiting for confirmation" in html
    assert "Confirm" in html
    assert "待确认的核销申请" not in html
