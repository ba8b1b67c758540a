"""Provider pages: submitting, listing and withdrawing claims."""

from django.urls import reverse
from django.utils import timezone

from tests.web.conftest import signed_in
from vouchers.models import Claim


def claim_form(voucher, **overrides) -> dict:
    data = {
        "voucher_code": voucher.code.lower().replace("-", " "),  # typed any way
        "category": "testing", "contract_number": "HT-2026-001",
        "contract_date": timezone.localdate().isoformat(), "invoice_number": "43001234",
        "invoice_amount": "12000.00", "amount": "6000.00",
    }
    data.update(overrides)
    return data


def test_submit_a_claim_through_the_form(provider, voucher):
    response = signed_in(provider).post(reverse("provider-claim-new"), claim_form(voucher),
                                        follow=True)
    assert response.redirect_chain[-1][0] == reverse("provider-claims")
    claim = Claim.objects.get()
    assert (claim.amount, claim.invoice_amount) == (600_000, 1_200_000)
    assert claim.status == Claim.Status.PENDING_CONFIRMATION
    assert voucher.code in response.content.decode()


def test_subsidy_above_the_ratio_is_refused_with_the_ceiling(provider, voucher):
    response = signed_in(provider).post(reverse("provider-claim-new"),
                                        claim_form(voucher, amount="6000.01"))
    assert response.status_code == 409
    html = response.content.decode()
    assert "补贴超过规定比例" in html
    assert "At most 6000.00" in html
    assert not Claim.objects.exists()


def test_duplicate_invoice_is_refused(provider, voucher, claim):
    response = signed_in(provider).post(
        reverse("provider-claim-new"),
        claim_form(voucher, invoice_number=claim.invoice_number, amount="100.00"))
    assert response.status_code == 409
    assert "发票已被使用" in response.content.decode()
    assert Claim.objects.count() == 1


def test_withdraw_a_claim(provider, claim):
    client = signed_in(provider)
    listing = client.get(reverse("provider-claims")).content.decode()
    assert reverse("provider-claim-withdraw", args=[claim.public_id]) in listing
    client.post(reverse("provider-claim-withdraw", args=[claim.public_id]))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.WITHDRAWN


def test_claim_actions_need_post(provider, claim):
    response = signed_in(provider).get(
        reverse("provider-claim-withdraw", args=[claim.public_id]))
    assert response.status_code == 405


def test_member_of_a_suspended_provider_cannot_submit(provider, voucher):
    from accounts.models import Organization

    Organization.objects.filter(pk=provider.organization_id).update(
        status=Organization.Status.SUSPENDED)
    response = signed_in(provider).post(reverse("provider-claim-new"), claim_form(voucher))
    assert response.status_code == 403
    assert "暂不能办理业务" in response.content.decode()
    assert not Claim.objects.exists()
