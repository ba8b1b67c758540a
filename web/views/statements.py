"""Statements: download links for each role, and the auditor's code verification.

The links point at the API's PDF endpoints (session auth): the same figures and the same
issued-statement record whichever way a statement is asked for.
"""

from datetime import date

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, Role
from core.errors import DomainError
from reports import verification
from reports.models import IssuedStatement
from settlement.models import PayoutBatch
from vouchers.models import Programme
from web.decorators import role_required
from web.views.common import paginate


def _lang() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh-hans"


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("起始日期"), required=False)
    date_to = forms.DateField(label=_("截止日期"), required=False)


def _period(request) -> tuple[PeriodForm, date, date]:
    today = timezone.localdate()
    form = PeriodForm(request.GET or None)
    start, end = date(today.year, 1, 1), today
    if form.is_valid():
        start = form.cleaned_data["date_from"] or start
        end = form.cleaned_data["date_to"] or end
    return form, start, end


def _organization_url(organization, start: date, end: date, lang: str) -> str:
    url = reverse("statement-organization", kwargs={"id": organization.public_id})
    return f"{url}?from={start.isoformat()}&to={end.isoformat()}&lang={lang}"


@role_required(Role.FINANCE, Role.AUDITOR)
def statements(request):
    """Every programme's monthly and budget execution statements, the payout batches, and
    any organisation's statement over a period."""
    lang = _lang()
    today = timezone.localdate()
    month = request.GET.get("month") or today.strftime("%Y-%m")
    form, start, end = _period(request)
    programmes = [
        (programme,
         reverse("statement-programme-monthly", kwargs={"code": programme.code})
         + f"?month={month}&lang={lang}",
         reverse("statement-budget-execution", kwargs={"code": programme.code})
         + f"?lang={lang}")
        for programme in Programme.objects.order_by("-year", "code")
    ]
    batches = paginate(request, PayoutBatch.objects.select_related("programme")
                       .order_by("-id"))
    query = request.GET.get("q", "").strip()
    organizations = []
    if query:
        organizations = [
            (org, _organization_url(org, start, end, lang))
            for org in Organization.objects.filter(name__icontains=query)[:20]
        ] + [
            (org, _organization_url(org, start, end, lang))
            for org in Organization.objects.filter(uscc=query.upper())
        ]
    return render(request, "web/statements/index.html", {
        "programmes": programmes, "month": month, "lang": lang,
        "batches": [(b, reverse("statement-payout-batch", kwargs={"id": b.public_id})
                     + f"?lang={lang}") for b in batches],
        "page": batches, "form": form, "query": query, "organizations": organizations,
    })


@role_required(Role.ENTERPRISE, Role.PROVIDER)
def my_statement(request):
    """The member's own organisation's statement over a period."""
    form, start, end = _period(request)
    return render(request, "web/statements/mine.html", {
        "form": form, "start": start, "end": end,
        "url": _organization_url(request.user.organization, start, end, _lang()),
    })


@role_required(Role.FINANCE, Role.AUDITOR, Role.ENTERPRISE, Role.PROVIDER)
def job(request, id):
    """A large statement being rendered on a worker: its progress (the page reloads
    itself), then the link to its PDF. Shown to its issuer and to the bureaus, as the
    API's job is."""
    statement = IssuedStatement.objects.filter(public_id=id).first()
    if statement is None or (request.user.role not in (Role.FINANCE, Role.AUDITOR)
                             and statement.issued_by_id != request.user.pk):
        raise Http404
    return render(request, "web/statements/job.html", {
        "statement": statement,
        "working": statement.status in (IssuedStatement.Status.PENDING,
                                         IssuedStatement.Status.RENDERING),
        "ready": statement.status == IssuedStatement.Status.READY,
        "pdf": reverse("statement-job-pdf", kwargs={"id": statement.public_id}),
        "code": verification.format_code(statement.code),
    })


class VerifyForm(forms.Form):
    code = forms.CharField(label=_("验证码"), max_length=40)


@role_required(Role.AUDITOR, Role.FINANCE)
def verify(request):
    """Whether a statement's code is one the system issued, and what it covers."""
    form = VerifyForm(request.GET or None)
    statement, refused, status = None, False, 200
    if form.is_valid():
        try:
            statement = verification.statement_for_code(form.cleaned_data["code"])
        except DomainError:
            refused, status = True, 404
    return render(request, "web/statements/verify.html", {
        "form": form, "statement": statement, "refused": refused,
        "code": verification.format_code(statement.code) if statement else "",
    }, status=status)
