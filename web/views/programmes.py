"""Programmes with their budget figures (reviewer, finance, auditor) and funding (finance)."""

import dataclasses

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role
from core.errors import DomainError
from core.money import format_fen
from vouchers import selectors, services
from vouchers.models import Programme
from web.decorators import role_required
from web.forms import FundForm
from web.views.common import form_page, paginate

# Labels of the budget buckets (vouchers.selectors.Budget); a bucket added there later
# shows under its field name until it gets a label here.
BUDGET_LABELS = {
    "funded": gettext_lazy("已拨入预算"),
    "available": gettext_lazy("可发放"),
    "issued_unspent": gettext_lazy("已发券未使用"),
    "held": gettext_lazy("已确认冻结"),
    "approved_unpaid": gettext_lazy("已核准待拨付"),
    "in_payment": gettext_lazy("拨付中"),
    "paid": gettext_lazy("已拨付"),
    "clawback_receivable": gettext_lazy("应追回"),
    "recovered": gettext_lazy("已追回"),
    "lapsed_returned_to_treasury": gettext_lazy("过期退回国库"),
}


def budget_rows(programme: Programme) -> list[tuple[str, str, str]]:
    """(field, label, amount) for every bucket of the programme's budget, `funded` first."""
    budget = selectors.programme_budget(programme).as_dict()
    return [(key, BUDGET_LABELS.get(key, key), format_fen(value))
            for key, value in budget.items()]


def budget_headings() -> list[str]:
    return [BUDGET_LABELS.get(f.name, f.name) for f in dataclasses.fields(selectors.Budget)]


@role_required(Role.REVIEWER, Role.FINANCE, Role.AUDITOR)
def programmes(request):
    page = paginate(request, Programme.objects.order_by("-year", "code"), per_page=20)
    rows = [(programme, budget_rows(programme)) for programme in page]
    return render(request, "web/programmes.html",
                  {"page": page, "rows": rows, "headings": budget_headings()})


@role_required(Role.FINANCE)
def programme_fund(request, code):
    try:
        programme = selectors.programme_get(code)
    except DomainError as exc:
        raise Http404(exc.detail) from exc

    def submit(data):
        services.programme_fund(programme=programme, amount=data["amount"],
                                memo=data["memo"], actor=request.user)

    return form_page(
        request, FundForm(request.POST or None), "web/finance/fund.html", submit=submit,
        success=_("已向 %(code)s 拨入预算。") % {"code": programme.code},
        done=reverse("programmes"),
        context={"programme": programme, "budget": budget_rows(programme)},
    )
