"""Expiry: remainder back to the pool, holds stay until resolved, twice moves nothing."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from tests.conftest import client_for
from tests.factories import member_user
from tests.vouchers.conftest import check_books, issue, make_enterprise, submit, yuan
from vouchers import services
from vouchers.models import Voucher
from vouchers.tasks import expire_vouchers_daily


def test_expiry_returns_remainder_and_later_released_holds(programme, voucher, provider,
                                                           enterprise, reviewer):
    """20,000.00 voucher: 6,000.00 spent, 5,000.00 held, 9,000.00 unspent at expiry."""
    spent = services.claim_confirm(claim=submit(provider, voucher, "6000.00",
                                                invoice="12000.00"), actor=enterprise)
    services.claim_approve(claim=spent, actor=reviewer)
    held = services.claim_confirm(claim=submit(provider, voucher, "5000.00",
                                               invoice="10000.00"), actor=enterprise)
    held_too = services.claim_confirm(claim=submit(provider, voucher, "1000.00",
                                                   invoice="2000.00"), actor=enterprise)
    before = check_books(programme)
    assert before["available"] == yuan("980000.00")

    as_of = voucher.valid_until + timedelta(days=1)
    response = client_for(reviewer).post(f"/api/v1/programmes/{programme.code}/expire/",
                                         {"as_of": as_of.isoformat()}, format="json")
    assert response.status_code == 200, response.json()
    run = response.json()
    assert run["expired"] == 1 and run["vouchers"] == [voucher.code]
    assert run["returned"] == "8000.00" and run["still_held"] == "6000.00"
    assert run["budget"]["available"] == "988000.00"
    assert run["budget"]["held"] == "6000.00"
    check_books(programme)
    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.EXPIRED

    # the pending hold is still approvable; what a voided one releases returns too
    services.claim_approve(claim=held_too, actor=reviewer)
    services.claim_reject(claim=held, actor=reviewer, reason="验收不合格")
    budget = check_books(programme)
    assert budget["available"] == yuan("993000.00")
    assert budget["held"] == 0 and budget["issued_unspent"] == 0
    assert budget["approved_unpaid"] == yuan("7000.00")
    seen = client_for(enterprise).get(f"/api/v1/vouchers/{voucher.code}/").json()
    assert seen["status"] == "expired"
    assert (seen["available"], seen["held"], seen["spent"], seen["returned"]) == (
        "0.00", "0.00", "7000.00", "13000.00")

    # a second run (any date) moves nothing
    again = client_for(reviewer).post(f"/api/v1/programmes/{programme.code}/expire/",
                                      {"as_of": as_of.isoformat()}, format="json").json()
    assert (again["expired"], again["returned"]) == (0, "0.00")
    assert check_books(programme) == budget


def test_only_vouchers_past_valid_until(programme, voucher, reviewer):
    run = services.vouchers_expire(as_of=voucher.valid_until, programme=programme)
    assert run.expired == 0
    run = services.vouchers_expire(as_of=voucher.valid_until + timedelta(days=1))
    assert run.expired == 1 and run.returned == yuan("20000.00")
    assert check_books(programme)["available"] == yuan("1000000.00")


def test_default_is_today_and_audited(programme, voucher, set_today, reviewer):
    assert services.vouchers_expire().expired == 0
    set_today(voucher.valid_until + timedelta(days=1))
    response = client_for(reviewer).post(f"/api/v1/programmes/{programme.code}/expire/", {},
                                         format="json")
    assert response.json()["expired"] == 1
    event = AuditEvent.objects.get(action="voucher.expire")
    assert event.object_id == voucher.code and event.after["returned"] == "20000.00"


def test_expire_endpoint_is_for_reviewers(programme, finance, enterprise):
    for user in (finance, enterprise):
        response = client_for(user).post(f"/api/v1/programmes/{programme.code}/expire/", {},
                                         format="json")
        assert response.status_code == 403


def test_management_command(programme, voucher, reviewer):
    other = issue(programme, member_user(make_enterprise()), reviewer, "3000.00")
    out = StringIO()
    as_of = (voucher.valid_until + timedelta(days=1)).isoformat()
    call_command("expire_vouchers", "--as-of", as_of, stdout=out)
    assert "2 voucher(s) expired, 23000.00 returned" in out.getvalue()
    out = StringIO()
    call_command("expire_vouchers", "--as-of", as_of, "--programme", programme.code, stdout=out)
    assert "0 voucher(s) expired, 0.00 returned" in out.getvalue()
    assert Voucher.objects.get(pk=other.pk).status == "expired"
    with pytest.raises(CommandError):
        call_command("expire_vouchers", "--as-of", "31/12/2026")
    with pytest.raises(CommandError):
        call_command("expire_vouchers", "--programme", "NOPE")
    check_books(programme)


def test_celery_task_and_beat_schedule(programme, voucher):
    entry = settings.CELERY_BEAT_SCHEDULE["vouchers-expire-daily"]
    assert entry["task"] == "vouchers.expire_daily"
    as_of = (voucher.valid_until + timedelta(days=1)).isoformat()
    result = expire_vouchers_daily.delay(as_of).get()
    assert result == {"as_of": as_of, "expired": 1, "returned": yuan("20000.00"),
                      "still_held": 0}
    assert expire_vouchers_daily.delay(as_of).get()["expired"] == 0
    check_books(programme)
