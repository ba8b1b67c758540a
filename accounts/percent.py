"""Shareholding percentages: strings with at most two decimals outside, hundredths inside.

"30.00" % is stored as 3000, so the 25 % related-party threshold (2500) is an exact integer
comparison and SQLite never sees a float.
"""

import re

_PERCENT = re.compile(r"^(?P<int>\d{1,3})(?:\.(?P<frac>\d{1,2}))?$")
HUNDRED_PERCENT = 10000


class PercentFormatError(ValueError):
    pass


def parse_percent(text) -> int:
    """'30.00' -> 3000. A string, at most two decimals, greater than 0 and at most 100."""
    if not isinstance(text, str):
        raise PercentFormatError('percent must be a string such as "30.00"')
    match = _PERCENT.match(text)
    if not match:
        raise PercentFormatError('percent must have at most two decimals, e.g. "30.00"')
    hundredths = int(match["int"]) * 100 + int((match["frac"] or "").ljust(2, "0"))
    if not 0 < hundredths <= HUNDRED_PERCENT:
        raise PercentFormatError("percent must be greater than 0 and at most 100")
    return hundredths


def format_percent(hundredths: int) -> str:
    """3000 -> '30.00'."""
    whole, part = divmod(int(hundredths), 100)
    return f"{whole}.{part:02d}"
