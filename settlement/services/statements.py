"""Importing the bank's statement file and reconciling it (docs/settlement.md).

All or nothing: the file is parsed and checked whole first (settlement.files), then
applied in one transaction. The same file again changes nothing (its digest is unique:
the first import is returned); a line that an earlier file already brought is skipped
(its line key is unique), so overlapping statements are safe too.

Each new line is matched by its reference:
- `ok` with the amount of a sent payment line: settles it (claims paid);
- `returned` with the amount of a sent payment line: fails it (claims payment_failed,
  payable again);
- `ok` quoting a clawback reference: a repayment, up to what is still owed;
- anything else is a reconciliation exception for finance to resolve by hand: an unknown
  reference, a differing amount (the line stays sent), a line already settled or failed,
  a payment not sent yet, a repayment above what is owed, a return of nothing sent.
Differences are never absorbed: an exception changes no money until someone resolves it.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from audit.services import Change, audit_record_many
from core import collector
from core.money import format_fen
from settlement.files import StatementRow, parse_statement
from settlement.models import (
    BankStatement,
    BankStatementLine,
    PaymentLine,
    ReconciliationException,
    Recovery,
)
from settlement.services.clawback import record_repayment, repayment_journal
from settlement.services.exceptions import flag_missing_bank_lines
from settlement.services.outcomes import Outcome, apply_outcomes
from vouchers import chart
from vouchers.services.common import actor_label, user_or_none

K = ReconciliationException.Kind
SENT = PaymentLine.Status.SENT


@dataclass
class ImportResult:
    statement: BankStatement
    #: the same file had been imported before: this is that import, nothing changed
    duplicate: bool = False
    #: sent lines past their due date with no bank line, reported by this import
    missing_flagged: int = 0


def bank_statement_import(*, content: bytes, filename: str = "", actor) -> ImportResult:
    """Import and reconcile one statement file (bytes as uploaded)."""
    # its ~100,000 objects live until the end: collections in between would free nothing
    with collector.paused():
        return _parse_and_import(content, filename=filename[:255], actor=actor)


def _parse_and_import(content: bytes, *, filename: str, actor) -> ImportResult:
    parsed = parse_statement(content)  # refuses the whole file before anything is written
    existing = BankStatement.objects.filter(digest=parsed.digest).first()
    if existing is not None:
        return ImportResult(existing, duplicate=True)
    for attempt in range(2):
        try:
            return _import(parsed, filename=filename, actor=actor)
        except IntegrityError:
            # a concurrent import committed this file, or lines of it, first: read again
            existing = BankStatement.objects.filter(digest=parsed.digest).first()
            if existing is not None:
                return ImportResult(existing, duplicate=True)
            if attempt:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def _import(parsed, *, filename: str, actor) -> ImportResult:
    statement = BankStatement.objects.create(
        digest=parsed.digest, filename=filename, encoding=parsed.encoding,
        uploaded_by=user_or_none(actor), line_count=len(parsed.rows),
    )
    known = set(BankStatementLine.objects.filter(
        line_key__in=[row.line_key for row in parsed.rows]).values_list("line_key", flat=True))
    new_rows = [row for row in parsed.rows if row.line_key not in known]
    statement.already_imported = len(parsed.rows) - len(new_rows)
    wanted = {row.reference for row in new_rows}
    # Locks in one order for every import and resolution: payment lines, recoveries,
    # then (closing) batches, each by id.
    lines = {line.reference: line for line in PaymentLine.objects.select_for_update(
        no_key=True, of=("self",)).select_related("batch__programme").filter(
        reference__in=wanted).order_by("pk")}
    recoveries = {r.reference: r for r in Recovery.objects.select_for_update(
        no_key=True, of=("self",)).select_related("programme").filter(
        reference__in=wanted).order_by("pk")}
    matcher = _Matcher(statement, lines, recoveries)
    for row in new_rows:
        matcher.match(row)
    BankStatementLine.objects.bulk_create(matcher.bank_lines, batch_size=5000)

    label = actor_label(actor)
    changes: list[Change] = []
    decided = PaymentLine.objects.filter(bank_line__statement=statement)
    apply_outcomes(
        matcher.outcomes, actor=actor, label=label, changes=changes,
        settled_lines=decided.filter(bank_line__outcome=BankStatementLine.Outcome.MATCHED),
        failed_lines=decided.filter(bank_line__outcome=BankStatementLine.Outcome.RETURNED),
        source=f"statement:{statement.public_id}", why=f"statement {statement.public_id}",
        programme_codes={o.line.batch_id: o.line.batch.programme.code for o in matcher.outcomes},
        extra_journals=[repayment_journal(recovery, amount=bank_line.amount, label=label,
                                          key=chart.repayment_key(bank_line), why=why)
                        for recovery, bank_line, why in matcher.repayments],
    )
    for recovery, bank_line, why in matcher.repayments:
        record_repayment(recovery, bank_line.amount, actor=actor, changes=changes, why=why)
    for exception in matcher.exceptions:
        exception.bank_line_id = exception.bank_line.pk
    ReconciliationException.objects.bulk_create(matcher.exceptions, batch_size=5000)
    changes.extend(_exception_change(e) for e in matcher.exceptions)

    statement.matched = matcher.matched
    statement.returned = sum(1 for o in matcher.outcomes if not o.settled)
    statement.exceptions = len(matcher.exceptions)
    statement.save(update_fields=["already_imported", "matched", "returned", "exceptions"])
    changes.append(Change(
        action="bank_statement.import", object_type="bank_statement",
        object_id=statement.public_id, before=None,
        after={"digest": statement.digest, "filename": filename, "lines": len(parsed.rows),
               "already_imported": statement.already_imported, "matched": statement.matched,
               "returned": statement.returned, "exceptions": statement.exceptions},
    ))
    missing = flag_missing_bank_lines(changes=changes)
    audit_record_many(actor=actor, changes=changes)
    return ImportResult(statement, missing_flagged=missing)


def _exception_change(exception: ReconciliationException) -> Change:
    return Change(action="reconciliation_exception.open", object_type="reconciliation_exception",
                  object_id=exception.public_id, before=None,
                  after={"kind": exception.kind, "detail": exception.detail,
                         "reference": exception.bank_line.reference if exception.bank_line
                         else None})


class _Matcher:
    """Decides what each new bank line does, in file order, keeping track of what the
    earlier lines of the same file already did (a second `ok` for one line is a duplicate)."""

    def __init__(self, statement, lines: dict[str, PaymentLine], recoveries: dict[str, Recovery]):
        self.statement, self.lines, self.recoveries = statement, lines, recoveries
        self.bank_lines: list[BankStatementLine] = []
        self.outcomes: list[Outcome] = []
        self.repayments: list[tuple[Recovery, BankStatementLine, str]] = []
        self.exceptions: list[ReconciliationException] = []
        self.matched = 0
        self._decided: dict[int, str] = {}  # payment line pk -> "settled" / "failed"
        self._owed = {r.pk: r.outstanding for r in recoveries.values()}

    def match(self, row: StatementRow) -> None:
        bank_line = BankStatementLine(
            statement=self.statement, line_number=row.line_number, line_key=row.line_key,
            value_date=row.value_date, reference=row.reference, amount=row.amount,
            account=row.account, status=row.status, note=row.note,
            outcome=BankStatementLine.Outcome.EXCEPTION,
        )
        self.bank_lines.append(bank_line)
        why = f"bank line {row.line_number} of statement {self.statement.public_id}"
        line, recovery = self.lines.get(row.reference), self.recoveries.get(row.reference)
        if line is not None:
            self._payment_line(row, bank_line, line, why)
        elif recovery is not None:
            self._repayment(row, bank_line, recovery, why)
        else:
            self._exception(bank_line, K.UNKNOWN_REFERENCE,
                            f"No payment line or clawback has the reference {row.reference}.")

    def _payment_line(self, row, bank_line, line: PaymentLine, why: str) -> None:
        status = self._decided.get(line.pk, line.status)
        returned = row.status == BankStatementLine.Status.RETURNED
        if status != SENT:
            if status in (PaymentLine.Status.SETTLED, PaymentLine.Status.FAILED):
                kind = K.UNEXPECTED_RETURN if returned else K.ALREADY_SETTLED
                detail = f"Payment line {line.reference} is already {status}."
            else:
                kind = K.UNEXPECTED_RETURN if returned else K.NOT_SENT
                detail = f"Payment line {line.reference} is {status}, not sent."
            self._exception(bank_line, kind, detail, line=line, expected=line.amount)
            return
        if row.amount != line.amount:
            self._exception(
                bank_line, K.AMOUNT_MISMATCH,
                f"The bank reports {format_fen(row.amount)} for {line.reference}; the payment "
                f"line is {format_fen(line.amount)}. The line stays sent until resolved.",
                line=line, expected=line.amount)
            return
        bank_line.payment_line = line
        if returned:
            bank_line.outcome = BankStatementLine.Outcome.RETURNED
            self._decided[line.pk] = PaymentLine.Status.FAILED
            reason = f"returned by the bank: {row.note}" if row.note else "returned by the bank"
            self.outcomes.append(Outcome(line, settled=False, why=why, failure_reason=reason))
        else:
            bank_line.outcome = BankStatementLine.Outcome.MATCHED
            self._decided[line.pk] = PaymentLine.Status.SETTLED
            self.outcomes.append(Outcome(line, settled=True, why=why))
            self.matched += 1

    def _repayment(self, row, bank_line, recovery: Recovery, why: str) -> None:
        owed = self._owed[recovery.pk]
        if row.status == BankStatementLine.Status.RETURNED:
            self._exception(bank_line, K.UNEXPECTED_RETURN,
                            f"A returned line quotes the clawback {recovery.reference}.",
                            recovery=recovery)
        elif row.amount > owed:
            self._exception(
                bank_line, K.OVERPAYMENT,
                f"{format_fen(row.amount)} received for {recovery.reference}; "
                f"{format_fen(owed)} is owed. Nothing was applied.",
                recovery=recovery, expected=owed)
        else:
            bank_line.recovery, bank_line.outcome = recovery, BankStatementLine.Outcome.MATCHED
            self._owed[recovery.pk] = owed - row.amount
            self.repayments.append((recovery, bank_line, why))
            self.matched += 1

    def _exception(self, bank_line, kind, detail, *, line=None, recovery=None,
                   expected=None) -> None:
        self.exceptions.append(ReconciliationException(
            kind=kind, bank_line=bank_line, payment_line=line, recovery=recovery,
            amount=bank_line.amount, expected=expected, detail=detail[:500],
        ))
