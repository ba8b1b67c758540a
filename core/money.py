"""Money: integer fen inside, strings with exactly two decimals (yuan) outside.

Every parse, format and rounding rule for money lives here and nowhere else.
SQLite stores Decimal as floating point, so the database only ever sees fen (ADR 0003).
"""

import re
from decimal import ROUND_FLOOR, Decimal

FEN_PER_YUAN = 100
MAX_INTEGER_DIGITS = 12
MAX_FEN = 10**MAX_INTEGER_DIGITS * FEN_PER_YUAN - 1

# ASCII digits only (\d would take "１２"); fullmatch so a trailing newline is refused too.
_AMOUNT = re.compile(r"(?P<sign>-)?(?P<int>[0-9]{1,12})(?:\.(?P<frac>[0-9]{1,2}))?")


class MoneyFormatError(ValueError):
    """The text is not an amount we accept (see SPEC §4)."""


def parse_yuan(text: str, *, allow_negative: bool = False) -> int:
    """'15000.00' -> 1500000 fen. Refuses floats, exponents, NaN, >2 decimals, >12 digits."""
    if not isinstance(text, str):
        raise MoneyFormatError("amount must be a string such as \"15000.00\"")
    match = _AMOUNT.fullmatch(text)
    if not match:
        raise MoneyFormatError(
            "amount must have at most 12 integer digits and at most 2 decimals, e.g. \"15000.00\""
        )
    if match["sign"] and not allow_negative:
        raise MoneyFormatError("amount must not be negative")
    fen = int(match["int"]) * FEN_PER_YUAN + int((match["frac"] or "").ljust(2, "0"))
    return -fen if match["sign"] else fen


def format_fen(fen: int) -> str:
    """1500000 -> '15000.00'."""
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError(f"fen must be an int, not {type(fen).__name__}")
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{part:02d}"


def format_fen_display(fen: int) -> str:
    """1234567 -> '¥12,345.67' (statements and pages: thousands separators, yuan sign)."""
    text = format_fen(fen)
    sign = "-" if text.startswith("-") else ""
    whole, part = text.lstrip("-").split(".")
    return f"{sign}¥{int(whole):,}.{part}"


def parse_ratio(text: str) -> Decimal:
    """A subsidy ratio such as '0.40': a decimal string in [0, 1] with at most 4 decimals."""
    if not isinstance(text, str) or not re.fullmatch(r"(0(\.[0-9]{1,4})?|1(\.0{1,4})?)", text):
        raise MoneyFormatError("ratio must be a string between \"0\" and \"1\", e.g. \"0.40\"")
    return Decimal(text)


def subsidy_ceiling(invoice_fen: int, ratio: Decimal) -> int:
    """floor(ratio × invoice) to the fen: the subsidy is rounded down, never up."""
    return int((Decimal(invoice_fen) * ratio).to_integral_value(rounding=ROUND_FLOOR))


def split_invoice(invoice_fen: int, subsidy_fen: int) -> tuple[int, int]:
    """(subsidy, enterprise share): the share is the rest, so the two add up to the invoice."""
    if not 0 <= subsidy_fen <= invoice_fen:
        raise ValueError("subsidy must be between 0 and the invoice amount")
    return subsidy_fen, invoice_fen - subsidy_fen


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ["", "拾", "佰", "仟"]
_GROUP_UNITS = ["", "万", "亿", "万亿"]


def _four_digits(n: int) -> str:
    """0 < n < 10000 in capitals, with inner zeros collapsed ('壹仟零伍')."""
    out, zero_pending = [], False
    for position in range(3, -1, -1):
        digit = n // 10**position % 10
        if digit == 0:
            zero_pending = bool(out)
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        out.append(_DIGITS[digit] + _SMALL_UNITS[position])
    return "".join(out)


def fen_to_chinese_capital(fen: int) -> str:
    """1500000 -> '壹万伍仟元整'; 1234567 -> '壹万贰仟叁佰肆拾伍元陆角柒分' (财务大写)."""
    if fen < 0:
        return "负" + fen_to_chinese_capital(-fen)
    yuan, rest = divmod(fen, FEN_PER_YUAN)
    jiao, fen_digit = divmod(rest, 10)
    groups = []
    while yuan:
        yuan, group = divmod(yuan, 10000)
        groups.append(group)
    text = ""
    need_zero = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            need_zero = bool(text)
            continue
        if text and (need_zero or group < 1000):
            text += "零"
        text += _four_digits(group) + _GROUP_UNITS[index]
        need_zero = False
    if text:
        text += "元"
    if jiao == 0 and fen_digit == 0:
        return (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif text:
        text += "零"
    if fen_digit:
        text += _DIGITS[fen_digit] + "分"
    else:
        text += "整"
    return text
