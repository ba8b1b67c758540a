"""Statement endpoints (SPEC §5): PDFs for finance and auditors (members: their own
organisation's statement), jobs for large statements, and code verification for anyone.

A PDF request reads the figures now (their cut-off), records the issued statement and
answers 200 with the PDF, or 202 with the job's URL when the statement is large enough to
render on a worker (`reports.services.async_threshold`).
"""

import json
import uuid
from datetime import date

from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import STAFF_ROLES, Organization, Role
from accounts.permissions import IsFinanceOrAuditor, role_required
from core.errors import DomainError, invalid
from core.fields import MoneyField
from reports import selectors, verification
from reports.models import IssuedStatement
from reports.services import statement_issue
from reports.tasks import statement_render_task
from settlement.models import PayoutBatch
from vouchers.selectors import programme_get

LANG = OpenApiParameter("lang", str, enum=["zh-hans", "en"],
                        description="Statement language (Chinese by default).")
PDF_RESPONSES = {
    (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF"),
    202: OpenApiResponse(description="Large statement: rendering on a worker; see `job`."),
}


class PdfRenderer(renderers.BaseRenderer):
    """Lets a client ask for application/pdf; a refusal is still problem JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data, ensure_ascii=False).encode()


def _lang(request) -> str:
    value = request.query_params.get("lang", "zh-hans").lower()
    if value in ("zh", "zh-hans", "zh-cn"):
        return "zh-hans"
    if value == "en":
        return "en"
    raise invalid("lang", "lang must be zh-hans or en")


def _date(request, name: str, default: date) -> date:
    text = request.query_params.get(name)
    if not text:
        return default
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or len(text) != 10:
        raise invalid(name, f"{name} must be a date such as 2026-06-30")
    return parsed


def _job_url(request, statement: IssuedStatement) -> str:
    return request.build_absolute_uri(
        reverse("statement-job", kwargs={"id": statement.public_id}))


def _pdf_response(statement: IssuedStatement) -> HttpResponse:
    response = HttpResponse(bytes(statement.pdf), content_type="application/pdf")
    name = f"{statement.kind}-{verification.format_code(statement.code)}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["X-Verification-Code"] = verification.format_code(statement.code)
    response["X-Statement-Id"] = str(statement.public_id)
    return response


def _job_body(request, statement: IssuedStatement) -> dict:
    ready = statement.status == IssuedStatement.Status.READY
    return {
        "id": str(statement.public_id), "kind": statement.kind, "status": statement.status,
        "progress": statement.progress, "rows": statement.rows, "pages": statement.pages,
        "verification_code": verification.format_code(statement.code),
        "job": _job_url(request, statement),
        "pdf": (request.build_absolute_uri(reverse("statement-job-pdf",
                                                   kwargs={"id": statement.public_id}))
                if ready else None),
        "error": statement.error or None,
    }


class _StatementApi(APIView):
    renderer_classes = [renderers.JSONRenderer, PdfRenderer]
    kind: str = ""

    def issue(self, request, *, parameters: dict, data: dict, lang: str, cutoff):
        issued = statement_issue(kind=self.kind, parameters=parameters, data=data, lang=lang,
                                 actor=request.user, cutoff=cutoff)
        statement = issued.statement
        if issued.rendered_now:
            return _pdf_response(statement)
        statement_render_task.delay(statement.pk)
        if _from_a_browser(request):  # to the page that follows the job, then the PDF
            return HttpResponseRedirect(
                reverse("statement-job-page", kwargs={"id": statement.public_id}),
                status=303)
        statement.refresh_from_db(fields=["status", "progress", "pages", "error"])
        body = _job_body(request, statement)
        # JSON whatever the client accepted (a client asking for PDF gets the job)
        return JsonResponse(body, status=202, headers={"Location": body["job"]},
                            json_dumps_params={"ensure_ascii": False})


def _from_a_browser(request) -> bool:
    """A browser following a download link asks for HTML first; API clients do not."""
    return "text/html" in request.META.get("HTTP_ACCEPT", "")


class PayoutBatchStatementApi(_StatementApi):
    """拨付清单: the batch's lines, claims, invoices, totals (figures and capitals)."""

    permission_classes = [IsFinanceOrAuditor]
    kind = IssuedStatement.Kind.PAYOUT_BATCH

    @extend_schema(parameters=[LANG], responses=PDF_RESPONSES)
    def get(self, request, id):
        lang = _lang(request)
        try:
            batch = PayoutBatch.objects.get(public_id=uuid.UUID(str(id)))
        except (ValueError, PayoutBatch.DoesNotExist):
            raise DomainError("not_found", "No such payout batch.") from None
        cutoff = timezone.now()
        data = selectors.payout_batch_statement(batch, lang=lang)
        return self.issue(request, parameters={"batch": str(batch.public_id)}, data=data,
                          lang=lang, cutoff=cutoff)


class ProgrammeMonthlyStatementApi(_StatementApi):
    """Monthly settlement statement: opening, movements and closing of the budget."""

    permission_classes = [IsFinanceOrAuditor]
    kind = IssuedStatement.Kind.PROGRAMME_MONTHLY

    @extend_schema(parameters=[LANG, OpenApiParameter("month", str, required=True,
                                                      description="YYYY-MM")],
                   responses=PDF_RESPONSES)
    def get(self, request, code):
        lang = _lang(request)
        programme = programme_get(code)
        month = selectors.parse_month(request.query_params.get("month", ""))
        if month is None:
            raise invalid("month", "month must be given as YYYY-MM, e.g. 2026-06")
        cutoff = timezone.now()
        first, last = month
        data = selectors.programme_monthly_statement(programme, first=first, last=last,
                                                     lang=lang)
        return self.issue(request, parameters={"programme": programme.code,
                                               "month": first.strftime("%Y-%m")},
                          data=data, lang=lang, cutoff=cutoff)


class BudgetExecutionStatementApi(_StatementApi):
    """预算执行情况表: the budget, by district and by service category."""

    permission_classes = [IsFinanceOrAuditor]
    kind = IssuedStatement.Kind.BUDGET_EXECUTION

    @extend_schema(parameters=[LANG], responses=PDF_RESPONSES)
    def get(self, request, code):
        lang = _lang(request)
        programme = programme_get(code)
        cutoff = timezone.now()
        data = selectors.budget_execution_statement(programme, lang=lang)
        return self.issue(request, parameters={"programme": programme.code}, data=data,
                          lang=lang, cutoff=cutoff)


class OrganizationStatementApi(_StatementApi):
    """An enterprise's vouchers or a provider's payables over a period. Members get only
    their own organisation's; any other is `not_found`."""

    permission_classes = [role_required(Role.FINANCE, Role.AUDITOR, Role.ENTERPRISE,
                                        Role.PROVIDER)]
    kind = IssuedStatement.Kind.ORGANIZATION

    @extend_schema(parameters=[
        LANG,
        OpenApiParameter("from", OpenApiTypes.DATE, description="First day (1 January)"),
        OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (today)"),
    ], responses=PDF_RESPONSES)
    def get(self, request, id):
        lang = _lang(request)
        organization = None
        try:
            public_id = uuid.UUID(str(id))
        except ValueError:
            public_id = None
        if public_id is not None:
            queryset = Organization.objects.filter(public_id=public_id)
            if request.user.role not in STAFF_ROLES:
                queryset = queryset.filter(pk=request.user.organization_id)
            organization = queryset.first()
        if organization is None:
            raise DomainError("not_found", "No such organisation.")
        today = timezone.localdate()
        start = _date(request, "from", date(today.year, 1, 1))
        end = _date(request, "to", today)
        if start > end:
            raise invalid("from", "from must not be after to")
        cutoff = timezone.now()
        data = selectors.organization_statement(
            organization, period=selectors.Period(start, end), lang=lang)
        return self.issue(request, parameters={"organization": str(organization.public_id),
                                               "from": start.isoformat(),
                                               "to": end.isoformat()},
                          data=data, lang=lang, cutoff=cutoff)


class TotalsField(serializers.DictField):
    child = MoneyField(allow_negative=True)


class VerifyOutput(serializers.Serializer):
    valid = serializers.BooleanField()
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=IssuedStatement.Kind.choices)
    batch = serializers.CharField(required=False)
    programme = serializers.CharField(required=False)
    month = serializers.CharField(required=False)
    organization = serializers.CharField(required=False)
    period = serializers.DictField(child=serializers.CharField(), required=False)
    totals = serializers.DictField(child=serializers.CharField())
    issued_at = serializers.DateTimeField()
    data_cutoff = serializers.DateTimeField()
    data_digest = serializers.CharField()
    pdf_digest = serializers.CharField(allow_null=True)
    pages = serializers.IntegerField()
    lang = serializers.CharField()


def verification_answer(statement: IssuedStatement) -> dict:
    """What a verified code covers (the API's answer and the auditor's page)."""
    parameters = statement.parameters
    body = {
        "valid": True, "code": verification.format_code(statement.code),
        "kind": statement.kind,
        "totals": {k: (MoneyField(allow_negative=True).to_representation(v)
                       if k not in ("lines", "claims") else str(v))
                   for k, v in statement.totals.items()},
        "issued_at": statement.issued_at, "data_cutoff": statement.data_cutoff,
        "data_digest": statement.data_digest, "pdf_digest": statement.pdf_digest or None,
        "pages": statement.pages, "lang": statement.lang,
    }
    for key in ("batch", "programme", "month", "organization"):
        if key in parameters:
            body[key] = parameters[key]
    if "from" in parameters:
        body["period"] = {"from": parameters["from"], "to": parameters["to"]}
    elif "month" in parameters:
        body["period"] = {"from": statement.data["period"]["from"],
                          "to": statement.data["period"]["to"]}
    return body


class VerifyApi(APIView):
    """Anyone: whether a code is one the system issued, and for what."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: VerifyOutput, 404: OpenApiResponse(
        description="not_found: no statement carries this code")})
    def get(self, request, code):
        statement = verification.statement_for_code(code)
        return Response(VerifyOutput(verification_answer(statement)).data)


def _visible_job(request, id) -> IssuedStatement:
    statement = IssuedStatement.objects.filter(public_id=id).first()
    user = request.user
    if statement is None or (user.role not in (Role.FINANCE, Role.AUDITOR)
                             and statement.issued_by_id != user.pk):
        raise DomainError("not_found", "No such statement job.")
    return statement


class JobOutput(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    status = serializers.ChoiceField(choices=IssuedStatement.Status.choices)
    progress = serializers.IntegerField()
    rows = serializers.IntegerField()
    pages = serializers.IntegerField()
    verification_code = serializers.CharField()
    job = serializers.URLField()
    pdf = serializers.URLField(allow_null=True)
    error = serializers.CharField(allow_null=True)


class StatementJobApi(APIView):
    """A large statement's rendering: status, progress, and the PDF's URL once ready."""

    permission_classes = [role_required(Role.FINANCE, Role.AUDITOR, Role.ENTERPRISE,
                                        Role.PROVIDER)]

    @extend_schema(responses=JobOutput)
    def get(self, request, id):
        return Response(_job_body(request, _visible_job(request, id)))


class StatementJobPdfApi(APIView):
    permission_classes = [role_required(Role.FINANCE, Role.AUDITOR, Role.ENTERPRISE,
                                        Role.PROVIDER)]
    renderer_classes = [renderers.JSONRenderer, PdfRenderer]

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, id):
        statement = _visible_job(request, id)
        if statement.status != IssuedStatement.Status.READY:
            raise DomainError("conflict", f"The statement is {statement.status}.")
        return _pdf_response(statement)
