"""Digests of a statement's data and PDF, and its verification code (验证码).

The code is derived from the content: the first 80 bits of an HMAC-SHA256, keyed with a
key derived from SECRET_KEY, over the kind, the parameters, the data digest and the issue
time, written as 16 Crockford base32 characters in four groups (`7K3M-Q9XD-…`). The
HMAC key means nobody outside can mint a code for a statement we never issued; the
system tells its codes apart by looking them up (`IssuedStatement.code` is unique).
"""

import hashlib
import hmac
import json

from django.conf import settings

from core.errors import DomainError

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
#: what people type for the letters Crockford base32 leaves out
_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def canonical_json(data) -> bytes:
    """The one byte form of statement data that digests are taken over."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str).encode()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def data_digest(data) -> str:
    return digest(canonical_json(data))


def _key() -> bytes:
    return hashlib.sha256(b"kjcxq statement codes|" + settings.SECRET_KEY.encode()).digest()


def statement_code(*, kind: str, parameters: dict, data_digest: str, issued_at: str) -> str:
    message = canonical_json([kind, parameters, data_digest, issued_at])
    mac = hmac.new(_key(), message, hashlib.sha256).digest()
    number = int.from_bytes(mac[:10], "big")  # 80 bits = 16 base32 characters
    return "".join(_CROCKFORD[(number >> (5 * i)) & 31] for i in range(CODE_LENGTH - 1, -1, -1))


def format_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalise_code(text: str) -> str | None:
    """What someone typed or scanned -> the stored form; None if it cannot be a code."""
    cleaned = "".join(ch for ch in str(text).upper() if ch not in " -").translate(_TYPED)
    if len(cleaned) != CODE_LENGTH or any(ch not in _CROCKFORD for ch in cleaned):
        return None
    return cleaned


def statement_for_code(text: str):
    """The issued statement that carries this code (as typed or scanned); else not_found.
    Only a statement whose PDF exists: a code of one still rendering, or whose rendering
    failed, is printed on no document the system gave out."""
    from reports.models import IssuedStatement

    code = normalise_code(text)
    statement = (IssuedStatement.objects.filter(
        code=code, status=IssuedStatement.Status.READY).first() if code else None)
    if statement is None:
        raise DomainError("not_found", "No statement was issued with this code.")
    return statement
