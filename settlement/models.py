"""Settlement (SPEC §3 "Payout and reconciliation", "Clawback").

Money is integer fen. Status changes go through the machines in `settlement.transitions`.
What the database itself guarantees (the rules Python also checks, for readable errors):

- four eyes: a batch's approver is not its builder (CHECK);
- a claim is in at most one payment line that is still open or paid (partial UNIQUE on
  `PaymentItem.claim`): it cannot be batched twice, nor paid twice;
- a bank line settles (or fails) at most one payment line, and a payment line is settled
  or failed by at most one bank line (`BankStatementLine.payment_line` is one-to-one);
- a bank file is imported once (UNIQUE digest) and a bank line once, whatever file
  brings it again (UNIQUE `line_key`);
- a recovery never recovers more than was ordered (CHECK).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts.models import Organization
from vouchers.models import Claim, Programme, ProviderProgramme

_USER = settings.AUTH_USER_MODEL


def _user(**kwargs):
    return models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+", **kwargs)


def _optional_user():
    return _user(null=True, blank=True)


class PayoutBatch(models.Model):
    """Approved claims of one programme, one payment line per provider (拨付批次)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿 Draft"
        APPROVED = "approved", "已复核 Approved"
        SENT = "sent", "已发送银行 Sent"
        SETTLED = "settled", "已结清 Settled"
        PARTLY_FAILED = "partly_failed", "部分失败 Partly failed"
        CANCELLED = "cancelled", "已作废 Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT,
                                  related_name="payout_batches")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    total = models.BigIntegerField(default=0)
    built_by = _user()
    approved_by = _optional_user()
    sent_by = _optional_user()
    cancelled_by = _optional_user()
    #: bank lines are expected by then; a sent line still without one is an exception
    due_on = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    #: the first time finance took the payment file: the bank may pay it from then on,
    #: so the batch can no longer be cancelled (its claims would be batched again)
    file_exported_at = models.DateTimeField(null=True, blank=True)
    file_exported_by = _optional_user()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0),
                                   name="payout_batch_total_not_negative"),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("built_by")),
                name="payout_batch_four_eyes",
            ),
        ]

    def __str__(self):
        return f"{self.programme_id}/{self.public_id}"


class PaymentLine(models.Model):
    """One transfer to one provider: the sum of its claims in the batch."""

    class Status(models.TextChoices):
        PENDING = "pending", "待发送 Pending"
        SENT = "sent", "已发送 Sent"
        SETTLED = "settled", "已到账 Settled"
        FAILED = "failed", "失败 Failed"
        CANCELLED = "cancelled", "已作废 Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="lines")
    #: what the bank carries back on its statement line (the payment's 附言 / reference)
    reference = models.CharField(max_length=32, unique=True)
    provider = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    provider_programme = models.ForeignKey(ProviderProgramme, on_delete=models.PROTECT,
                                           related_name="+")
    #: the payee as it stood when the batch was built (what the approver saw)
    payee_name = models.CharField(max_length=200)
    payee_account = models.CharField(max_length=64)
    payee_bank = models.CharField(max_length=200)
    amount = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    #: the ledger hold placed when the batch was sent (payable -> in payment)
    hold_journal = models.OneToOneField("ledger.Journal", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    failure_reason = models.CharField(max_length=500, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "batch"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_line_amount_positive"),
            models.UniqueConstraint(fields=["batch", "provider"],
                                    name="payment_line_one_per_provider"),
        ]

    def __str__(self):
        return self.reference


class PaymentItem(models.Model):
    """A claim paid by a payment line. A claim whose line failed is batched again in a new
    item; the failed item stays as history."""

    class Outcome(models.TextChoices):
        OPEN = "open", "待拨付 Open"
        PAID = "paid", "已拨付 Paid"
        FAILED = "failed", "失败 Failed"
        CANCELLED = "cancelled", "已作废 Cancelled"

    line = models.ForeignKey(PaymentLine, on_delete=models.PROTECT, related_name="items")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="payment_items")
    amount = models.BigIntegerField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.OPEN)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_item_amount_positive"),
            # the database's own "never batched twice, never paid twice"
            models.UniqueConstraint(fields=["claim"], condition=Q(outcome__in=["open", "paid"]),
                                    name="payment_item_claim_once"),
        ]

    def __str__(self):
        return f"{self.line_id}:{self.claim_id}"


class Recovery(models.Model):
    """A clawback: what the provider owes back for a paid claim (a receivable)."""

    class Status(models.TextChoices):
        OPEN = "open", "待追回 Open"
        RECOVERED = "recovered", "已追回 Recovered"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="recovery")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    #: the reference the provider's repayment must quote
    reference = models.CharField(max_length=32, unique=True)
    amount = models.BigIntegerField()
    recovered = models.BigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    reason = models.CharField(max_length=500)
    ordered_by = _optional_user()
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(recovered__gte=0) & Q(recovered__lte=F("amount")),
                name="recovery_within_amount",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def outstanding(self) -> int:
        return self.amount - self.recovered


class BankStatement(models.Model):
    """One imported bank return / statement file. Imported once: its digest is unique."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    #: SHA-256 of the file's bytes
    digest = models.CharField(max_length=64, unique=True)
    filename = models.CharField(max_length=255, blank=True)
    encoding = models.CharField(max_length=16)
    uploaded_by = _optional_user()
    created_at = models.DateTimeField(auto_now_add=True)
    line_count = models.PositiveIntegerField(default=0)
    #: counts of this file's lines (SPEC §5)
    matched = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)
    exceptions = models.PositiveIntegerField(default=0)
    #: lines an earlier file had already brought (same line key): not applied again
    already_imported = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"{self.filename or 'statement'} ({self.digest[:12]})"


class BankStatementLine(models.Model):
    class Status(models.TextChoices):
        OK = "ok", "成功 OK"
        RETURNED = "returned", "退回 Returned"

    class Outcome(models.TextChoices):
        MATCHED = "matched", "已匹配 Matched"
        RETURNED = "returned", "已退回 Returned"
        EXCEPTION = "exception", "差异 Exception"

    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="lines")
    line_number = models.PositiveIntegerField()  # in the file, the header being line 1
    #: identifies the bank transaction whatever file brings it (settlement.files.line_key)
    line_key = models.CharField(max_length=64, unique=True)
    value_date = models.DateField()
    reference = models.CharField(max_length=64)
    amount = models.BigIntegerField()
    account = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices)
    note = models.CharField(max_length=500, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    #: the payment line this bank line settled or failed (at most one, and only once)
    payment_line = models.OneToOneField(PaymentLine, null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="bank_line")
    #: the recovery this incoming line paid into
    recovery = models.ForeignKey(Recovery, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="receipts")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["reference"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="bank_line_amount_positive"),
            models.CheckConstraint(
                condition=Q(payment_line__isnull=True) | Q(recovery__isnull=True),
                name="bank_line_settles_one_thing",
            ),
        ]

    def __str__(self):
        return f"{self.statement_id}:{self.line_number} {self.reference}"


class ReconciliationException(models.Model):
    """A difference between the bank and the books, resolved by hand with a reason."""

    class Kind(models.TextChoices):
        UNKNOWN_REFERENCE = "unknown_reference", "未知参考号 Unknown reference"
        AMOUNT_MISMATCH = "amount_mismatch", "金额不符 Amount differs"
        ALREADY_SETTLED = "already_settled", "重复到账 Line already settled"
        NOT_SENT = "not_sent", "未发送的付款 Payment not sent"
        OVERPAYMENT = "overpayment", "超额还款 Repayment above what is owed"
        UNEXPECTED_RETURN = "unexpected_return", "退回无对应付款 Return of no payment"
        MISSING_BANK_LINE = "missing_bank_line", "银行未回单 No bank line by the due date"

    class Status(models.TextChoices):
        OPEN = "open", "待处理 Open"
        RESOLVED = "resolved", "已处理 Resolved"

    class Resolution(models.TextChoices):
        NONE = "", "—"
        ACKNOWLEDGED = "acknowledged", "确认无需调整 Acknowledged"
        SETTLED = "settled", "人工确认到账 Settled by hand"
        FAILED = "failed", "人工确认失败 Failed by hand"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    bank_line = models.OneToOneField(BankStatementLine, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="exception")
    payment_line = models.ForeignKey(PaymentLine, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="exceptions")
    recovery = models.ForeignKey(Recovery, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="exceptions")
    #: what the bank said and what the books expected (fen), where they apply
    amount = models.BigIntegerField(null=True, blank=True)
    expected = models.BigIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=500)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    resolved_by = _optional_user()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "kind"])]
        constraints = [
            # a sent line without its bank line is reported once
            models.UniqueConstraint(fields=["payment_line"],
                                    condition=Q(kind="missing_bank_line"),
                                    name="reconciliation_missing_once"),
            models.CheckConstraint(
                condition=Q(status="open", resolution="")
                | (Q(status="resolved") & ~Q(resolution="")),
                name="reconciliation_resolution_with_status",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.public_id}"
