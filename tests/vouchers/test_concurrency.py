"""Races on PostgreSQL: the ledger's limit flags and the row locks decide, never luck."""

import threading
from collections import Counter

import pytest
from django.db import connection

from core.errors import DomainError
from tests.factories import member_user, staff_user
from tests.vouchers.conftest import (
    check_books,
    issue,
    make_enterprise,
    make_programme,
    make_provider,
    submit,
    yuan,
)
from vouchers import services
from vouchers.models import Application, Claim, Voucher
from vouchers.selectors import voucher_balance

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(calls) -> Counter:
    """Run every call at the same moment, each in its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(call):
        try:
            barrier.wait()
            call()
            result = "ok"
        except DomainError as exc:
            result = exc.code
        except Exception as exc:
            result = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(outcomes)


def test_eight_confirmations_of_15000_against_20000_exactly_one_wins():
    reviewer, finance = staff_user("reviewer"), staff_user("finance")
    programme = make_programme(reviewer, finance)
    enterprise = member_user(make_enterprise())
    provider = member_user(make_provider())
    voucher = issue(programme, enterprise, reviewer, "20000.00")
    claims = [submit(provider, voucher, "15000.00", invoice="30000.00") for _ in range(8)]

    outcomes = race([lambda c=c: services.claim_confirm(claim=c, actor=enterprise)
                     for c in claims])

    assert outcomes == Counter({"ok": 1, "insufficient_voucher_balance": 7})
    assert Claim.objects.filter(status="confirmed").count() == 1
    balance = voucher_balance(Voucher.objects.select_related("account").get(pk=voucher.pk))
    assert (balance.available, balance.held) == (yuan("5000.00"), yuan("15000.00"))
    check_books(programme)


def test_concurrent_approvals_beyond_the_budget_never_overdraw():
    """100,000.00 funded; eight applications of 20,000.00 approved at once: five fit."""
    reviewer, finance = staff_user("reviewer"), staff_user("finance")
    programme = make_programme(reviewer, finance, funded="100000.00")
    applications = []
    for _ in range(8):
        user = member_user(make_enterprise())
        applications.append(services.application_submit(
            enterprise=user.organization, programme=programme, amount=yuan("20000.00"),
            actor=user))

    outcomes = race([lambda a=a: services.application_approve(application=a, actor=reviewer)
                     for a in applications])

    assert outcomes == Counter({"ok": 5, "budget_exhausted": 3})
    assert Application.objects.filter(status="approved").count() == 5
    budget = check_books(programme)
    assert budget["available"] == 0 and budget["issued_unspent"] == yuan("100000.00")


def test_concurrent_approvals_share_one_enterprise_cap():
    """Cap 50,000.00 shared; three applications of 20,000.00 approved at once: two fit."""
    reviewer, finance = staff_user("reviewer"), staff_user("finance")
    programme = make_programme(reviewer, finance)
    enterprise = member_user(make_enterprise())
    applications = [services.application_submit(
        enterprise=enterprise.organization, programme=programme, amount=yuan("20000.00"),
        actor=enterprise) for _ in range(3)]

    outcomes = race([lambda a=a: services.application_approve(application=a, actor=reviewer)
                     for a in applications])

    assert outcomes == Counter({"ok": 2, "enterprise_cap_exceeded": 1})
    check_books(programme)


def test_concurrent_approvals_share_one_controller_groups_cap():
    """Four enterprises under one actual controller, cap 50,000.00 shared; four
    applications of 20,000.00 (one each) approved at once: two fit. Another enterprise's
    approval is not held up by the group (no programme-wide lock)."""
    from accounts.identity import person_ref

    reviewer, finance = staff_user("reviewer"), staff_user("finance")
    programme = make_programme(reviewer, finance)
    controller = person_ref("group-controller")
    applications = []
    for _ in range(4):
        user = member_user(make_enterprise(actual_controller_ref=controller))
        applications.append(services.application_submit(
            enterprise=user.organization, programme=programme, amount=yuan("20000.00"),
            actor=user))
    loner = member_user(make_enterprise())
    applications.append(services.application_submit(
        enterprise=loner.organization, programme=programme, amount=yuan("20000.00"),
        actor=loner))

    outcomes = race([lambda a=a: services.application_approve(application=a, actor=reviewer)
                     for a in applications])

    assert outcomes == Counter({"ok": 3, "enterprise_cap_exceeded": 2})
    assert Voucher.objects.filter(enterprise=loner.organization).count() == 1
    check_books(programme)


def test_concurrent_claim_approvals_respect_the_provider_cap():
    reviewer, finance = staff_user("reviewer"), staff_user("finance")
    programme = make_programme(reviewer, finance, provider_annual_cap=yuan("10000.00"))
    provider = member_user(make_provider())
    claims = []
    for _ in range(4):
        holder = member_user(make_enterprise())
        voucher = issue(programme, holder, reviewer, "5000.00")
        claims.append(services.claim_confirm(
            claim=submit(provider, voucher, "4000.00", invoice="8000.00"), actor=holder))

    outcomes = race([lambda c=c: services.claim_approve(claim=c, actor=reviewer)
                     for c in claims])

    assert outcomes == Counter({"ok": 2, "provider_cap_exceeded": 2})
    check_books(programme)


def test_expiry_racing_confirmations_keeps_the_books():
    reviewer, finance = staff_user("reviewer"), staff_user("finance")
    programme = make_programme(reviewer, finance)
    enterprise = member_user(make_enterprise())
    provider = member_user(make_provider())
    voucher = issue(programme, enterprise, reviewer, "20000.00")
    claims = [submit(provider, voucher, "3000.00", invoice="6000.00") for _ in range(4)]
    from datetime import timedelta

    as_of = voucher.valid_until + timedelta(days=1)
    calls = [lambda c=c: services.claim_confirm(claim=c, actor=enterprise) for c in claims]
    calls.append(lambda: services.vouchers_expire(as_of=as_of, programme=programme))

    outcomes = race(calls)

    assert set(outcomes) <= {"ok", "voucher_not_active"}
    voucher = Voucher.objects.select_related("account").get(pk=voucher.pk)
    balance = voucher_balance(voucher)
    assert voucher.status == "expired" and balance.available == 0
    assert balance.held == Claim.objects.filter(status="confirmed").count() * yuan("3000.00")
    check_books(programme)
