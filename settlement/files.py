"""The two bank files (docs/settlement.md has both formats with examples).

- The payment file we send: UTF-8 CSV with a BOM (Excel and the banks' import tools read
  it as UTF-8), header `reference,payee_name,payee_account,payee_bank,amount`.
- The statement file the bank sends back: CSV, header `date,reference,amount,account,
  status,note`, in UTF-8 (with or without a BOM) or GBK / GB18030 (what Chinese banks
  export). It is read whole and checked whole: one unreadable line refuses the file, with
  its line number and column, and nothing is imported.
"""

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from core.errors import DomainError
from core.money import FEN_PER_YUAN, format_fen
from settlement import references

PAYMENT_FILE_HEADER = ("reference", "payee_name", "payee_account", "payee_bank", "amount")
STATEMENT_COLUMNS = ("date", "reference", "amount", "account", "status", "note")
STATEMENT_STATUSES = ("ok", "returned")
#: a statement larger than this is not a bank file (it would be read into memory)
MAX_STATEMENT_BYTES = 20 * 1024 * 1024
#: how many line errors a refusal lists (the first is in `detail`)
MAX_REPORTED_ERRORS = 20

_BANK_AMOUNT = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,2})?")
_DATE_FORMATS = (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), re.compile(r"(\d{4})/(\d{2})/(\d{2})"),
                 re.compile(r"(\d{4})(\d{2})(\d{2})"))
_TEXT_MAX = {"reference": 64, "account": 64, "note": 500}


def payment_file(lines: Iterable) -> bytes:
    """The CSV the bank imports: one row per payment line, amounts in yuan."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PAYMENT_FILE_HEADER)
    for line in lines:
        writer.writerow([line.reference, line.payee_name, line.payee_account, line.payee_bank,
                         format_fen(line.amount)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@dataclass(frozen=True)
class StatementRow:
    line_number: int
    value_date: date
    reference: str
    amount: int
    account: str
    status: str
    note: str
    line_key: str


@dataclass(frozen=True)
class ParsedStatement:
    digest: str
    encoding: str
    rows: list[StatementRow]


def statement_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def parse_statement(content: bytes) -> ParsedStatement:
    """Decode and check a whole statement file; `invalid` naming the first bad line."""
    if len(content) > MAX_STATEMENT_BYTES:
        _refuse([f"The file is larger than {MAX_STATEMENT_BYTES // (1024 * 1024)} MB."])
    text, encoding = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        _refuse([f"line 1: {exc}"], line=1)
    if header is None or not any(cell.strip() for cell in header):
        _refuse(["The file is empty: it needs the header " + ",".join(STATEMENT_COLUMNS) + "."])
    names = [cell.strip().lower() for cell in header]
    missing = [column for column in STATEMENT_COLUMNS if column not in names]
    if missing:
        _refuse([f"line 1: the header lacks {', '.join(missing)} (it must name "
                 f"{','.join(STATEMENT_COLUMNS)})."], line=1)
    position = {column: names.index(column) for column in STATEMENT_COLUMNS}
    rows, errors, seen = [], [], Counter()
    line_number = 1
    try:
        for cells in reader:
            line_number = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # blank lines (a trailing newline, Excel's empty rows)
            row = _row(cells, position, line_number, errors, seen)
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        errors.append((reader.line_num, None, str(exc)))
    if errors:
        first_line, first_column = errors[0][0], errors[0][1]
        _refuse([_describe(*error) for error in errors[:MAX_REPORTED_ERRORS]],
                line=first_line, column=first_column)
    if not rows:
        _refuse(["The file has a header but no lines."])
    return ParsedStatement(digest=statement_digest(content), encoding=encoding, rows=rows)


def _decode(content: bytes) -> tuple[str, str]:
    try:
        return content.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030"), "gbk"  # GB18030 reads every GBK file
    except UnicodeDecodeError:
        _refuse(["The file is neither UTF-8 nor GBK text."])
    raise AssertionError("unreachable")


def _row(cells, position, line_number, errors, seen) -> StatementRow | None:
    def cell(column: str) -> str:
        index = position[column]
        return cells[index].strip() if index < len(cells) else ""

    before = len(errors)

    def bad(column: str, message: str) -> None:
        errors.append((line_number, column, message))

    value_date = _parse_date(cell("date"))
    if value_date is None:
        bad("date", f"{cell('date')!r} is not a date (YYYY-MM-DD).")
    reference = references.normalise(cell("reference"))
    if not reference:
        bad("reference", "The reference is missing.")
    amount_text = cell("amount").replace(",", "") if re.fullmatch(
        r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]{1,2})?", cell("amount")) else cell("amount")
    amount = None
    if not _BANK_AMOUNT.fullmatch(amount_text):
        bad("amount", f"{cell('amount')!r} is not a positive amount in yuan (e.g. 15000.00).")
    else:
        whole, _, frac = amount_text.partition(".")
        amount = int(whole) * FEN_PER_YUAN + int(frac.ljust(2, "0"))
        if amount <= 0:
            bad("amount", "The amount must be above zero.")
    account = cell("account")
    if not account:
        bad("account", "The account is missing.")
    status = cell("status").lower()
    if status not in STATEMENT_STATUSES:
        bad("status", f"{cell('status')!r} is not a status (ok or returned).")
    note = cell("note")
    for column, value in (("reference", reference), ("account", account), ("note", note)):
        if len(value) > _TEXT_MAX[column]:
            bad(column, f"At most {_TEXT_MAX[column]} characters.")
    if len(errors) > before:
        return None
    identity = (value_date.isoformat(), reference, amount, account, status)
    seen[identity] += 1
    return StatementRow(
        line_number=line_number, value_date=value_date, reference=reference, amount=amount,
        account=account, status=status, note=note,
        line_key=line_key(*identity, occurrence=seen[identity]),
    )


def line_key(value_date: str, reference: str, amount: int, account: str, status: str, *,
             occurrence: int) -> str:
    """What identifies a bank transaction whatever file brings it: its date, reference,
    amount, account and status, and which of identical lines in its file it is (the bank
    may really pay the same amount twice on one day). The free-text note is left out: a
    re-export may word it differently."""
    text = "|".join([value_date, reference, str(amount), account, status, str(occurrence)])
    return hashlib.sha256(text.encode()).hexdigest()


def _parse_date(text: str) -> date | None:
    for pattern in _DATE_FORMATS:
        match = pattern.fullmatch(text)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
    return None


def _describe(line: int, column: str | None, message: str) -> str:
    return f"line {line}, column {column}: {message}" if column else f"line {line}: {message}"


def _refuse(messages: list[str], *, line: int | None = None, column: str | None = None):
    extra = {"line": line, "column": column} if line else {}
    raise DomainError("invalid", "The bank statement was not imported: " + messages[0],
                      errors={"file": messages}, **extra)
