"""Stable error codes and the one exception handler that turns them into problem details.

Services raise ``DomainError(code, detail)``; clients rely on ``code`` (SPEC §5). Every
error response is RFC 9457 ``application/problem+json``. A ledger invariant refused by the
database is a bug: it is not a DomainError and surfaces as a 500, logged loudly.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

logger = logging.getLogger(__name__)

# code -> (HTTP status, title). One table; SPEC §5 is the source.
ERROR_CODES: dict[str, tuple[int, str]] = {
    "invalid": (400, "Invalid input"),
    "invalid_uscc": (400, "Invalid Unified Social Credit Code"),
    "not_authenticated": (401, "Not authenticated"),
    "permission_denied": (403, "Permission denied"),
    "account_locked": (403, "Account temporarily locked"),
    "not_found": (404, "Not found"),
    "method_not_allowed": (405, "Method not allowed"),
    "not_acceptable": (406, "Not acceptable"),
    "unsupported_media_type": (415, "Unsupported media type"),
    "organization_not_active": (409, "Organisation not active"),
    "blacklisted": (409, "Organisation blacklisted"),
    "qualification_invalid": (409, "No valid qualification"),
    "application_window_closed": (409, "Application window closed"),
    "enterprise_cap_exceeded": (409, "Enterprise annual cap exceeded"),
    "budget_exhausted": (409, "Programme budget exhausted"),
    "voucher_not_active": (409, "Voucher not active"),
    "insufficient_voucher_balance": (409, "Insufficient voucher balance"),
    "ratio_exceeded": (409, "Subsidy above the allowed ratio"),
    "category_not_eligible": (409, "Service category not eligible"),
    "provider_region_not_recognised": (409, "Provider region not recognised"),
    "related_party": (409, "Related parties"),
    "duplicate_invoice": (409, "Duplicate invoice"),
    "contract_before_issue": (409, "Contract dated before the voucher was issued"),
    "provider_cap_exceeded": (409, "Provider annual cap exceeded"),
    "invalid_transition": (409, "Action not allowed in this state"),
    "four_eyes_required": (409, "Another person must do this"),
    "nothing_to_pay": (409, "No approved claim awaits payment"),
    "conflict": (409, "Conflict"),
    "idempotency_key_in_use": (409, "Idempotency key in use"),
    "idempotency_key_reused": (422, "Idempotency key reused with a different request"),
    "throttled": (429, "Too many requests"),
}

PROBLEM_CONTENT_TYPE = "application/problem+json"


class DomainError(Exception):
    """A refusal the client can act on, with a stable machine code from ERROR_CODES."""

    def __init__(self, code: str, detail: str = "", *, errors: dict | None = None, **extra):
        if code not in ERROR_CODES:
            raise ValueError(f"unknown error code {code!r}")  # a bug, not a client error
        self.code = code
        self.status, self.title = ERROR_CODES[code]
        self.detail = detail or self.title
        self.errors = errors
        self.extra = extra
        super().__init__(f"{code}: {self.detail}")


def invalid(field: str, message: str) -> DomainError:
    return DomainError("invalid", message, errors={field: [message]})


def problem(code: str, detail: str = "", *, errors=None, status=None, **extra) -> dict:
    default_status, title = ERROR_CODES[code]
    body = {
        "type": f"https://kjcxq.example.gov.cn/problems/{code}",
        "title": title,
        "status": status or default_status,
        "detail": detail or title,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def problem_response(body: dict, headers: dict | None = None) -> Response:
    response = Response(body, status=body["status"], headers=headers)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _flatten(detail) -> dict:
    """DRF's nested ValidationError detail -> {"field": ["message", ...]}."""
    if isinstance(detail, dict):
        return {
            str(key): [str(m) for m in (value if isinstance(value, list) else [value])]
            if not isinstance(value, dict)
            else [str(value)]
            for key, value in detail.items()
        }
    messages = detail if isinstance(detail, list) else [detail]
    return {"non_field_errors": [str(m) for m in messages]}


_DRF_CODES = [
    (drf.NotAuthenticated, "not_authenticated"),
    (drf.AuthenticationFailed, "not_authenticated"),
    (drf.PermissionDenied, "permission_denied"),
    (drf.NotFound, "not_found"),
    (drf.MethodNotAllowed, "method_not_allowed"),
    (drf.NotAcceptable, "not_acceptable"),
    (drf.UnsupportedMediaType, "unsupported_media_type"),
    (drf.Throttled, "throttled"),
    (drf.ParseError, "invalid"),
]


def problem_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = problem(exc.code, exc.detail, errors=exc.errors, **exc.extra)
        return problem_response(body)
    if isinstance(exc, Http404):
        return problem_response(problem("not_found"))
    if isinstance(exc, DjangoPermissionDenied):
        return problem_response(problem("permission_denied"))
    if isinstance(exc, drf.ValidationError):
        errors = _flatten(exc.detail)
        first = next(iter(errors.items()))
        detail = f"{first[0]}: {first[1][0]}" if first[1] else "Invalid input"
        return problem_response(problem("invalid", detail, errors=errors))
    if isinstance(exc, drf.APIException):
        code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), None)
        headers = {}
        if isinstance(exc, drf.Throttled) and exc.wait:
            headers["Retry-After"] = str(int(exc.wait))
        if code is None:
            body = problem("invalid", str(exc.detail), status=exc.status_code)
        else:
            body = problem(code, str(exc.detail))
        return problem_response(body, headers=headers)
    return None  # unexpected: let Django log it and answer 500
