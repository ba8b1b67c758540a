"""Payout batches: build (one finance user), approve (another), export the payment file,
send, cancel.

Sending places one ledger hold per payment line, Dr payable, Cr in_payment: the money is
on its way and no longer payable, until the bank's statement posts the hold (paid) or a
returned line voids it (payable again). Claims go `in_payment` with it.
"""

import hashlib
from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import Organization, Role
from audit.services import Change, audit_record, audit_record_many
from core.errors import DomainError
from core.money import format_fen
from ledger import services as ledger_services
from settlement import files, references
from settlement.models import PaymentItem, PaymentLine, PayoutBatch
from settlement.services.common import due_days, move_claims
from settlement.transitions import BATCH, LINE, PAYMENT_FILE_STATES
from vouchers import chart
from vouchers.models import Claim, Programme
from vouchers.rules import today
from vouchers.services.common import actor_label, clean_reason, now, user_or_none

C = Claim.Status


def payable_claims(programme: Programme):
    """Claims of the programme that a new batch takes: approved (or failed at the bank),
    not frozen, of an active provider with a bank account, in no open or paid item."""
    batched = PaymentItem.objects.filter(
        claim=OuterRef("pk"), outcome__in=[PaymentItem.Outcome.OPEN, PaymentItem.Outcome.PAID]
    )
    return (
        Claim.objects.filter(programme=programme, status__in=[C.APPROVED, C.PAYMENT_FAILED],
                             frozen=False, provider__status=Organization.Status.ACTIVE)
        .exclude(provider__bank_account_number="")
        .exclude(Exists(batched))
    )


@transaction.atomic
def batch_build(*, programme: Programme, actor) -> PayoutBatch:
    """A draft batch of every payable claim of the programme, one line per provider.

    Builders of the same programme queue on the programme's row, so two drafts never take
    the same claim (the database refuses it anyway: PaymentItem's partial unique index)."""
    Programme.objects.select_for_update(no_key=True).filter(pk=programme.pk).get()
    claims = list(payable_claims(programme).order_by("provider_id", "pk").values_list(
        "pk", "amount", "provider_id", "provider_programme_id"))
    if not claims:
        raise DomainError("nothing_to_pay",
                          f"No approved claim of {programme.code} awaits payment.")
    by_provider: dict[int, list[tuple[int, int]]] = defaultdict(list)
    positions = {}
    for pk, amount, provider_id, position_id in claims:
        by_provider[provider_id].append((pk, amount))
        positions[provider_id] = position_id
    providers = Organization.objects.in_bulk(list(by_provider))
    batch = PayoutBatch.objects.create(
        programme=programme, built_by=user_or_none(actor),
        total=sum(amount for _, amount, _, _ in claims),
    )
    lines = [
        PaymentLine(
            batch=batch, reference=references.payment_line_reference(batch.pk, n),
            provider_id=provider_id, provider_programme_id=positions[provider_id],
            payee_name=providers[provider_id].bank_account_name or providers[provider_id].name,
            payee_account=providers[provider_id].bank_account_number,
            payee_bank=providers[provider_id].bank_name,
            amount=sum(amount for _, amount in items),
        )
        for n, (provider_id, items) in enumerate(sorted(by_provider.items()), start=1)
    ]
    PaymentLine.objects.bulk_create(lines, batch_size=2000)
    line_of = dict(PaymentLine.objects.filter(batch=batch).values_list("provider_id", "pk"))
    PaymentItem.objects.bulk_create(
        [PaymentItem(line_id=line_of[provider_id], claim_id=pk, amount=amount)
         for provider_id, items in by_provider.items() for pk, amount in items],
        batch_size=5000,
    )
    audit_record(actor=actor, action=f"{BATCH.entity}.build", object_type=BATCH.entity,
                 object_id=batch.public_id, before=None,
                 after={"status": batch.status, "programme": programme.code,
                        "total": format_fen(batch.total), "lines": len(lines),
                        "claims": len(claims)})
    return batch


def _lock(batch: PayoutBatch) -> PayoutBatch:
    return PayoutBatch.objects.select_for_update(no_key=True).select_related("programme").get(
        pk=batch.pk)


def _ensure_payees_may_be_paid(batch: PayoutBatch) -> None:
    """Blacklisting or suspension after the batch was built stops it: a blacklisted
    organisation is paid no new money (SPEC §3), a frozen claim waits for a reviewer."""
    items = PaymentItem.objects.filter(line__batch=batch)
    frozen = items.filter(claim__frozen=True).select_related("line").first()
    if frozen is not None:
        raise DomainError(
            "blacklisted",
            f"Claims of payment line {frozen.line.reference} ({frozen.line.payee_name}) are "
            "frozen for review: cancel this batch and build a new one.",
        )
    for line in batch.lines.select_related("provider").exclude(
            provider__status=Organization.Status.ACTIVE):
        code = ("blacklisted" if line.provider.status == Organization.Status.BLACKLISTED
                else "organization_not_active")
        raise DomainError(code, f"{line.provider.name} ({line.reference}) is "
                                f"{line.provider.status}: cancel this batch and build a new one.")


@transaction.atomic
def batch_approve(*, batch: PayoutBatch, actor) -> PayoutBatch:
    """Another finance user approves the draft (four eyes: never its builder)."""
    batch = _lock(batch)
    before = batch.status
    BATCH.check("approve", before)
    if batch.built_by_id == getattr(actor, "pk", None):
        raise DomainError("four_eyes_required",
                          "You built this batch: another finance user must approve it.")
    _ensure_payees_may_be_paid(batch)
    batch.status = BATCH.target("approve", before)
    batch.approved_by, batch.approved_at = user_or_none(actor), now()
    batch.save(update_fields=["status", "approved_by", "approved_at"])
    audit_record(actor=actor, action=f"{BATCH.entity}.approve", object_type=BATCH.entity,
                 object_id=batch.public_id, before={"status": before},
                 after={"status": batch.status, "total": format_fen(batch.total)})
    return batch


@transaction.atomic
def batch_send(*, batch: PayoutBatch, actor) -> PayoutBatch:
    """Mark the batch sent to the bank: one hold per line (payable -> in payment), its
    lines `sent`, its claims `in_payment`; bank lines are due within SETTLEMENT_DUE_DAYS."""
    batch = _lock(batch)
    before = batch.status
    BATCH.check("send", before)
    _ensure_payees_may_be_paid(batch)
    programme = batch.programme
    in_payment = chart.programme_account(chart.IN_PAYMENT, programme.code)
    lines = list(batch.lines.select_related("provider_programme").order_by("pk"))
    label = actor_label(actor)
    holds = ledger_services.batch_post([
        ledger_services.JournalSpec(
            key=chart.send_key(line), kind="payout.send", pending=True, actor=label,
            legs=[ledger_services.Leg(line.provider_programme.payable_account_id, "debit",
                                      line.amount),
                  ledger_services.Leg(in_payment.pk, "credit", line.amount)],
            metadata={"batch": str(batch.public_id), "line": line.reference},
        )
        for line in lines
    ])
    changes: list[Change] = []
    for line, hold in zip(lines, holds, strict=True):
        LINE.check("send", line.status)
        line.status, line.hold_journal_id = PaymentLine.Status.SENT, hold.pk
        changes.append(Change(action=f"{LINE.entity}.send", object_type=LINE.entity,
                              object_id=line.reference, before={"status": "pending"},
                              after={"status": line.status, "amount": format_fen(line.amount),
                                     "hold": str(hold.public_id)}))
    PaymentLine.objects.bulk_update(lines, ["status", "hold_journal"], batch_size=2000)
    move_claims(Claim.objects.filter(payment_items__line__batch=batch,
                                     payment_items__outcome=PaymentItem.Outcome.OPEN),
                "send_for_payment", changes=changes, after={"batch": str(batch.public_id)})
    batch.status = BATCH.target("send", before)
    batch.sent_by, batch.sent_at = user_or_none(actor), now()
    batch.due_on = today() + timedelta(days=due_days())
    batch.save(update_fields=["status", "sent_by", "sent_at", "due_on"])
    changes.append(Change(action=f"{BATCH.entity}.send", object_type=BATCH.entity,
                          object_id=batch.public_id, before={"status": before},
                          after={"status": batch.status, "due_on": batch.due_on,
                                 "total": format_fen(batch.total)}))
    audit_record_many(actor=actor, changes=changes)
    return batch


@transaction.atomic
def batch_cancel(*, batch: PayoutBatch, actor, reason: str) -> PayoutBatch:
    """Discard a draft or approved batch whose payment file finance has not taken (the
    bank cannot have it): its claims are payable again."""
    batch = _lock(batch)
    before = batch.status
    BATCH.check("cancel", before)
    if batch.file_exported_at is not None:
        raise DomainError(
            "invalid_transition",
            f"The payment file of this batch was exported on "
            f"{timezone.localtime(batch.file_exported_at):%Y-%m-%d %H:%M}: the bank may pay "
            "it, so the batch cannot be cancelled. Send it; what the bank does not pay comes "
            "back as returned lines or as exceptions to fail by hand.", state=before)
    batch.reason = clean_reason(reason, required=True)
    lines = list(batch.lines.order_by("pk").values_list("reference", "status"))
    for _, status in lines:
        LINE.check("cancel", status)
    PaymentItem.objects.filter(line__batch=batch).update(outcome=PaymentItem.Outcome.CANCELLED)
    batch.lines.update(status=PaymentLine.Status.CANCELLED)
    batch.status = BATCH.target("cancel", before)
    batch.cancelled_by, batch.closed_at = user_or_none(actor), now()
    batch.save(update_fields=["status", "reason", "cancelled_by", "closed_at"])
    audit_record_many(actor=actor, changes=[
        *(Change(action=f"{LINE.entity}.cancel", object_type=LINE.entity, object_id=reference,
                 before={"status": status}, after={"status": PaymentLine.Status.CANCELLED})
          for reference, status in lines),
        Change(action=f"{BATCH.entity}.cancel", object_type=BATCH.entity,
               object_id=batch.public_id, before={"status": before},
               after={"status": batch.status, "reason": batch.reason}),
    ])
    return batch


@transaction.atomic
def batch_payment_file(*, batch: PayoutBatch, actor) -> bytes:
    """The payment file (settlement.files) of an approved or later batch. Every download
    is audited; the first one by finance is recorded on the batch, which from then on
    cannot be cancelled (the bank may pay the file)."""
    batch = _lock(batch)
    if batch.status not in PAYMENT_FILE_STATES:
        raise DomainError("invalid_transition",
                          f"The batch is {batch.status}: its payment file exists once it is "
                          "approved.", state=batch.status)
    content = files.payment_file(batch.lines.order_by("pk"))
    first = batch.file_exported_at is None and getattr(actor, "role", None) == Role.FINANCE
    if first:
        batch.file_exported_at, batch.file_exported_by = now(), actor
        batch.save(update_fields=["file_exported_at", "file_exported_by"])
    audit_record(actor=actor, action=f"{BATCH.entity}.payment_file", object_type=BATCH.entity,
                 object_id=batch.public_id, before=None,
                 after={"status": batch.status, "first": first,
                        "digest": hashlib.sha256(content).hexdigest()})
    return content
