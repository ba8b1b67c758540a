"""Idempotency-Key for every POST (SPEC §5).

The first request with a key claims it by inserting a row (committed on its own, so a
concurrent replay sees it); its response is stored when the view returns. A replay with
the same request gets the stored response; a different request gets 422
`idempotency_key_reused`; a replay while the first is still running gets 409
`idempotency_key_in_use`. A 5xx releases the key so the client may retry.
"""

import hashlib
import json

from django.db import IntegrityError, transaction
from django.http import HttpResponse

from core.errors import PROBLEM_CONTENT_TYPE, problem
from core.models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 255


def _principal(request) -> str:
    auth = request.META.get("HTTP_AUTHORIZATION", "")
    if auth.startswith("Token "):
        from rest_framework.authtoken.models import Token

        user_id = Token.objects.filter(key=auth[6:].strip()).values_list("user_id", flat=True)
        found = list(user_id[:1])
        return f"user:{found[0]}" if found else "token:invalid"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return "anon"


def _digest(request) -> str:
    h = hashlib.sha256()
    h.update(request.method.encode())
    h.update(b"\0")
    h.update(request.get_full_path().encode())
    h.update(b"\0")
    h.update(request.body)
    return h.hexdigest()


def _problem(code: str, detail: str) -> HttpResponse:
    body = problem(code, detail)
    return HttpResponse(
        json.dumps(body), status=body["status"], content_type=PROBLEM_CONTENT_TYPE
    )


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.META.get(HEADER)
        if request.method != "POST" or not key:
            return self.get_response(request)
        if len(key) > MAX_KEY_LENGTH:
            return _problem("invalid", f"Idempotency-Key is longer than {MAX_KEY_LENGTH}")

        principal = _principal(request)
        digest = _digest(request)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    principal=principal,
                    key=key,
                    request_digest=digest,
                    method=request.method,
                    path=request.path[:512],
                )
        except IntegrityError:
            return self._replay(principal, key, digest)

        response = self.get_response(request)
        if response.status_code >= 500 or getattr(response, "streaming", False):
            record.delete()
            return response
        record.state = IdempotencyRecord.State.DONE
        record.response_status = response.status_code
        record.response_content_type = response.get("Content-Type", "")
        record.response_body = bytes(response.content)
        record.save(
            update_fields=["state", "response_status", "response_content_type", "response_body"]
        )
        return response

    @staticmethod
    def _replay(principal: str, key: str, digest: str) -> HttpResponse:
        record = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
        if record is None:  # released by a failed first attempt in the meantime
            return _problem("idempotency_key_in_use", "Retry the request.")
        if record.request_digest != digest:
            return _problem(
                "idempotency_key_reused",
                "This Idempotency-Key was used for a different request.",
            )
        if record.state != IdempotencyRecord.State.DONE:
            return _problem(
                "idempotency_key_in_use", "The first request with this key is still running."
            )
        response = HttpResponse(
            bytes(record.response_body or b""),
            status=record.response_status,
            content_type=record.response_content_type or "application/json",
        )
        response["Idempotent-Replayed"] = "true"
        return response
