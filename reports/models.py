"""Issued statements: what was printed, its digests and the verification code on its pages.

A statement's data is computed (from the ledger, through `reports.selectors`) when it is
requested and stored here as JSON: the PDF, rendered at once or later by a worker, is made
from exactly that data, and `data_digest` is its SHA-256. `pdf_digest` is the SHA-256 of
the PDF bytes. The `code` printed on every page is derived from those contents
(`reports.verification`) and is unique: a presented code is ours when a row carries it.
"""

import uuid

from django.conf import settings
from django.db import models


class IssuedStatement(models.Model):
    class Kind(models.TextChoices):
        PAYOUT_BATCH = "payout_batch", "拨付清单 Payout batch statement"
        PROGRAMME_MONTHLY = "programme_monthly", "月度结算表 Monthly settlement statement"
        BUDGET_EXECUTION = "budget_execution", "预算执行情况表 Budget execution report"
        ORGANIZATION = "organization", "机构对账单 Organisation statement"

    class Status(models.TextChoices):
        PENDING = "pending", "排队中 Pending"
        RENDERING = "rendering", "生成中 Rendering"
        READY = "ready", "已生成 Ready"
        FAILED = "failed", "失败 Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    #: what the statement covers: batch id, programme code, month, organisation, period
    parameters = models.JSONField(default=dict)
    lang = models.CharField(max_length=8, default="zh-hans")
    #: the verification code without separators (Crockford base32, 16 characters)
    code = models.CharField(max_length=16, unique=True)
    #: the statement's figures as printed (fen), for the verification answer
    totals = models.JSONField(default=dict)
    #: the whole statement data (reports.selectors), the PDF's only input
    data = models.JSONField(default=dict)
    data_digest = models.CharField(max_length=64)
    pdf_digest = models.CharField(max_length=64, blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    pages = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    #: rendering progress, 0-100 (chunks rendered / chunks)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    #: the moment the figures were read (数据截至)
    data_cutoff = models.DateTimeField()
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["kind", "issued_at"])]

    def __str__(self):
        return f"{self.kind} {self.code}"
