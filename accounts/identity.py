"""Identity numbers: validation (python-stdnum) and keyed digests.

A resident ID number is never stored. Its digest is an HMAC-SHA256 keyed with the
deployment's IDENTITY_HASH_SALT, so the same person always maps to the same reference
(the related-party rule needs equality) while the number cannot be read back or found
by hashing the ~10^9 plausible IDs without the key (ADR 0005).
"""

import hashlib
import hmac

from django.conf import settings
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc


def normalise_uscc(value: str) -> str:
    return uscc.compact(value or "").upper()


def is_valid_uscc(value: str) -> bool:
    try:
        uscc.validate(normalise_uscc(value))
    except stdnum_errors.ValidationError:
        return False
    return True


def normalise_resident_id(value: str) -> str:
    return ric.compact(value or "").upper()


def is_valid_resident_id(value: str) -> bool:
    try:
        ric.validate(normalise_resident_id(value))
    except stdnum_errors.ValidationError:
        return False
    return True


def person_ref(resident_id: str) -> str:
    key = settings.IDENTITY_HASH_SALT.encode()
    digest = hmac.new(key, normalise_resident_id(resident_id).encode(), hashlib.sha256)
    return f"person:{digest.hexdigest()}"


def party_ref(identifier: str) -> str | None:
    """A USCC -> 'uscc:…'; a resident ID -> 'person:<digest>'; anything else -> None."""
    if is_valid_uscc(identifier):
        return f"uscc:{normalise_uscc(identifier)}"
    if is_valid_resident_id(identifier):
        return person_ref(identifier)
    return None


def uscc_problem(value: str) -> str | None:
    """Why `value` is not a valid USCC (GB 32100-2015), or None when it is valid."""
    try:
        uscc.validate(normalise_uscc(value))
    except stdnum_errors.InvalidLength:
        return "A Unified Social Credit Code has 18 characters."
    except stdnum_errors.InvalidChecksum:
        return "The check character (the 18th) does not match (GB 32100-2015)."
    except stdnum_errors.ValidationError:
        return "Not a Unified Social Credit Code: use 0-9 and A-H J-N P Q R T U W X Y."
    return None


def resident_id_problem(value: str) -> str | None:
    """Why `value` is not a valid 18-digit resident ID (GB 11643-1999), or None."""
    try:
        ric.validate(normalise_resident_id(value))
    except stdnum_errors.InvalidLength:
        return "A resident ID number has 18 characters."
    except stdnum_errors.InvalidChecksum:
        return "The check digit (the 18th) does not match (GB 11643-1999)."
    except stdnum_errors.ValidationError:
        return "Not a valid resident ID number (region, birth date or digits)."
    return None
