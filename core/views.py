from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET
from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, with the answer for a request that states no preference.

    Most API clients send no Accept header, or `*/*`, and no `?format=`: DRF would parse
    the header and match it against every renderer to pick the first renderer and its
    media type, which is what this returns at once. Anything else is negotiated by DRF.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        if renderers and format_suffix is None and not request.META.get("QUERY_STRING"):
            accept = request.META.get("HTTP_ACCEPT")
            if accept is None or accept == "*/*":
                return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


@require_GET
def healthz(request):
    """200 when the database answers, 503 otherwise (for load balancers and probes)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _wants_problem(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    """404 outside any view: problem details under /api/, Django's page elsewhere.

    Django calls this (handler404) only with DEBUG off; with DEBUG on it renders its
    technical 404 page instead, which ApiNotFoundMiddleware replaces under /api/."""
    if _wants_problem(request):
        from core.errors import PROBLEM_CONTENT_TYPE, problem

        return JsonResponse(problem("not_found"), status=404, content_type=PROBLEM_CONTENT_TYPE)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


class ApiNotFoundMiddleware:
    """Every 404 under /api/ is problem details (`not_found`), whatever made it.

    An unresolved URL is answered by Django's exception handling inside the middleware
    chain: by handler404 (`not_found`) with DEBUG off, by the technical 404 HTML page with
    DEBUG on (`django.views.debug.technical_404_response`, which no setting replaces). API
    clients must get the same JSON either way (issue #14), so a 404 under /api/ that is not
    already problem details is answered by `not_found`. Listed before CommonMiddleware, so
    its APPEND_SLASH redirect still happens first; pages outside /api/ keep Django's pages.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 404 and _wants_problem(request):
            from core.errors import PROBLEM_CONTENT_TYPE

            if not response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
                return not_found(request)
        return response


def server_error(request):
    """500: problem details under /api/ (the error itself is logged by Django)."""
    if _wants_problem(request):
        from core.errors import PROBLEM_CONTENT_TYPE

        body = {"type": "about:blank", "title": "Internal server error", "status": 500,
                "detail": "The server could not complete the request.", "code": "server_error"}
        return JsonResponse(body, status=500, content_type=PROBLEM_CONTENT_TYPE)
    from django.views.defaults import server_error as django_server_error

    return django_server_error(request)
