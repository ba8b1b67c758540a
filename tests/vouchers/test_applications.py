"""Applications and issuance: every refusal of SPEC §3 with its code, in the officer's numbers."""

from datetime import timedelta

import pytest

from accounts.identity import person_ref
from accounts.models import Organization, Role, User
from audit.models import AuditEvent
from core.errors import DomainError
from tests.conftest import client_for
from tests.factories import make_resident_id, member_user
from tests.vouchers.conftest import (
    check_books,
    issue,
    make_enterprise,
    make_programme,
    today,
    yuan,
)
from vouchers import services
from vouchers.models import Application, Voucher
from vouchers.rules import ensure_not_own_organization

URL = "/api/v1/applications/"


def apply(client, programme, amount="20000.00", **extra):
    return client.post(URL, {"programme": programme.code, "amount": amount,
                             "purpose": "委托检测", **extra}, format="json")


def code_of(call) -> str:
    with pytest.raises(DomainError) as exc:
        call()
    return exc.value.code


def test_apply_approve_returns_voucher(programme, enterprise, reviewer):
    response = apply(client_for(enterprise), programme, "20000.00")
    assert response.status_code == 201, response.json()
    application = response.json()
    assert application["status"] == "submitted" and application["amount"] == "20000.00"
    assert application["voucher"] is None

    approved = client_for(reviewer).post(f"{URL}{application['id']}/approve/",
                                         {"amount": "15000.00"}, format="json")
    assert approved.status_code == 200, approved.json()
    data = approved.json()
    assert data["status"] == "approved" and data["approved_amount"] == "15000.00"
    voucher = data["voucher"]
    for field in ["code", "programme", "enterprise", "face_value", "available", "held", "spent",
                  "status", "valid_until"]:
        assert field in voucher
    assert voucher["face_value"] == voucher["available"] == "15000.00"
    assert voucher["held"] == voucher["spent"] == "0.00"
    assert voucher["status"] == "active" and voucher["programme"] == programme.code
    assert voucher["enterprise"] == str(enterprise.organization.public_id)
    assert voucher["valid_until"] == programme.valid_until.isoformat()
    budget = check_books(programme)
    assert budget["available"] == yuan("985000.00")
    assert budget["issued_unspent"] == yuan("15000.00")
    # the enterprise sees it; the audit trail has the issue and the approval
    mine = client_for(enterprise).get(f"{URL}{application['id']}/").json()
    assert mine["voucher"]["code"] == voucher["code"]
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "application.submit", "voucher.issue", "application.approve"}
    event = AuditEvent.objects.get(action="application.approve")
    assert event.after["voucher"] == voucher["code"] and event.after["journal"]


def test_approve_without_amount_issues_what_was_asked(programme, enterprise, reviewer):
    voucher = issue(programme, enterprise, reviewer, "12345.67")
    assert voucher.face_value == yuan("12345.67")


def test_approve_more_than_asked_is_invalid(programme, enterprise, reviewer):
    application = services.application_submit(
        enterprise=enterprise.organization, programme=programme, amount=yuan("1000.00"),
        actor=enterprise)
    assert code_of(lambda: services.application_approve(
        application=application, actor=reviewer, amount=yuan("1000.01"))) == "invalid"


def test_reject_needs_reason_and_is_final(programme, enterprise, reviewer):
    created = apply(client_for(enterprise), programme).json()
    client = client_for(reviewer)
    assert client.post(f"{URL}{created['id']}/reject/", {}, format="json").json()[
        "code"] == "invalid"
    rejected = client.post(f"{URL}{created['id']}/reject/", {"reason": "材料不全"},
                           format="json").json()
    assert rejected["status"] == "rejected" and rejected["reason"] == "材料不全"
    again = client.post(f"{URL}{created['id']}/approve/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    check_books(programme)


def test_approving_twice_is_invalid_transition(programme, enterprise, reviewer):
    created = apply(client_for(enterprise), programme).json()
    client = client_for(reviewer)
    assert client.post(f"{URL}{created['id']}/approve/", {}, format="json").status_code == 200
    second = client.post(f"{URL}{created['id']}/approve/", {}, format="json")
    assert second.status_code == 409 and second.json()["code"] == "invalid_transition"
    assert Voucher.objects.count() == 1
    assert check_books(programme)["issued_unspent"] == yuan("20000.00")


def test_window_closed(reviewer, finance, enterprise):
    day = today()
    closed = make_programme(reviewer, finance, code="CS-LATE",
                            application_opens=day - timedelta(days=60),
                            application_closes=day - timedelta(days=1))
    response = apply(client_for(enterprise), closed)
    assert response.status_code == 409 and response.json()["code"] == "application_window_closed"
    not_yet = make_programme(reviewer, finance, code="CS-SOON",
                             application_opens=day + timedelta(days=1),
                             application_closes=day + timedelta(days=30))
    assert apply(client_for(enterprise), not_yet).json()["code"] == "application_window_closed"


def test_approval_after_vouchers_would_be_expired_is_refused(programme, enterprise, reviewer,
                                                            set_today):
    application = services.application_submit(
        enterprise=enterprise.organization, programme=programme, amount=yuan("1000.00"),
        actor=enterprise)
    set_today(programme.valid_until + timedelta(days=1))
    assert code_of(lambda: services.application_approve(
        application=application, actor=reviewer)) == "application_window_closed"


def test_qualification_for_the_programme_year(programme, reviewer):
    last_year = member_user(make_enterprise(sme_tech_year=today().year - 1))
    response = apply(client_for(last_year), programme)
    assert response.status_code == 409 and response.json()["code"] == "qualification_invalid"
    # a 高新技术企业 certificate valid today qualifies without the registration
    high_tech = member_user(make_enterprise(
        sme_tech_number="", sme_tech_year=None, high_tech_certificate="GR202543000999",
        high_tech_valid_until=today() + timedelta(days=400)))
    assert apply(client_for(high_tech), programme).status_code == 201
    lapsed = member_user(make_enterprise(
        sme_tech_number="", sme_tech_year=None, high_tech_certificate="GR202243000998",
        high_tech_valid_until=today() - timedelta(days=1)))
    assert apply(client_for(lapsed), programme).json()["code"] == "qualification_invalid"


def test_enterprise_outside_the_region_is_not_qualified(programme):
    wuhan = member_user(make_enterprise(region_code="420100"))
    assert apply(client_for(wuhan), programme).json()["code"] == "qualification_invalid"
    yuelu = member_user(make_enterprise(region_code="430104"))  # a district of Changsha
    assert apply(client_for(yuelu), programme).status_code == 201


def test_qualification_lost_before_approval(programme, enterprise, reviewer):
    application = services.application_submit(
        enterprise=enterprise.organization, programme=programme, amount=yuan("1000.00"),
        actor=enterprise)
    Organization.objects.filter(pk=enterprise.organization.pk).update(sme_tech_year=2000)
    assert code_of(lambda: services.application_approve(
        application=application, actor=reviewer)) == "qualification_invalid"


def test_inactive_and_blacklisted_enterprises(programme, reviewer):
    suspended = member_user(make_enterprise(status=Organization.Status.SUSPENDED))
    response = apply(client_for(suspended), programme)
    assert response.status_code == 409 and response.json()["code"] == "organization_not_active"
    pending = member_user(make_enterprise(status=Organization.Status.PENDING))
    assert apply(client_for(pending), programme).json()["code"] == "organization_not_active"
    blacklisted = member_user(make_enterprise(status=Organization.Status.BLACKLISTED))
    assert apply(client_for(blacklisted), programme).json()["code"] == "blacklisted"
    # the service refuses too, whoever calls it
    assert code_of(lambda: services.application_submit(
        enterprise=blacklisted.organization, programme=programme, amount=100,
        actor=reviewer)) == "blacklisted"


def test_blacklisted_before_approval(programme, enterprise, reviewer):
    application = services.application_submit(
        enterprise=enterprise.organization, programme=programme, amount=yuan("1000.00"),
        actor=enterprise)
    Organization.objects.filter(pk=enterprise.organization.pk).update(
        status=Organization.Status.BLACKLISTED)
    assert code_of(lambda: services.application_approve(
        application=application, actor=reviewer)) == "blacklisted"
    check_books(programme)


def test_enterprise_cap_is_shared_under_one_actual_controller(programme, reviewer):
    """Cap 50,000.00. Two enterprises controlled by 湘江控股 share it."""
    controller = person_ref(make_resident_id(777))
    first = member_user(make_enterprise(actual_controller_ref=controller))
    second = member_user(make_enterprise(actual_controller_ref=controller))
    issue(programme, first, reviewer, "30000.00")
    response = apply(client_for(second), programme, "25000.00")
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "enterprise_cap_exceeded"
    assert "20000.00" in problem["detail"] and problem["remaining"] == "20000.00"
    assert apply(client_for(second), programme, "20000.00").status_code == 201
    stranger = member_user(make_enterprise())
    assert apply(client_for(stranger), programme, "50000.00").status_code == 201


def test_cap_checked_again_at_approval(programme, enterprise, reviewer):
    """Two applications of 30,000.00 each may be filed; only one can be approved."""
    a = services.application_submit(enterprise=enterprise.organization, programme=programme,
                                    amount=yuan("30000.00"), actor=enterprise)
    b = services.application_submit(enterprise=enterprise.organization, programme=programme,
                                    amount=yuan("30000.00"), actor=enterprise)
    services.application_approve(application=a, actor=reviewer)
    assert code_of(lambda: services.application_approve(
        application=b, actor=reviewer)) == "enterprise_cap_exceeded"
    # a lower amount fits the 20,000.00 left
    assert services.application_approve(application=b, actor=reviewer,
                                        amount=yuan("20000.00")).status == "approved"


def test_budget_exhausted_says_what_is_available(reviewer, finance):
    programme = make_programme(reviewer, finance, code="CS-SMALL", funded="50000.00")
    users = [member_user(make_enterprise()) for _ in range(3)]
    issue(programme, users[0], reviewer, "30000.00")
    application = services.application_submit(
        enterprise=users[1].organization, programme=programme, amount=yuan("25000.00"),
        actor=users[1])
    response = client_for(reviewer).post(f"{URL}{application.public_id}/approve/", {},
                                         format="json")
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "budget_exhausted"
    assert "20000.00" in problem["detail"] and problem["available"] == "20000.00"
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert Voucher.objects.filter(programme=programme).count() == 1
    budget = check_books(programme)
    assert budget["available"] == yuan("20000.00")
    # first come, first served: what fits is issued
    issue(programme, users[2], reviewer, "20000.00")
    assert check_books(programme)["available"] == 0


def test_unfunded_programme_issues_nothing(reviewer, enterprise):
    programme = make_programme(reviewer, funded=None, code="CS-DRY")
    application = services.application_submit(
        enterprise=enterprise.organization, programme=programme, amount=yuan("1.00"),
        actor=enterprise)
    assert code_of(lambda: services.application_approve(
        application=application, actor=reviewer)) == "budget_exhausted"


def test_four_eyes_reviewer_of_own_organisation():
    org = Organization(pk=42, name="x")
    reviewer = User(role=Role.REVIEWER, organization=org)
    with pytest.raises(DomainError) as exc:
        ensure_not_own_organization(reviewer, org)
    assert exc.value.code == "four_eyes_required"
    ensure_not_own_organization(User(role=Role.REVIEWER), org)
    ensure_not_own_organization(reviewer, Organization(pk=43))


def test_four_eyes_in_approval(programme, enterprise, monkeypatch):
    """A reviewer account tied to the enterprise (not creatable through the API) is refused."""
    application = services.application_submit(
        enterprise=enterprise.organization, programme=programme, amount=yuan("1000.00"),
        actor=enterprise)
    insider = User(pk=999_999, role=Role.REVIEWER, organization=enterprise.organization,
                   username="insider")
    assert code_of(lambda: services.application_approve(
        application=application, actor=insider)) == "four_eyes_required"
    assert code_of(lambda: services.application_approve(
        application=application, actor=enterprise)) == "four_eyes_required"


def test_scoping_and_roles(programme, enterprise, reviewer, provider, auditor):
    created = apply(client_for(enterprise), programme).json()
    other = member_user(make_enterprise())
    response = client_for(other).get(f"{URL}{created['id']}/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client_for(other).get(URL).json()["count"] == 0
    assert client_for(reviewer).get(URL).json()["count"] == 1
    assert client_for(auditor).get(URL).json()["count"] == 1
    assert client_for(provider).get(URL).status_code == 403
    assert client_for(provider).post(URL, {}, format="json").status_code == 403
    assert client_for(enterprise).post(f"{URL}{created['id']}/approve/", {},
                                       format="json").status_code == 403
    assert client_for(reviewer).get(f"{URL}not-a-uuid/").status_code == 404
    filtered = client_for(reviewer).get(URL, {"status": "approved"}).json()
    assert filtered["count"] == 0


def test_apply_input_errors(programme, enterprise):
    client = client_for(enterprise)
    assert apply(client, programme, "0.00").json()["code"] == "invalid"
    assert apply(client, programme, 100).json()["code"] == "invalid"
    response = client.post(URL, {"programme": "NOPE", "amount": "1.00"}, format="json")
    assert response.status_code == 404
