"""Idempotency-Key for every POST (SPEC §5).

The first request with a key claims it by inserting a row (committed on its own, so a
concurrent replay sees it); its response is stored when the view returns. A replay with
the same request gets the stored response; a different request gets 422
`idempotency_key_reused`; a replay while the first is still running gets 409
`idempotency_key_in_use`. A 5xx releases the key so the client may retry.

Cost: a POST without the header, and any other method, passes straight through (no query,
no hashing). With a key, the first request adds two statements (the INSERT that claims the
key, the UPDATE that stores the response); the caller's token is looked up once and shared
with the view's authentication (core.authentication.request_token). The INSERT runs in
autocommit (it commits by itself, visible at once to a concurrent replay); only inside an
enclosing transaction does it need a savepoint to survive a duplicate key.
"""

import hashlib
import json

from django.db import IntegrityError, connections, router, transaction
from django.http import HttpResponse

from core.authentication import request_token, token_key
from core.errors import PROBLEM_CONTENT_TYPE, problem
from core.models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 255


def _principal(request) -> str:
    key = token_key(request.META.get("HTTP_AUTHORIZATION"))
    if key is not None:
        token = request_token(request, key)
        return f"user:{token.user_id}" if token is not None else "token:invalid"
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
    if request.content_type == "multipart/form-data":
        _multipart_digest(request, h)
    else:
        h.update(request.body)
    return h.hexdigest()


def _multipart_digest(request, h) -> None:
    """A form upload by what it carries, not by its bytes: a client's retry draws a new
    random boundary, and its raw body would be read into memory whole (refused past
    DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB, where an uploaded file is not). Django parses it
    here, once; DRF takes the parsed form from the request afterwards."""
    for name in sorted(request.POST):
        for value in request.POST.getlist(name):
            h.update(json.dumps(["field", name, value]).encode())
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            content = hashlib.sha256()
            for chunk in upload.chunks():
                content.update(chunk)
            upload.seek(0)
            h.update(json.dumps(["file", name, upload.name, content.hexdigest()]).encode())


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
        record = IdempotencyRecord(
            principal=principal,
            key=key,
            request_digest=digest,
            method=request.method,
            path=request.path[:512],
        )
        try:
            self._claim(record)
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
    def _claim(record: IdempotencyRecord) -> None:
        """INSERT the record; IntegrityError when the key is taken."""
        using = router.db_for_write(IdempotencyRecord)
        if connections[using].in_atomic_block:  # a failed INSERT must not doom the outer one
            with transaction.atomic(using=using):
                record.save(force_insert=True, using=using)
        else:  # autocommit: the INSERT is its own transaction, no BEGIN / COMMIT round trips
            record.save(force_insert=True, using=using)

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
