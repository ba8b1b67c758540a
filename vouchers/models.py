"""Programmes, applications, vouchers, claims (SPEC §3).

Money is integer fen (BigIntegerField); ratios are basis points (4000 = "0.40"). Balances
are not stored here: the ledger holds them (vouchers.chart maps each object onto ledger
accounts) and `vouchers.selectors` reads them. Status changes go through the machines in
`vouchers.transitions`, never by assigning `status` directly.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts.models import Organization, ServiceCategory


class Programme(models.Model):
    """One annual voucher programme of a region, e.g. CS-2026 (Changsha 2026)."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    region_code = models.CharField(max_length=6)
    year = models.PositiveSmallIntegerField()
    application_opens = models.DateField()
    application_closes = models.DateField()
    valid_until = models.DateField()
    claim_deadline = models.DateField()
    enterprise_annual_cap = models.BigIntegerField()
    provider_annual_cap = models.BigIntegerField()
    ratio_high_tech_bp = models.PositiveIntegerField()
    ratio_sme_tech_bp = models.PositiveIntegerField()
    ratio_default_bp = models.PositiveIntegerField()
    categories = models.JSONField(default=list)
    partner_regions = models.JSONField(default=list, blank=True)
    appropriation_account = models.ForeignKey(
        "ledger.Account", on_delete=models.PROTECT, related_name="+"
    )
    pool_account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(enterprise_annual_cap__gt=0) & Q(provider_annual_cap__gt=0),
                name="programme_caps_positive",
            ),
            models.CheckConstraint(
                condition=Q(ratio_high_tech_bp__lte=10000)
                & Q(ratio_sme_tech_bp__lte=10000)
                & Q(ratio_default_bp__lte=10000),
                name="programme_ratios_at_most_one",
            ),
            models.CheckConstraint(
                condition=Q(application_closes__gte=F("application_opens")),
                name="programme_window_ordered",
            ),
        ]

    def __str__(self):
        return self.code

    def ratio_bp(self, enterprise_class: str) -> int:
        return {
            "high_tech": self.ratio_high_tech_bp,
            "sme_tech": self.ratio_sme_tech_bp,
            "default": self.ratio_default_bp,
        }[enterprise_class]


class Appropriation(models.Model):
    """A funding of a programme by the finance bureau (one ledger journal each)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="appropriations"
    )
    amount = models.BigIntegerField()
    funded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    memo = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="appropriation_positive"),
        ]

    def __str__(self):
        return f"{self.programme_id}: {self.amount}"


class Application(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待审核 Submitted"
        APPROVED = "approved", "已批准 Approved"
        REJECTED = "rejected", "已驳回 Rejected"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="applications")
    enterprise = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="voucher_applications"
    )
    amount = models.BigIntegerField()
    approved_amount = models.BigIntegerField(null=True, blank=True)
    purpose = models.CharField(max_length=1000, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    reason = models.CharField(max_length=500, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["enterprise", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="application_amount_positive"),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | (Q(approved_amount__gt=0) & Q(approved_amount__lte=F("amount"))),
                name="application_approved_within_asked",
            ),
        ]

    def __str__(self):
        return f"{self.programme_id}/{self.public_id}"


class Voucher(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "有效 Active"
        EXHAUSTED = "exhausted", "已用完 Exhausted"
        EXPIRED = "expired", "已过期 Expired"
        REVOKED = "revoked", "已撤销 Revoked"

    #: formatted with dashes (vouchers.codes); lookups normalise what was typed first
    code = models.CharField(max_length=19, unique=True)
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="vouchers")
    enterprise = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="vouchers")
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="voucher"
    )
    #: the voucher's own ledger account ("voucher:<code>"): its balances are the voucher's
    account = models.OneToOneField("ledger.Account", on_delete=models.PROTECT, related_name="+")
    face_value = models.BigIntegerField()
    issued_on = models.DateField()
    valid_until = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    #: what went back to the programme pool after expiry (remainder + holds released later)
    returned = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["programme", "status", "valid_until"]),
            models.Index(fields=["enterprise", "programme"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(face_value__gt=0), name="voucher_face_positive"),
            models.CheckConstraint(
                condition=Q(returned__gte=0) & Q(returned__lte=F("face_value")),
                name="voucher_returned_within_face",
            ),
        ]

    def __str__(self):
        return self.code

    @property
    def public_id(self) -> str:  # the state machine's object id
        return self.code


class ProviderProgramme(models.Model):
    """A provider's position in one programme: its payable account and its approved total.

    The row is locked when a claim is approved, so two approvals for the same provider
    cannot both slip under the provider's annual cap.
    """

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    payable_account = models.OneToOneField(
        "ledger.Account", on_delete=models.PROTECT, related_name="+"
    )
    #: sum of the provider's approved claims in the programme (the cap counts these)
    approved_total = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "provider"], name="provider_programme_unique"
            ),
            models.CheckConstraint(
                condition=Q(approved_total__gte=0), name="provider_programme_total_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.programme_id}:{self.provider_id}"


class Claim(models.Model):
    class Status(models.TextChoices):
        PENDING_CONFIRMATION = "pending_confirmation", "待企业确认 Pending confirmation"
        CONFIRMED = "confirmed", "企业已确认 Confirmed"
        APPROVED = "approved", "已核准 Approved"
        IN_PAYMENT = "in_payment", "拨付中 In payment"
        PAID = "paid", "已拨付 Paid"
        PAYMENT_FAILED = "payment_failed", "拨付失败 Payment failed"
        REFUSED_BY_ENTERPRISE = "refused_by_enterprise", "企业拒绝 Refused by enterprise"
        WITHDRAWN = "withdrawn", "已撤回 Withdrawn"
        REJECTED = "rejected", "已驳回 Rejected"
        CLAWBACK_ORDERED = "clawback_ordered", "责令追回 Clawback ordered"
        RECOVERED = "recovered", "已追回 Recovered"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="claims")
    # programme, provider, enterprise: no index of their own; the (x, status) indexes in
    # Meta lead with the same column and serve lookups (and PROTECT checks) by it alone
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="claims", db_index=False
    )
    provider = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="claims", db_index=False
    )
    enterprise = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    provider_programme = models.ForeignKey(
        ProviderProgramme, on_delete=models.PROTECT, related_name="claims"
    )
    category = models.CharField(max_length=32, choices=ServiceCategory.choices)
    contract_number = models.CharField(max_length=100)
    contract_date = models.DateField()
    invoice_number = models.CharField(max_length=64)
    #: upper-case, without spaces or dashes: unique across every claim ever made (the
    #: UniqueConstraint in Meta; services.claims maps its violation to duplicate_invoice)
    invoice_number_normalised = models.CharField(max_length=64)
    invoice_amount = models.BigIntegerField()
    amount = models.BigIntegerField()
    #: the enterprise's class on the contract date and the ratio that gave the ceiling
    enterprise_class = models.CharField(max_length=16)
    ratio_bp = models.PositiveIntegerField()
    status = models.CharField(
        max_length=24, choices=Status.choices, default=Status.PENDING_CONFIRMATION
    )
    reason = models.CharField(max_length=500, blank=True)
    #: open claims of a blacklisted organisation wait for a reviewer (ADR 0004)
    frozen = models.BooleanField(default=False)
    frozen_reason = models.CharField(max_length=500, blank=True)
    #: the hold on the voucher placed by the enterprise's confirmation
    hold_journal = models.OneToOneField(
        "ledger.Journal", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: set by a clawback: the reference the provider's repayment must quote (settlement)
    clawback_reference = models.CharField(max_length=32, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["provider", "status"]),
            models.Index(fields=["enterprise", "status"]),
            models.Index(fields=["programme", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(amount__lte=F("invoice_amount")),
                name="claim_amount_within_invoice",
            ),
            # A constraint rather than unique=True: same UNIQUE, same name as before, but
            # no second (varchar_pattern_ops) index for LIKE, which nothing uses. The name
            # must keep containing the column name (services.claims matches it).
            models.UniqueConstraint(
                fields=["invoice_number_normalised"],
                name="vouchers_claim_invoice_number_normalised_key",
            ),
        ]

    def __str__(self):
        return str(self.public_id)

    @property
    def enterprise_share(self) -> int:
        return self.invoice_amount - self.amount
