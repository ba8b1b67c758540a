"""What the bank's answer does to sent payment lines, whoever brings it: a statement line
(`statements`) or a finance user resolving an exception by hand (`exceptions`).

- settled: the line's hold is posted (payable -> in_payment) and moved on (in_payment ->
  paid); the line `settled`, its items and claims `paid`;
- failed: the hold is voided (the provider is owed again); the line `failed`, its items
  `failed` and its claims `payment_failed`, ready for a later batch. The failed item stays
  as history; the claim's next item is a new row.

Either way the ledger's "a hold resolves once" and the claim machine refuse a second
outcome, and an open "no bank line" exception of the line is closed with it.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from audit.services import Change
from core.money import format_fen
from ledger import services as ledger_services
from settlement.models import PaymentItem, PaymentLine, ReconciliationException
from settlement.services.common import close_finished_batches, move_claims
from settlement.transitions import LINE
from vouchers import chart
from vouchers.models import Claim
from vouchers.services.common import now, user_or_none


@dataclass(frozen=True)
class Outcome:
    line: PaymentLine  # locked by the caller, status `sent`
    settled: bool
    why: str  # the bank line or the resolution that decided it
    failure_reason: str = ""


def apply_outcomes(outcomes: Sequence[Outcome], *, source: str, why: str,
                   programme_codes: dict[int, str], actor, label: str, changes: list[Change],
                   extra_journals: Sequence[ledger_services.JournalSpec] = ()) -> None:
    """Post or void the holds of `outcomes` (one statement); move what settled from
    in-payment clearing to paid, one journal per programme named after `source` (the
    statement or the resolution that decided), with `extra_journals` (one statement);
    then move lines, items and claims. `programme_codes`: batch id -> programme code."""
    for outcome in outcomes:
        LINE.check("settle" if outcome.settled else "fail", outcome.line.status)
    ledger_services.batch_resolve([
        ledger_services.HoldResolution(
            key=(chart.settle_key if o.settled else chart.return_key)(o.line),
            pending=o.line.hold_journal_id, resolution="post" if o.settled else "void",
            actor=label, metadata={"line": o.line.reference, "by": o.why},
        )
        for o in outcomes
    ])
    settled_by_programme: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if o.settled:
            settled_by_programme.setdefault(programme_codes[o.line.batch_id], []).append(o)
    ledger_services.batch_post([
        *(_paid_move(code, settled, source=source, why=why, label=label)
          for code, settled in sorted(settled_by_programme.items())),
        *extra_journals,
    ])
    settled = [o for o in outcomes if o.settled]
    failed = [o for o in outcomes if not o.settled]
    _close_lines(settled, PaymentLine.Status.SETTLED, PaymentItem.Outcome.PAID, "mark_paid",
                 changes=changes)
    _close_lines(failed, PaymentLine.Status.FAILED, PaymentItem.Outcome.FAILED,
                 "mark_payment_failed", changes=changes)
    _resolve_missing_line_exceptions(outcomes, actor=actor, changes=changes)
    close_finished_batches({o.line.batch_id for o in outcomes}, changes=changes)


def _paid_move(code: str, settled: Sequence[Outcome], *, source: str, why: str,
               label: str) -> ledger_services.JournalSpec:
    total = sum(o.line.amount for o in settled)
    return ledger_services.JournalSpec(
        key=chart.paid_key(source, code), kind="payout.paid", actor=label,
        legs=[ledger_services.Leg(chart.programme_account(chart.IN_PAYMENT, code).pk,
                                  "debit", total),
              ledger_services.Leg(chart.programme_account(chart.PAID, code).pk, "credit",
                                  total)],
        metadata={"by": why, "lines": len(settled),
                  "first": settled[0].line.reference, "last": settled[-1].line.reference},
    )


def _close_lines(outcomes: Sequence[Outcome], status: str, item_outcome: str,
                 claim_action: str, *, changes: list[Change]) -> None:
    if not outcomes:
        return
    at = now()
    for o in outcomes:
        before = o.line.status
        o.line.status, o.line.closed_at = status, at
        o.line.failure_reason = o.failure_reason[:500]
        changes.append(Change(
            action=f"{LINE.entity}.{'settle' if status == 'settled' else 'fail'}",
            object_type=LINE.entity, object_id=o.line.reference, before={"status": before},
            after={"status": status, "amount": format_fen(o.line.amount), "by": o.why,
                   **({"failure_reason": o.failure_reason} if o.failure_reason else {})},
        ))
    # set-based: one UPDATE per distinct failure reason (returns share a few bank notes)
    by_reason: dict[str, list[int]] = {}
    for o in outcomes:
        by_reason.setdefault(o.line.failure_reason, []).append(o.line.pk)
    for reason, pks in by_reason.items():
        moved = PaymentLine.objects.filter(pk__in=pks, status=PaymentLine.Status.SENT).update(
            status=status, closed_at=at, failure_reason=reason)
        if moved != len(pks):  # the caller locked them: a line decided meanwhile is a bug
            raise AssertionError(f"{len(pks) - moved} payment lines were no longer sent")
    ids = [o.line.pk for o in outcomes]
    PaymentItem.objects.filter(line_id__in=ids, outcome=PaymentItem.Outcome.OPEN).update(
        outcome=item_outcome)
    move_claims(Claim.objects.filter(payment_items__line_id__in=ids,
                                     payment_items__outcome=item_outcome),
                claim_action, changes=changes)


def _resolve_missing_line_exceptions(outcomes: Sequence[Outcome], *, actor,
                                     changes: list[Change]) -> None:
    by_line = {o.line.pk: o for o in outcomes}
    open_missing = ReconciliationException.objects.filter(
        payment_line_id__in=list(by_line), kind=ReconciliationException.Kind.MISSING_BANK_LINE,
        status=ReconciliationException.Status.OPEN)
    for exception in open_missing:
        o = by_line[exception.payment_line_id]
        exception.status = ReconciliationException.Status.RESOLVED
        exception.resolution = (ReconciliationException.Resolution.SETTLED if o.settled
                                else ReconciliationException.Resolution.FAILED)
        exception.reason = f"closed by {o.why}"[:500]
        exception.resolved_by, exception.resolved_at = user_or_none(actor), now()
        exception.save(update_fields=["status", "resolution", "reason", "resolved_by",
                                      "resolved_at"])
        changes.append(Change(action="reconciliation_exception.resolve",
                              object_type="reconciliation_exception",
                              object_id=exception.public_id, before={"status": "open"},
                              after={"status": "resolved", "resolution": exception.resolution,
                                     "reason": exception.reason}))
