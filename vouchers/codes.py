"""Voucher codes: unguessable, human-typable, with a check character.

A code is 15 random symbols from Crockford's base32 alphabet (no I, L, O, U: nothing that
reads as another symbol) drawn from the operating system's CSPRNG (`secrets`), about 75
bits, plus one Luhn mod 32 check symbol, shown in four groups: ``7K3M-9QXP-2T4R-8HJZ``.

Lookup forgives what people do when typing: any case, spaces and dashes anywhere, and
Crockford's aliases (O → 0, I and L → 1). A code whose check symbol does not match is not a
voucher (the API answers `not_found`); the check catches every single mistyped symbol and
most swaps of neighbours before a database query is made.
"""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BASE = len(ALPHABET)  # 32
PAYLOAD_LENGTH = 15
GROUP = 4
CODE_LENGTH = PAYLOAD_LENGTH + 1
FORMATTED_LENGTH = CODE_LENGTH + CODE_LENGTH // GROUP - 1  # 19
_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _luhn_sum(symbols: str, *, start_factor: int) -> int:
    factor, total = start_factor, 0
    for symbol in reversed(symbols):
        addend = factor * _VALUES[symbol]
        total += addend // BASE + addend % BASE
        factor = 1 if factor == 2 else 2
    return total


def check_symbol(payload: str) -> str:
    """Luhn mod N (N = 32) check symbol for `payload`."""
    return ALPHABET[(BASE - _luhn_sum(payload, start_factor=2) % BASE) % BASE]


def is_valid_compact(compact: str) -> bool:
    return (
        len(compact) == CODE_LENGTH
        and all(symbol in _VALUES for symbol in compact)
        and _luhn_sum(compact, start_factor=1) % BASE == 0
    )


def format_code(compact: str) -> str:
    return "-".join(compact[i : i + GROUP] for i in range(0, len(compact), GROUP))


def new_code() -> str:
    payload = "".join(secrets.choice(ALPHABET) for _ in range(PAYLOAD_LENGTH))
    return format_code(payload + check_symbol(payload))


def normalise(text: str) -> str | None:
    """What a person typed -> the stored (formatted) code, or None if it cannot be one."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    compact = "".join(text.split()).replace("-", "").upper().translate(_ALIASES)
    if not is_valid_compact(compact):
        return None
    return format_code(compact)
