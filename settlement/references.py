"""References the bank carries back: payment lines' and clawbacks'.

A payment line's reference names its batch and its place in it (`PL000012-0007`): the
bank's statement line quotes it, and a clerk reading either file can find the batch. A
clawback reference is unguessable (a provider must not be able to quote another's) and has
a check symbol that catches a mistyped character: `RC-` + 9 random Crockford base32 symbols
+ 1 check symbol (vouchers.codes).
"""

import secrets

from vouchers import codes

RECOVERY_PREFIX = "RC-"


def payment_line_reference(batch_pk: int, position: int) -> str:
    return f"PL{batch_pk:06d}-{position:04d}"


def new_recovery_reference() -> str:
    payload = "".join(secrets.choice(codes.ALPHABET) for _ in range(9))
    return RECOVERY_PREFIX + payload + codes.check_symbol(payload)


def normalise(reference: str) -> str:
    """What a bank line quotes, as stored: spaces dropped, upper case."""
    return "".join((reference or "").split()).upper()
