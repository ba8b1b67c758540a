"""One structured log line per request: method, path, status, duration, user."""

import logging
import time
import uuid

logger = logging.getLogger("kjcxq.request")


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.META.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex
        request.request_id = request_id
        started = time.perf_counter()
        response = self.get_response(request)
        # Below INFO the line is not built at all: in particular a user the view never
        # looked at (a lazy session user) is not loaded just for the log.
        if logger.isEnabledFor(logging.INFO):
            user = getattr(request, "user", None)
            logger.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "user_id": getattr(user, "pk", None)
                    if user and user.is_authenticated
                    else None,
                },
            )
        response["X-Request-ID"] = request_id
        return response
