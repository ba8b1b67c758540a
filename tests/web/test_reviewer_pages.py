"""Reviewer pages: organisations, applications and claims decided through the services."""

from django.urls import reverse

from accounts.models import Organization
from audit.models import AuditEvent
from tests.web.conftest import apply, signed_in
from vouchers import services
from vouchers.models import Application, Claim


def test_reviewer_approves_a_pending_organisation(reviewer, pending_enterprise):
    org = pending_enterprise.organization
    client = signed_in(reviewer)
    listing = client.get(reverse("reviewer-organizations")).content.decode()
    assert org.name in listing
    url = reverse("reviewer-organization-action", args=[org.public_id, "approve"])
    assert url in listing
    response = client.post(url, {"reason": "材料齐全"}, follow=True)
    assert "机构已审核通过" in response.content.decode()
    org.refresh_from_db()
    assert org.status == Organization.Status.ACTIVE
    assert AuditEvent.objects.filter(action="organization.approved",
                                     object_id=str(org.public_id)).exists()
    # and its member may now act
    assert signed_in(pending_enterprise).get(reverse("enterprise-apply")).status_code == 200


def test_suspend_without_a_reason_is_refused_and_changes_nothing(reviewer, enterprise):
    org = enterprise.organization
    response = signed_in(reviewer).post(
        reverse("reviewer-organization-action", args=[org.public_id, "suspend"]),
        {"reason": "  "}, follow=True)
    assert "Give the reason." in response.content.decode()
    org.refresh_from_db()
    assert org.status == Organization.Status.ACTIVE


def test_suspend_with_a_reason(reviewer, enterprise):
    org = enterprise.organization
    signed_in(reviewer).post(
        reverse("reviewer-organization-action", args=[org.public_id, "suspend"]),
        {"reason": "资料存疑"})
    org.refresh_from_db()
    assert (org.status, org.status_reason) == (Organization.Status.SUSPENDED, "资料存疑")


def test_unknown_organisation_action_is_404(reviewer, enterprise):
    org = enterprise.organization
    response = signed_in(reviewer).post(
        reverse("reviewer-organization-action", args=[org.public_id, "delete"]))
    assert response.status_code == 404


def test_approve_an_application_for_a_lower_amount_issues_the_voucher(reviewer, enterprise,
                                                                       programme):
    application = apply(programme, enterprise, "20000.00")
    client = signed_in(reviewer)
    assert str(application.public_id) in client.get(
        reverse("reviewer-applications")).content.decode()
    response = client.post(
        reverse("reviewer-application-approve", args=[application.public_id]),
        {"amount": "15000.00"}, follow=True)
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    assert application.voucher.face_value == 1_500_000
    assert application.voucher.code in response.content.decode()


def test_approval_beyond_the_budget_shows_what_is_available(reviewer, finance, enterprise):
    from tests.web.conftest import make_programme

    programme = make_programme(reviewer, finance, funded="10000.00")
    application = apply(programme, enterprise, "20000.00")
    response = signed_in(reviewer).post(
        reverse("reviewer-application-approve", args=[application.public_id]), follow=True)
    html = response.content.decode()
    assert "预算不足" in html
    assert "has 10000.00 available" in html
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED


def test_reject_an_application_needs_a_reason(reviewer, enterprise, programme):
    application = apply(programme, enterprise)
    client = signed_in(reviewer)
    url = reverse("reviewer-application-reject", args=[application.public_id])
    client.post(url, {"reason": ""})
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    client.post(url, {"reason": "用途不符"})
    application.refresh_from_db()
    assert (application.status, application.reason) == (Application.Status.REJECTED, "用途不符")


def test_approve_a_confirmed_claim(reviewer, enterprise, claim):
    services.claim_confirm(claim=claim, actor=enterprise)
    client = signed_in(reviewer)
    listing = client.get(reverse("reviewer-claims")).content.decode()
    assert reverse("reviewer-claim-approve", args=[claim.public_id]) in listing
    client.post(reverse("reviewer-claim-approve", args=[claim.public_id]))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED


def test_approving_an_unconfirmed_claim_is_refused(reviewer, claim):
    response = signed_in(reviewer).post(reverse("reviewer-claim-approve",
                                                args=[claim.public_id]), follow=True)
    assert "Cannot approve a claim that is pending_confirmation." in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PENDING_CONFIRMATION


def test_reject_a_claim_with_a_reason(reviewer, claim):
    signed_in(reviewer).post(reverse("reviewer-claim-reject", args=[claim.public_id]),
                             {"reason": "发票不符"})
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REJECTED


def test_programmes_page_shows_the_budget_figures(reviewer, voucher, programme):
    html = signed_in(reviewer).get(reverse("programmes")).content.decode()
    assert programme.code in html
    assert 'data-bucket="funded">1000000.00<' in html
    assert 'data-bucket="available">980000.00<' in html
    assert 'data-bucket="issued_unspent">20000.00<' in html


def test_blacklisting_freezes_the_open_claims(reviewer, provider, claim):
    org = provider.organization
    signed_in(reviewer).post(
        reverse("reviewer-organization-action", args=[org.public_id, "blacklist"]),
        {"reason": "虚假发票"})
    org.refresh_from_db()
    claim.refresh_from_db()
    assert org.status == Organization.Status.BLACKLISTED
    assert claim.frozen


def test_lists_are_paginated_fifty_rows_a_page(reviewer):
    from tests.factories import OrganizationFactory

    OrganizationFactory.create_batch(55, status=Organization.Status.PENDING)
    client = signed_in(reviewer)
    first = client.get(reverse("reviewer-organizations")).content.decode()
    assert first.count('/approve/"') == 50
    assert "第 1 / 2 页，共 55 条" in first
    assert "?page=2" in first
    second = client.get(reverse("reviewer-organizations") + "?page=2").content.decode()
    assert "第 2 / 2 页，共 55 条" in second
