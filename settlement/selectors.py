"""Reads: what finance and auditors see of batches, statements and exceptions."""

from django.db.models import Prefetch, QuerySet

from settlement.models import (
    BankStatement,
    PaymentItem,
    PaymentLine,
    PayoutBatch,
    ReconciliationException,
)
from vouchers.selectors import get_by_public_id


def batches() -> QuerySet[PayoutBatch]:
    """Batches with their lines and each line's claims (three queries for a page)."""
    items = PaymentItem.objects.select_related("claim").order_by("pk")
    lines = (PaymentLine.objects.select_related("provider").order_by("pk")
             .prefetch_related(Prefetch("items", queryset=items)))
    return (PayoutBatch.objects.select_related("programme", "built_by", "approved_by",
                                               "sent_by")
            .prefetch_related(Prefetch("lines", queryset=lines)))


def batch_get(public_id) -> PayoutBatch:
    return get_by_public_id(batches(), public_id, what="payout batch")


def statements() -> QuerySet[BankStatement]:
    return BankStatement.objects.select_related("uploaded_by")


def statement_get(public_id) -> BankStatement:
    return get_by_public_id(statements(), public_id, what="bank statement")


def exceptions() -> QuerySet[ReconciliationException]:
    return ReconciliationException.objects.select_related(
        "bank_line__statement", "payment_line__batch", "recovery", "resolved_by")


def exception_get(public_id) -> ReconciliationException:
    return get_by_public_id(exceptions(), public_id, what="reconciliation exception")


