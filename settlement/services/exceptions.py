"""Reconciliation exceptions: finding sent lines the bank never answered, and resolving
any exception by hand with a reason (audited).

How an exception is resolved (`action`):
- `acknowledge` (default): nothing in the books changes; the reason says why (a transfer
  of another department, a repayment refunded outside the system...);
- `settle`: finance confirmed with the bank that the line's payment arrived in full; the
  line settles as a bank `ok` would (only for an exception about a line still sent);
- `fail`: finance confirmed the payment did not arrive; the line fails as a bank `returned`
  would, and its claims can be paid in a later batch.
"""

from datetime import date

from django.db import transaction

from audit.services import Change, audit_record_many
from core.errors import DomainError
from settlement.models import PaymentLine, ReconciliationException
from settlement.services.outcomes import Outcome, apply_outcomes
from settlement.transitions import EXCEPTION
from vouchers.rules import today
from vouchers.services.common import actor_label, clean_reason, now, user_or_none

K = ReconciliationException.Kind
ACTIONS = ("acknowledge", "settle", "fail")
_RESOLUTION = {
    "acknowledge": ReconciliationException.Resolution.ACKNOWLEDGED,
    "settle": ReconciliationException.Resolution.SETTLED,
    "fail": ReconciliationException.Resolution.FAILED,
}


def flag_missing_bank_lines(*, changes: list[Change], as_of: date | None = None) -> int:
    """Open one `missing_bank_line` exception for each sent line whose batch was due
    before `as_of` (default today) and that has none yet, nor a bank line that became an
    exception (an amount that differs: the bank did answer, finance decides)."""
    as_of = as_of or today()
    overdue = list(
        PaymentLine.objects.filter(status=PaymentLine.Status.SENT, batch__due_on__lt=as_of)
        .exclude(exceptions__kind=K.MISSING_BANK_LINE)
        .exclude(exceptions__bank_line__isnull=False)
        .select_related("batch")
    )
    exceptions = [
        ReconciliationException(
            kind=K.MISSING_BANK_LINE, payment_line=line, expected=line.amount,
            detail=f"No bank line for {line.reference} by {line.batch.due_on.isoformat()} "
                   f"(sent {line.batch.sent_at.date().isoformat()}).",
        )
        for line in overdue
    ]
    ReconciliationException.objects.bulk_create(exceptions, batch_size=5000)
    changes.extend(
        Change(action="reconciliation_exception.open", object_type=EXCEPTION.entity,
               object_id=e.public_id, before=None,
               after={"kind": e.kind, "detail": e.detail, "reference": e.payment_line.reference})
        for e in exceptions
    )
    return len(exceptions)


@transaction.atomic
def missing_bank_lines_check(*, actor=None, as_of: date | None = None) -> int:
    """The daily check (command and Celery beat): flag overdue sent lines."""
    changes: list[Change] = []
    flagged = flag_missing_bank_lines(changes=changes, as_of=as_of)
    audit_record_many(actor=actor, changes=changes)
    return flagged


@transaction.atomic
def exception_resolve(*, exception: ReconciliationException, actor, reason: str,
                      action: str = "acknowledge") -> ReconciliationException:
    reason = clean_reason(reason, required=True)
    if action not in ACTIONS:
        raise DomainError("invalid", f"action: one of {', '.join(ACTIONS)}.",
                          errors={"action": [f"One of {', '.join(ACTIONS)}."]})
    line = None
    if action != "acknowledge":
        # lock order as an import's: the payment line first, then the exception
        line = _line_to_decide(exception, action)
    exception = ReconciliationException.objects.select_for_update(no_key=True).get(
        pk=exception.pk)
    EXCEPTION.check("resolve", exception.status)
    changes: list[Change] = []
    if line is not None:
        why = f"resolution of exception {exception.public_id} by {actor_label(actor)}: {reason}"
        apply_outcomes(
            [Outcome(line, settled=action == "settle", why=why[:200],
                     failure_reason=f"failed by hand: {reason}" if action == "fail" else "")],
            settled_lines=PaymentLine.objects.filter(pk=line.pk if action == "settle" else None),
            failed_lines=PaymentLine.objects.filter(pk=line.pk if action == "fail" else None),
            programme_codes={line.batch_id: line.batch.programme.code}, actor=actor,
            source=f"exception:{exception.public_id}", why=why[:200],
            label=actor_label(actor), changes=changes,
        )
        exception.refresh_from_db()  # a missing-line exception was closed with its line
        if exception.status != ReconciliationException.Status.OPEN:
            audit_record_many(actor=actor, changes=changes)
            return exception
    exception.status = EXCEPTION.target("resolve", exception.status)
    exception.resolution = _RESOLUTION[action]
    exception.reason = reason
    exception.resolved_by, exception.resolved_at = user_or_none(actor), now()
    exception.save(update_fields=["status", "resolution", "reason", "resolved_by",
                                  "resolved_at"])
    changes.append(Change(action=f"{EXCEPTION.entity}.resolve", object_type=EXCEPTION.entity,
                          object_id=exception.public_id, before={"status": "open"},
                          after={"status": exception.status, "resolution": exception.resolution,
                                 "reason": reason}))
    audit_record_many(actor=actor, changes=changes)
    return exception


def _line_to_decide(exception: ReconciliationException, action: str) -> PaymentLine:
    if exception.payment_line_id is None:
        raise DomainError("invalid_transition",
                          f"A {exception.kind} exception has no payment line to {action}: "
                          "acknowledge it.")
    line = (PaymentLine.objects.select_for_update(no_key=True, of=("self",))
            .select_related("batch__programme").get(pk=exception.payment_line_id))
    if line.status != PaymentLine.Status.SENT:
        raise DomainError("invalid_transition",
                          f"Payment line {line.reference} is {line.status}: only a sent line "
                          f"can be {'settled' if action == 'settle' else 'failed'} by hand.",
                          state=line.status)
    return line
