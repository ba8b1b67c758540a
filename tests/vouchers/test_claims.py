"""Claims: every check of SPEC §3 with its code, holds, and every claim state reached
through the services, in a programme officer's numbers.

CS-<year>: ratios 0.40 (高新) / 0.50 (科技型中小) / 0.30; categories testing, rd_design,
instrument_sharing; partner region 420100 (Wuhan); provider cap 100,000.00.
"""

from datetime import timedelta

import pytest

from accounts.models import Organization, Role, User
from core.errors import DomainError
from tests.conftest import client_for
from tests.factories import ShareholdingFactory, member_user
from tests.vouchers.conftest import (
    check_books,
    issue,
    make_enterprise,
    make_programme,
    make_provider,
    submit,
    today,
    yuan,
)
from vouchers import services
from vouchers.models import Claim, Voucher
from vouchers.selectors import voucher_balance

C = Claim.Status
URL = "/api/v1/claims/"


def code_of(call) -> str:
    with pytest.raises(DomainError) as exc:
        call()
    return exc.value.code


def fresh_balance(voucher):
    voucher = Voucher.objects.select_related("account").get(pk=voucher.pk)
    return voucher_balance(voucher), voucher


def claim_body(the_voucher, **overrides):
    body = {
        "voucher": the_voucher.code,
        "category": "testing",
        "contract_number": "HT-2026-001",
        "contract_date": today().isoformat(),
        "invoice_number": "43001234",
        "invoice_amount": "30000.00",
        "amount": "15000.00",
    }
    body.update(overrides)
    return body


def test_submit_confirm_approve_over_http(voucher, provider, enterprise, reviewer, programme):
    response = client_for(provider).post(URL, claim_body(voucher), format="json")
    assert response.status_code == 201, response.json()
    claim = response.json()
    for field in ["id", "status", "amount", "voucher"]:
        assert field in claim
    assert claim["status"] == "pending_confirmation" and claim["amount"] == "15000.00"
    assert claim["voucher"] == voucher.code
    assert claim["enterprise_share"] == "15000.00" and claim["ratio"] == "0.50"

    confirmed = client_for(enterprise).post(f"{URL}{claim['id']}/confirm/", {}, format="json")
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["status"] == "confirmed"
    seen = client_for(enterprise).get(f"/api/v1/vouchers/{voucher.code}/").json()
    assert (seen["available"], seen["held"], seen["spent"]) == ("5000.00", "15000.00", "0.00")

    approved = client_for(reviewer).post(f"{URL}{claim['id']}/approve/", {}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    seen = client_for(enterprise).get(f"/api/v1/vouchers/{voucher.code}/").json()
    assert (seen["available"], seen["held"], seen["spent"]) == ("5000.00", "0.00", "15000.00")
    assert client_for(provider).get(f"{URL}{claim['id']}/").json()["status"] == "approved"
    budget = check_books(programme)
    assert budget["approved_unpaid"] == yuan("15000.00")
    assert budget["issued_unspent"] == yuan("5000.00")


def test_voucher_code_typed_loosely_is_found(voucher, provider):
    typed = voucher.code.replace("-", " ").lower()
    assert submit(provider, voucher, "100.00", invoice="1000.00", code=typed).voucher == voucher
    wrong = voucher.code[:-1] + ("0" if voucher.code[-1] != "0" else "1")
    assert code_of(lambda: submit(provider, voucher, code=wrong)) == "not_found"


# --- ratio: floor(ratio × invoice) to the fen, ratio by class on the contract date -----


def test_ratio_ceiling_rounds_down_to_the_fen(programme, reviewer, provider):
    plain = member_user(make_enterprise(sme_tech_year=today().year))
    voucher = issue(programme, plain, reviewer, "20000.00")
    # 0.50 × 3,333.33 = 1,666.665 -> 1,666.66
    problem = code_of(lambda: submit(provider, voucher, "1666.67", invoice="3333.33"))
    assert problem == "ratio_exceeded"
    claim = submit(provider, voucher, "1666.66", invoice="3333.33")
    assert claim.enterprise_share == yuan("1666.67")
    assert claim.amount + claim.enterprise_share == claim.invoice_amount


def test_ratio_by_class_on_the_contract_date(programme, reviewer, provider):
    day = today()
    high_tech = member_user(make_enterprise(
        sme_tech_number="", sme_tech_year=None, high_tech_certificate="GR202443000001",
        high_tech_valid_until=day + timedelta(days=10)))
    voucher = issue(programme, high_tech, reviewer, "20000.00")
    # certificate valid on the contract date: 0.40 of 10,000.00
    claim = submit(provider, voucher, "4000.00", invoice="10000.00", contract_date=day)
    assert (claim.enterprise_class, claim.ratio_bp) == ("high_tech", 4000)
    # a contract after the certificate lapsed: default 0.30
    later = day + timedelta(days=11)
    with pytest.raises(DomainError) as exc:
        submit(provider, voucher, "4000.00", invoice="10000.00", contract_date=later)
    assert exc.value.code == "ratio_exceeded" and exc.value.extra["ceiling"] == "3000.00"
    assert submit(provider, voucher, "3000.00", invoice="10000.00",
                  contract_date=later).enterprise_class == "default"


def test_ratio_exceeded_over_http(voucher, provider):
    response = client_for(provider).post(
        URL, claim_body(voucher, invoice_amount="10000.00", amount="5000.01"), format="json")
    assert response.status_code == 409 and response.json()["code"] == "ratio_exceeded"


# --- balance and holds ------------------------------------------------------------------


def test_insufficient_balance_at_submit_and_at_confirm(voucher, provider, enterprise,
                                                       programme):
    assert code_of(lambda: submit(provider, voucher, "20000.01", invoice="50000.00")) == \
        "insufficient_voucher_balance"
    first = submit(provider, voucher, "15000.00", invoice="30000.00")
    second = submit(provider, voucher, "15000.00", invoice="30000.00")
    services.claim_confirm(claim=first, actor=enterprise)
    with pytest.raises(DomainError) as exc:
        services.claim_confirm(claim=second, actor=enterprise)
    assert exc.value.code == "insufficient_voucher_balance"
    assert exc.value.extra["available"] == "5000.00"
    second.refresh_from_db()
    assert second.status == C.PENDING_CONFIRMATION
    # what is held is not available to a new claim either
    assert code_of(lambda: submit(provider, voucher, "5000.01", invoice="20000.00")) == \
        "insufficient_voucher_balance"
    check_books(programme)


def test_refusal_and_withdrawal_release_holds(voucher, provider, enterprise, programme,
                                              reviewer):
    a = services.claim_confirm(claim=submit(provider, voucher, "8000.00", invoice="16000.00"),
                               actor=enterprise)
    b = services.claim_confirm(claim=submit(provider, voucher, "7000.00", invoice="14000.00"),
                               actor=enterprise)
    balance, _ = fresh_balance(voucher)
    assert (balance.available, balance.held) == (yuan("5000.00"), yuan("15000.00"))
    a = services.claim_refuse(claim=a, actor=enterprise, reason="服务未完成")
    assert a.status == C.REFUSED_BY_ENTERPRISE and a.reason == "服务未完成"
    b = services.claim_withdraw(claim=b, actor=provider)
    assert b.status == C.WITHDRAWN
    balance, _ = fresh_balance(voucher)
    assert (balance.available, balance.held, balance.spent) == (yuan("20000.00"), 0, 0)
    # before confirmation there is no hold to release
    c = services.claim_refuse(claim=submit(provider, voucher, "100.00", invoice="1000.00"),
                              actor=enterprise)
    d = services.claim_withdraw(claim=submit(provider, voucher, "100.00", invoice="1000.00"),
                                actor=provider)
    e = services.claim_reject(claim=submit(provider, voucher, "100.00", invoice="1000.00"),
                              actor=reviewer, reason="重复申报")
    assert (c.status, d.status, e.status) == (C.REFUSED_BY_ENTERPRISE, C.WITHDRAWN, C.REJECTED)
    check_books(programme)


def test_spending_the_whole_voucher_exhausts_it(voucher, provider, enterprise, reviewer,
                                                programme):
    a = services.claim_confirm(claim=submit(provider, voucher, "12000.00", invoice="24000.00"),
                               actor=enterprise)
    b = services.claim_confirm(claim=submit(provider, voucher, "8000.00", invoice="16000.00"),
                               actor=enterprise)
    services.claim_approve(claim=a, actor=reviewer)
    assert fresh_balance(voucher)[1].status == Voucher.Status.ACTIVE
    services.claim_approve(claim=b, actor=reviewer)
    balance, voucher = fresh_balance(voucher)
    assert voucher.status == Voucher.Status.EXHAUSTED
    assert (balance.available, balance.held, balance.spent) == (0, 0, yuan("20000.00"))
    assert code_of(lambda: submit(provider, voucher, "1.00", invoice="10.00")) == \
        "voucher_not_active"
    assert check_books(programme)["approved_unpaid"] == yuan("20000.00")


# --- who and where ----------------------------------------------------------------------


def test_category_must_be_eligible_in_programme_and_offered(voucher, provider):
    consultant = member_user(make_provider(categories=["consulting", "testing"]))
    assert code_of(lambda: submit(consultant, voucher, category="consulting")) == \
        "category_not_eligible"
    # the programme covers instrument_sharing, but this provider does not offer it
    assert code_of(lambda: submit(provider, voucher, category="instrument_sharing")) == \
        "category_not_eligible"
    assert submit(provider, voucher, "100.00", invoice="1000.00", category="rd_design")


@pytest.mark.parametrize("region, recognised", [
    ("430100", True), ("430104", True),  # Changsha and its Yuelu district
    ("420100", True), ("420111", True),  # Wuhan (partner region) and a district of it
    ("440300", False), ("430200", False),  # Shenzhen; Zhuzhou (same province, not partner)
])
def test_provider_region(voucher, region, recognised):
    lab = member_user(make_provider(region_code=region))
    if recognised:
        assert submit(lab, voucher, "100.00", invoice="1000.00").status == C.PENDING_CONFIRMATION
    else:
        assert code_of(lambda: submit(lab, voucher)) == "provider_region_not_recognised"


def test_related_parties(voucher, enterprise):
    same_rep = member_user(make_provider(
        legal_representative_ref=enterprise.organization.legal_representative_ref))
    assert code_of(lambda: submit(same_rep, voucher)) == "related_party"
    holder = member_user(make_provider())
    ShareholdingFactory(organization=holder.organization,
                        holder_ref=enterprise.organization.party_ref, percent_hundredths=2500)
    assert code_of(lambda: submit(holder, voucher)) == "related_party"
    small = member_user(make_provider())
    ShareholdingFactory(organization=small.organization,
                        holder_ref=enterprise.organization.party_ref, percent_hundredths=2499)
    assert submit(small, voucher, "100.00", invoice="1000.00")


def test_contract_before_issue(voucher, provider):
    day_before = voucher.issued_on - timedelta(days=1)
    assert code_of(lambda: submit(provider, voucher, contract_date=day_before)) == \
        "contract_before_issue"
    assert submit(provider, voucher, "100.00", invoice="1000.00",
                  contract_date=voucher.issued_on)


def test_inactive_or_blacklisted_parties(voucher, provider, enterprise):
    suspended = member_user(make_provider(status=Organization.Status.SUSPENDED))
    response = client_for(suspended).post(URL, claim_body(voucher), format="json")
    assert response.status_code == 409 and response.json()["code"] == "organization_not_active"
    assert code_of(lambda: submit(suspended, voucher)) == "organization_not_active"
    blacklisted = member_user(make_provider(status=Organization.Status.BLACKLISTED))
    assert code_of(lambda: submit(blacklisted, voucher)) == "blacklisted"
    Organization.objects.filter(pk=enterprise.organization.pk).update(
        status=Organization.Status.BLACKLISTED)
    assert code_of(lambda: submit(provider, voucher)) == "blacklisted"


# --- invoices ---------------------------------------------------------------------------


def test_invoice_number_is_unique_forever_across_programmes(voucher, provider, enterprise,
                                                            reviewer, finance):
    first = submit(provider, voucher, "100.00", invoice="1000.00", invoice_number="FP-2026 0001")
    with pytest.raises(DomainError) as exc:
        submit(provider, voucher, "100.00", invoice="1000.00", invoice_number="fp20260001")
    assert exc.value.code == "duplicate_invoice"
    # a rejected claim's invoice stays used (ADR 0004: unique forever)
    services.claim_reject(claim=first, actor=reviewer, reason="票据存疑")
    assert code_of(lambda: submit(provider, voucher, invoice_number="FP20260001")) == \
        "duplicate_invoice"
    wuhan = make_programme(reviewer, finance, code="WH-TEST", region_code="420100",
                           partner_regions=["430100"])
    wuhan_firm = member_user(make_enterprise(region_code="420100"))
    other_voucher = issue(wuhan, wuhan_firm, reviewer, "5000.00")
    assert code_of(lambda: submit(provider, other_voucher, invoice_number="FP 2026-0001")) == \
        "duplicate_invoice"


def test_duplicate_invoice_is_stopped_by_the_database(voucher, provider):
    """Even when no query looked first, the unique constraint refuses the second row."""
    from django.db import IntegrityError, transaction

    claim = submit(provider, voucher, "100.00", invoice="1000.00", invoice_number="X-1")
    claim.pk = None
    claim.public_id = None
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(**{f.attname: getattr(claim, f.attname)
                                for f in Claim._meta.concrete_fields
                                if f.attname not in ("id", "public_id")})


# --- provider cap -----------------------------------------------------------------------


def test_provider_cap_at_submit_and_at_approval(reviewer, finance, provider):
    programme = make_programme(reviewer, finance, code="CS-CAP", provider_annual_cap=yuan(
        "10000.00"))
    holders = [member_user(make_enterprise()) for _ in range(3)]
    vouchers = [issue(programme, h, reviewer, "20000.00") for h in holders]
    approved = services.claim_confirm(
        claim=submit(provider, vouchers[0], "8000.00", invoice="16000.00"), actor=holders[0])
    services.claim_approve(claim=approved, actor=reviewer)
    with pytest.raises(DomainError) as exc:
        submit(provider, vouchers[1], "3000.00", invoice="6000.00")
    assert exc.value.code == "provider_cap_exceeded" and exc.value.extra["remaining"] == "2000.00"
    # two claims that each fit at submission cannot both be approved
    a = services.claim_confirm(claim=submit(provider, vouchers[1], "2000.00", invoice="4000.00"),
                               actor=holders[1])
    b = services.claim_confirm(claim=submit(provider, vouchers[2], "2000.00", invoice="4000.00"),
                               actor=holders[2])
    services.claim_approve(claim=a, actor=reviewer)
    assert code_of(lambda: services.claim_approve(claim=b, actor=reviewer)) == \
        "provider_cap_exceeded"
    services.claim_reject(claim=b, actor=reviewer, reason="超过服务机构年度限额")
    check_books(programme)


# --- voucher validity -------------------------------------------------------------------


def test_voucher_past_valid_until_or_expired(voucher, provider, enterprise, programme,
                                             set_today):
    pending = submit(provider, voucher, "100.00", invoice="1000.00")
    set_today(voucher.valid_until + timedelta(days=1))
    with pytest.raises(DomainError) as exc:
        submit(provider, voucher)
    assert exc.value.code == "voucher_not_active"
    assert code_of(lambda: services.claim_confirm(claim=pending, actor=enterprise)) == \
        "voucher_not_active"
    services.vouchers_expire(programme=programme)
    assert code_of(lambda: submit(provider, voucher)) == "voucher_not_active"


def test_claim_deadline(reviewer, finance, enterprise, provider, set_today):
    day = today()
    programme = make_programme(reviewer, finance, code="CS-DL",
                               claim_deadline=day + timedelta(days=5))
    voucher = issue(programme, enterprise, reviewer, "1000.00")
    set_today(day + timedelta(days=6))
    assert code_of(lambda: submit(provider, voucher, "100.00", invoice="1000.00")) == \
        "voucher_not_active"


# --- state machine and four eyes --------------------------------------------------------


def test_illegal_moves(voucher, provider, enterprise, reviewer):
    claim = submit(provider, voucher, "1000.00", invoice="2000.00")
    assert code_of(lambda: services.claim_approve(claim=claim, actor=reviewer)) == \
        "invalid_transition"
    services.claim_confirm(claim=claim, actor=enterprise)
    assert code_of(lambda: services.claim_confirm(claim=claim, actor=enterprise)) == \
        "invalid_transition"
    services.claim_approve(claim=claim, actor=reviewer)
    for action in (services.claim_withdraw, services.claim_refuse):
        assert code_of(lambda action=action: action(claim=claim, actor=provider
                       if action is services.claim_withdraw else enterprise)) == \
            "invalid_transition"
    assert code_of(lambda: services.claim_reject(claim=claim, actor=reviewer, reason="x")) == \
        "invalid_transition"
    response = client_for(reviewer).post(f"{URL}{claim.public_id}/approve/", {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"


def test_four_eyes_reviewer_of_provider(voucher, provider, enterprise):
    claim = services.claim_confirm(claim=submit(provider, voucher, "100.00", invoice="1000.00"),
                                   actor=enterprise)
    insider = User(pk=888_888, role=Role.REVIEWER, organization=provider.organization,
                   username="insider")
    assert code_of(lambda: services.claim_approve(claim=claim, actor=insider)) == \
        "four_eyes_required"
    assert code_of(lambda: services.claim_reject(claim=claim, actor=insider, reason="x")) == \
        "four_eyes_required"


def test_every_claim_state_through_the_services(voucher, provider, enterprise, reviewer,
                                                programme):
    """pending_confirmation, confirmed, approved, refused_by_enterprise, withdrawn, rejected
    here; the settlement states are in test_transitions (driven by the next issue)."""
    reached = set()
    for end in ("approve", "refuse", "withdraw", "reject"):
        claim = submit(provider, voucher, "1000.00", invoice="2000.00")
        reached.add(claim.status)
        claim = services.claim_confirm(claim=claim, actor=enterprise)
        reached.add(claim.status)
        if end == "approve":
            claim = services.claim_approve(claim=claim, actor=reviewer)
        elif end == "refuse":
            claim = services.claim_refuse(claim=claim, actor=enterprise)
        elif end == "withdraw":
            claim = services.claim_withdraw(claim=claim, actor=provider)
        else:
            claim = services.claim_reject(claim=claim, actor=reviewer, reason="不符合")
        reached.add(claim.status)
        check_books(programme)
    assert reached == {C.PENDING_CONFIRMATION, C.CONFIRMED, C.APPROVED,
                       C.REFUSED_BY_ENTERPRISE, C.WITHDRAWN, C.REJECTED}


# --- scoping ----------------------------------------------------------------------------


def test_scoping_and_roles(voucher, provider, enterprise, reviewer, auditor):
    claim = submit(provider, voucher, "1000.00", invoice="2000.00")
    other_provider = member_user(make_provider())
    other_enterprise = member_user(make_enterprise())
    for user in (other_provider, other_enterprise):
        response = client_for(user).get(f"{URL}{claim.public_id}/")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
        assert client_for(user).get(URL).json()["count"] == 0
    for user in (provider, enterprise, reviewer, auditor):
        assert client_for(user).get(URL).json()["count"] == 1
    # another enterprise cannot confirm it; a provider cannot confirm at all
    assert client_for(other_enterprise).post(f"{URL}{claim.public_id}/confirm/", {},
                                             format="json").status_code == 404
    assert client_for(provider).post(f"{URL}{claim.public_id}/confirm/", {},
                                     format="json").status_code == 403
    assert client_for(other_provider).post(f"{URL}{claim.public_id}/withdraw/", {},
                                           format="json").status_code == 404
    assert client_for(enterprise).post(f"{URL}{claim.public_id}/approve/", {},
                                       format="json").status_code == 403
    assert code_of(lambda: services.claim_confirm(claim=claim, actor=other_enterprise)) == \
        "not_found"
    assert client_for(reviewer).get(URL, {"status": "confirmed"}).json()["count"] == 0
    assert client_for(reviewer).get(URL, {"voucher": voucher.code}).json()["count"] == 1


def test_claim_input_errors(voucher, provider):
    client = client_for(provider)
    for bad in ({"amount": "15000.001"}, {"amount": 15000}, {"invoice_amount": "-1.00"},
                {"contract_date": "2026-13-01"}, {"category": "astrology"},
                {"invoice_number": ""}, {"amount": "40000.00"}):
        response = client.post(URL, claim_body(voucher, **bad), format="json")
        assert response.status_code == 400, (bad, response.json())
    missing = client.post(URL, claim_body(voucher, voucher="0000-0000-0000-0000"),
                          format="json")
    assert missing.status_code == 404


@pytest.mark.postgres
def test_confirm_and_approve_each_lock_then_write_everything_in_one_statement(
        voucher, provider, enterprise, reviewer, monkeypatch):
    """The claim's lock, then one statement: the ledger's hold or post, the claim's new
    state (and the provider's approved total) and the audit event (ADR 0012). Inside the
    test's transaction the service's own atomic block is a savepoint: SAVEPOINT, lock,
    write, RELEASE."""
    from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH

    from core import rows
    from tests.round_trips import RoundTrips

    sent, send = [], rows.fetchone_prepared
    monkeypatch.setattr(rows, "fetchone_prepared",
                        lambda sql, params: sent.append(sql) or send(sql, params))
    warm = submit(provider, voucher, "100.00", invoice="200.00")  # statements prepared
    services.claim_approve(claim=services.claim_confirm(claim=warm, actor=enterprise),
                           actor=reviewer)
    # psycopg parses a longer text again at every execution (core.rows.compact)
    assert sent and max(map(len, sent)) <= MAX_CACHED_STATEMENT_LENGTH
    claim = submit(provider, voucher, "1000.00", invoice="2000.00")
    trips = RoundTrips(monkeypatch)
    assert trips(lambda: services.claim_confirm(claim=claim, actor=enterprise)) == 4
    claim = Claim.objects.get(pk=claim.pk)
    assert claim.status == C.CONFIRMED and claim.hold_journal.pending
    assert trips(lambda: services.claim_approve(claim=claim, actor=reviewer)) == 4
    claim = Claim.objects.get(pk=claim.pk)
    assert claim.status == C.APPROVED
    balance, _ = fresh_balance(voucher)
    assert balance.held == 0
    assert check_books(voucher.programme)
