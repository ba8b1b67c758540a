"""The double-entry ledger: accounts with cached balances, journals, entries.

Amounts are integer fen. Nothing here is ever updated or deleted except an account's
balance counters (and `version`), which change only through `ledger.services`, one UPDATE
statement per account. The database enforces the invariants (see migration 0002 and
docs/ledger.md); Python checks them first so errors read well.

Two-phase transfers, TigerBeetle style:

- a *pending* journal (`pending=True`) holds amounts: its entries have `pending=True` and
  raise the accounts' `debits_pending` / `credits_pending`;
- a *resolution* journal (`resolves` set, `resolution` "post" or "void") releases the hold:
  it carries `release=True` entries mirroring the pending ones (lowering the pending
  counters) and, for a post, posted entries for the amount actually posted (full or partial);
- a *reversal* journal (`reverses` set) mirrors a journal's posted entries with the sides
  swapped.

Every journal's entries balance per currency and per bucket (posted / pending).
"""

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Side(models.TextChoices):
    DEBIT = "debit", "借 Debit"
    CREDIT = "credit", "贷 Credit"


class Resolution(models.TextChoices):
    NONE = "", "—"
    POST = "post", "过账 Post"
    VOID = "void", "作废 Void"


class Account(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    #: e.g. "pool:CS-2026", "voucher:CS2026XXXX"; the part before the first ':' is the type
    code = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=200, blank=True)
    #: opaque reference to whatever owns the account (the ledger never interprets it)
    owner_ref = models.CharField(max_length=200, blank=True, db_index=True)
    currency = models.CharField(max_length=3, default="CNY")
    normal_side = models.CharField(max_length=6, choices=Side.choices)
    debits_must_not_exceed_credits = models.BooleanField(default=False)
    credits_must_not_exceed_debits = models.BooleanField(default=False)
    debits_posted = models.BigIntegerField(default=0)
    credits_posted = models.BigIntegerField(default=0)
    debits_pending = models.BigIntegerField(default=0)
    credits_pending = models.BigIntegerField(default=0)
    version = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(currency="CNY"), name="ledger_account_cny"),
            models.CheckConstraint(
                condition=Q(normal_side__in=["debit", "credit"]),
                name="ledger_account_normal_side",
            ),
            models.CheckConstraint(
                condition=Q(debits_posted__gte=0)
                & Q(credits_posted__gte=0)
                & Q(debits_pending__gte=0)
                & Q(credits_pending__gte=0),
                name="ledger_account_counters_not_negative",
            ),
            models.CheckConstraint(
                condition=~(
                    Q(debits_must_not_exceed_credits=True)
                    & Q(credits_must_not_exceed_debits=True)
                ),
                name="ledger_account_one_limit_flag",
            ),
            # TigerBeetle semantics: pending debits count against the limit.
            models.CheckConstraint(
                condition=Q(debits_must_not_exceed_credits=False)
                | Q(credits_posted__gte=F("debits_posted") + F("debits_pending")),
                name="ledger_account_debits_within_credits",
            ),
            models.CheckConstraint(
                condition=Q(credits_must_not_exceed_debits=False)
                | Q(debits_posted__gte=F("credits_posted") + F("credits_pending")),
                name="ledger_account_credits_within_debits",
            ),
        ]

    def __str__(self):
        return self.code

    @property
    def type(self) -> str:
        return self.code.split(":", 1)[0]


class Journal(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    #: chosen by the client; a retry with the same key and request changes nothing
    #: (unique: the UniqueConstraint in Meta, the ON CONFLICT arbiter of the write)
    idempotency_key = models.CharField(max_length=255)
    request_digest = models.CharField(max_length=64)
    kind = models.CharField(max_length=64)
    effective_date = models.DateField()
    actor = models.CharField(max_length=150, blank=True)
    memo = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    #: a hold (first phase of a two-phase transfer)
    pending = models.BooleanField(default=False)
    #: the pending journal this one posts or voids (each pending journal resolves once)
    resolves = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resolutions",
        db_index=False,  # the partial unique index below serves lookups
    )
    resolution = models.CharField(
        max_length=4, choices=Resolution.choices, default=Resolution.NONE, blank=True
    )
    #: the journal this one reverses (each journal is reversed at most once)
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            # Not unique=True, which would add an unused LIKE (varchar_pattern_ops) index.
            models.UniqueConstraint(
                fields=["idempotency_key"], name="ledger_journal_idempotency_key_key"
            ),
            # Partial: most journals resolve and reverse nothing, and pay for no index entry.
            models.UniqueConstraint(
                fields=["resolves"],
                condition=Q(resolves__isnull=False),
                name="ledger_journal_resolves_once",
            ),
            models.UniqueConstraint(
                fields=["reverses"],
                condition=Q(reverses__isnull=False),
                name="ledger_journal_reverses_once",
            ),
            models.CheckConstraint(
                condition=Q(resolution__in=["", "post", "void"]),
                name="ledger_journal_resolution_kind",
            ),
            models.CheckConstraint(
                condition=(Q(resolves__isnull=True) & Q(resolution=""))
                | (Q(resolves__isnull=False) & Q(resolution__in=["post", "void"])),
                name="ledger_journal_resolution_with_link",
            ),
            models.CheckConstraint(
                condition=Q(pending=False)
                | (Q(resolves__isnull=True) & Q(reverses__isnull=True)),
                name="ledger_journal_pending_is_plain",
            ),
            models.CheckConstraint(
                condition=Q(resolves__isnull=True) | Q(reverses__isnull=True),
                name="ledger_journal_one_link",
            ),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.idempotency_key})"


class Entry(models.Model):
    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="entries")
    # indexed by (account, journal) below, which also serves lookups by account alone
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    side = models.CharField(max_length=6, choices=Side.choices)
    amount = models.BigIntegerField()
    #: the currency of `amount`: the account's (both are CNY-only by CHECK constraint); kept
    #: on the entry so the database checks "balanced per currency" without reading accounts
    currency = models.CharField(max_length=3, db_default="CNY")
    #: counts in the pending counters (a hold, or the release of a hold)
    pending = models.BooleanField(default=False)
    #: releases a hold: lowers the pending counter of `side` instead of raising it
    release = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "entries"
        indexes = [models.Index(fields=["account", "journal"], name="ledger_entry_acct_jrnl")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_entry_amount_positive"),
            models.CheckConstraint(condition=Q(currency="CNY"), name="ledger_entry_cny"),
            models.CheckConstraint(
                condition=Q(side__in=["debit", "credit"]), name="ledger_entry_side"
            ),
            models.CheckConstraint(
                condition=Q(release=False) | Q(pending=True), name="ledger_entry_release_pending"
            ),
        ]

    def __str__(self):
        return f"{self.side} {self.amount} {self.account_id} (journal {self.journal_id})"
