"""Scheduled work: the daily check for sent lines the bank never answered
(CELERY_BEAT_SCHEDULE "settlement-missing-bank-lines-daily")."""

from celery import shared_task

from settlement.services import missing_bank_lines_check


@shared_task(name="settlement.missing_bank_lines_daily")
def missing_bank_lines_daily() -> dict:
    flagged = missing_bank_lines_check(actor="celery:settlement.missing_bank_lines_daily")
    return {"flagged": flagged}
