from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import (
    MoneyFormatError,
    fen_to_chinese_capital,
    format_fen,
    parse_yuan,
    split_invoice,
    subsidy_ceiling,
)


@pytest.mark.parametrize(("text", "fen"), [
    ("15000.00", 1_500_000), ("0.01", 1), ("12", 1200), ("3.5", 350),
    ("999999999999.99", 99_999_999_999_999),
])
def test_parse_accepts_plain_amounts(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("bad", [
    "1.001", "1e5", "1E5", "NaN", "nan", "Infinity", "-1.00", "+1.00", "1,000.00", " 1.00",
    "1.00 ", "1000000000000.00", "", ".5", "5.", "0x10", "１２", "1.00\n",
    15000, 15000.0, None, True, [], {},
])
def test_parse_rejects_every_bad_form(bad):
    with pytest.raises(MoneyFormatError):
        parse_yuan(bad)


def test_negative_only_where_allowed():
    assert parse_yuan("-2.50", allow_negative=True) == -250


@given(st.integers(min_value=-(10**14) + 1, max_value=10**14 - 1))
def test_format_then_parse_round_trips(fen):
    assert parse_yuan(format_fen(fen), allow_negative=True) == fen


def test_subsidy_rounds_down_and_split_adds_up():
    invoice = 3_333_333  # 33,333.33
    subsidy = subsidy_ceiling(invoice, Decimal("0.40"))
    assert subsidy == 1_333_333  # 13,333.332 rounds down to 13,333.33
    assert sum(split_invoice(invoice, subsidy)) == invoice


@pytest.mark.parametrize(("fen", "words"), [
    (1_500_000, "壹万伍仟元整"),
    (1_234_567, "壹万贰仟叁佰肆拾伍元陆角柒分"),
    (1_000_500, "壹万零伍元整"),
    (100_010_000, "壹佰万零壹佰元整"),
    (10_000_000_000, "壹亿元整"),
    (0, "零元整"),
    (5, "伍分"),
    (1_205, "壹拾贰元零伍分"),
])
def test_chinese_capital_numerals(fen, words):
    assert fen_to_chinese_capital(fen) == words
