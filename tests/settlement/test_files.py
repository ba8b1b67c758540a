"""The two bank files: the payment file we write, the statement file we read (whole, or
not at all, naming the first bad line and column)."""

import csv
import io

import pytest

from core.errors import DomainError
from settlement import files
from settlement.models import PaymentLine

HEADER = "date,reference,amount,account,status,note\r\n"


def parse(text: str, encoding="utf-8") -> files.ParsedStatement:
    return files.parse_statement(text.encode(encoding))


def refusal(text: str, encoding="utf-8") -> DomainError:
    with pytest.raises(DomainError) as refused:
        parse(text, encoding)
    assert refused.value.code == "invalid"
    return refused.value


def test_payment_file_has_the_header_and_one_row_per_line():
    lines = [PaymentLine(reference="PL000001-0001", payee_name="湖南省检验检测研究院",
                         payee_account="6222020000000000001", payee_bank="中国工商银行长沙分行",
                         amount=800000),
             PaymentLine(reference="PL000001-0002", payee_name='A "quoted", name',
                         payee_account="62", payee_bank="BOC", amount=5)]
    content = files.payment_file(lines)
    assert content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows == [list(files.PAYMENT_FILE_HEADER),
                    ["PL000001-0001", "湖南省检验检测研究院", "6222020000000000001",
                     "中国工商银行长沙分行", "8000.00"],
                    ["PL000001-0002", 'A "quoted", name', "62", "BOC", "0.05"]]


@pytest.mark.parametrize("encoding,bom", [("utf-8", False), ("utf-8", True), ("gbk", False)])
def test_statement_in_utf8_with_or_without_bom_and_in_gbk(encoding, bom):
    line = "2026-12-05,pl000001-0001,8000.00,6222,OK,货款已入账\r\n"
    parsed = parse(("\ufeff" if bom else "") + HEADER + line, encoding)
    row, = parsed.rows
    assert (row.reference, row.amount, row.status, row.note) == (
        "PL000001-0001", 800000, "ok", "货款已入账")
    assert parsed.encoding == ("gbk" if encoding == "gbk" else "utf-8")


def test_columns_in_any_order_extra_columns_and_blank_lines_are_fine():
    parsed = parse("status,amount,reference,date,account,note,balance\n"
                   "returned,\"1,234.50\",PL1,2026/12/05,62,closed,99\n\n")
    row, = parsed.rows
    assert (row.status, row.amount, row.value_date.isoformat()) == ("returned", 123450,
                                                                    "2026-12-05")


@pytest.mark.parametrize("line,column", [
    ("2026-13-01,PL1,1.00,62,ok,", "date"),
    ("2026-12-05,,1.00,62,ok,", "reference"),
    ("2026-12-05,PL1,-1.00,62,ok,", "amount"),
    ("2026-12-05,PL1,1.005,62,ok,", "amount"),
    ("2026-12-05,PL1,1e3,62,ok,", "amount"),
    ("2026-12-05,PL1,0.00,62,ok,", "amount"),
    ("2026-12-05,PL1,1.00,,ok,", "account"),
    ("2026-12-05,PL1,1.00,62,paid,", "status"),
])
def test_a_bad_line_refuses_the_file_naming_line_and_column(line, column):
    error = refusal(HEADER + "2026-12-05,PL0,1.00,62,ok,\r\n" + line + "\r\n")
    assert error.extra["line"] == 3 and error.extra["column"] == column
    assert f"line 3, column {column}" in error.detail
    assert error.errors["file"][0].startswith("line 3")


def test_every_bad_line_is_listed():
    error = refusal(HEADER + "x,PL1,1.00,62,ok,\r\n2026-12-05,PL2,abc,62,ok,\r\n")
    assert [m.split(":")[0] for m in error.errors["file"]] == [
        "line 2, column date", "line 3, column amount"]


@pytest.mark.parametrize("text,expected", [
    ("", "empty"),
    ("date,reference,amount\n2026-12-05,PL1,1.00\n", "lacks account, status, note"),
    (HEADER, "no lines"),
])
def test_a_file_that_is_not_a_statement_is_refused(text, expected):
    assert expected in refusal(text).detail


def test_bytes_that_are_neither_utf8_nor_gbk_are_refused():
    with pytest.raises(DomainError) as refused:
        files.parse_statement(HEADER.encode() + b"\xff\xfe\xfa\x80\x81")
    assert "neither UTF-8 nor GBK" in refused.value.detail


def test_identical_lines_in_one_file_get_different_keys_and_a_reexport_the_same():
    line = "2026-12-05,PL1,1.00,62,ok,{note}\r\n"
    first = parse(HEADER + line.format(note="a") + line.format(note="b"))
    again = parse(HEADER + line.format(note="reworded"))
    assert first.rows[0].line_key != first.rows[1].line_key
    assert again.rows[0].line_key == first.rows[0].line_key
