"""Scheduled work: the daily expiry run (CELERY_BEAT_SCHEDULE "vouchers-expire-daily")."""

from datetime import date

from celery import shared_task

from vouchers.services import vouchers_expire


@shared_task(name="vouchers.expire_daily")
def expire_vouchers_daily(as_of: str | None = None) -> dict:
    """Expire every voucher past `valid_until` today (Asia/Shanghai); idempotent."""
    run = vouchers_expire(as_of=date.fromisoformat(as_of) if as_of else None,
                          actor="celery:vouchers.expire_daily")
    return {"as_of": run.as_of.isoformat(), "expired": run.expired, "returned": run.returned,
            "still_held": run.still_held}
