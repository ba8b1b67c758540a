"""Blacklisting (科研失信): status change and the freezing of open claims, in one transaction."""

import pytest

from accounts.models import Organization
from audit.models import AuditEvent
from core.errors import DomainError
from tests.conftest import client_for
from tests.factories import member_user
from tests.vouchers.conftest import check_books, make_enterprise, submit
from vouchers import services
from vouchers.models import Claim

C = Claim.Status


def code_of(call) -> str:
    with pytest.raises(DomainError) as exc:
        call()
    return exc.value.code


@pytest.fixture
def claims(voucher, provider, enterprise, reviewer):
    """One claim in each state a provider can have at blacklisting time."""
    pending = submit(provider, voucher, "1000.00", invoice="2000.00")
    confirmed = services.claim_confirm(claim=submit(provider, voucher, "2000.00",
                                                    invoice="4000.00"), actor=enterprise)
    approved = services.claim_approve(
        claim=services.claim_confirm(claim=submit(provider, voucher, "3000.00",
                                                  invoice="6000.00"), actor=enterprise),
        actor=reviewer)
    withdrawn = services.claim_withdraw(claim=submit(provider, voucher, "500.00",
                                                     invoice="1000.00"), actor=provider)
    return {"pending": pending, "confirmed": confirmed, "approved": approved,
            "withdrawn": withdrawn}


def test_blacklisting_a_provider_freezes_its_open_claims(claims, provider, enterprise,
                                                         reviewer, programme):
    org = provider.organization
    response = client_for(reviewer).post(f"/api/v1/organizations/{org.public_id}/blacklist/",
                                         {"reason": "伪造检测报告"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "blacklisted" and body["frozen_claims"] == 3
    assert body["id"] == str(org.public_id)
    frozen = {name: Claim.objects.get(pk=c.pk) for name, c in claims.items()}
    assert [n for n, c in frozen.items() if c.frozen] == ["pending", "confirmed", "approved"]
    assert "伪造检测报告" in frozen["confirmed"].frozen_reason
    assert AuditEvent.objects.filter(action="claim.freeze").count() == 3
    assert AuditEvent.objects.filter(action="organization.blacklisted").count() == 1

    # frozen: no confirmation, no approval; rejection still releases the hold
    assert code_of(lambda: services.claim_confirm(claim=frozen["pending"],
                                                  actor=enterprise)) == "blacklisted"
    assert code_of(lambda: services.claim_approve(claim=frozen["confirmed"],
                                                  actor=reviewer)) == "blacklisted"
    rejected = services.claim_reject(claim=frozen["confirmed"], actor=reviewer,
                                     reason="服务机构失信")
    assert rejected.status == C.REJECTED
    assert check_books(programme)["held"] == 0

    # a blacklisted provider claims nothing new; the API says so
    provider.refresh_from_db()
    provider.organization.refresh_from_db()
    assert client_for(provider).post("/api/v1/claims/", {}, format="json").json()[
        "code"] == "blacklisted"
    assert code_of(lambda: services.claim_unfreeze(claim=frozen["pending"], actor=reviewer,
                                                   reason="x")) == "blacklisted"


def test_frozen_claim_of_active_parties_is_invalid_transition(claims, reviewer, enterprise):
    """Freezing as such blocks approval even while both parties are (again) active."""
    claim = claims["confirmed"]
    Claim.objects.filter(pk=claim.pk).update(frozen=True, frozen_reason="复核中")
    with pytest.raises(DomainError) as exc:
        services.claim_approve(claim=claim, actor=reviewer)
    assert exc.value.code == "invalid_transition" and exc.value.extra["frozen"] is True
    claim = services.claim_unfreeze(claim=claim, actor=reviewer, reason="复核无问题")
    assert not claim.frozen
    assert services.claim_approve(claim=claim, actor=reviewer).status == C.APPROVED
    assert code_of(lambda: services.claim_unfreeze(claim=claim, actor=reviewer,
                                                   reason="x")) == "invalid_transition"


def test_blacklisting_an_enterprise_freezes_claims_on_its_vouchers(claims, enterprise,
                                                                   reviewer, programme):
    org, frozen = services.organization_blacklist(
        organization=enterprise.organization, reason="骗取补贴", actor=reviewer)
    assert org.status == Organization.Status.BLACKLISTED and frozen == 3
    application_code = code_of(lambda: services.application_submit(
        enterprise=org, programme=programme, amount=100, actor=enterprise))
    assert application_code == "blacklisted"
    # twice: the organisation machine refuses, nothing changes
    assert code_of(lambda: services.organization_blacklist(
        organization=org, reason="again", actor=reviewer)) == "invalid_transition"
    assert Claim.objects.filter(frozen=True).count() == 3


def test_blacklist_needs_reviewer_and_reason(provider, enterprise, reviewer, finance):
    url = f"/api/v1/organizations/{provider.organization.public_id}/blacklist/"
    assert client_for(finance).post(url, {"reason": "x"}, format="json").status_code == 403
    assert client_for(enterprise).post(url, {"reason": "x"}, format="json").status_code == 403
    response = client_for(reviewer).post(url, {}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    unknown = client_for(reviewer).post(
        "/api/v1/organizations/00000000-0000-0000-0000-000000000000/blacklist/",
        {"reason": "x"}, format="json")
    assert unknown.status_code == 404
    other = member_user(make_enterprise())
    assert Organization.objects.get(pk=other.organization.pk).status == "active"
