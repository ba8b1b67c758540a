"""Enterprise pages: my vouchers, apply, my applications, claims to confirm or refuse."""

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from vouchers import selectors, services
from vouchers.models import Claim, Programme
from vouchers.rules import today
from vouchers.transitions import CLAIM
from web.decorators import role_required
from web.forms import ApplicationForm
from web.views.common import attempt, back, form_page, paginate


@role_required(Role.ENTERPRISE, active_member=False)
def vouchers(request):
    page = paginate(request, selectors.vouchers_visible_to(request.user).order_by("-id"))
    rows = [(voucher, selectors.voucher_balance(voucher)) for voucher in page]
    return render(request, "web/enterprise/vouchers.html", {"page": page, "rows": rows})


@role_required(Role.ENTERPRISE, active_member=False)
def applications(request):
    page = paginate(request, selectors.applications_visible_to(request.user).order_by("-id"))
    return render(request, "web/enterprise/applications.html", {"page": page})


def _open_programmes():
    """Programmes whose application window includes today (the service checks again)."""
    on = today()
    return Programme.objects.filter(
        application_opens__lte=on, application_closes__gte=on
    ).order_by("-year", "code")


@role_required(Role.ENTERPRISE)
def apply(request):
    def submit(data):
        services.application_submit(
            enterprise=request.user.organization, programme=data["programme"],
            amount=data["amount"], purpose=data["purpose"], actor=request.user,
        )

    return form_page(
        request, ApplicationForm(request.POST or None, programmes=_open_programmes()),
        "web/enterprise/apply.html", submit=submit,
        success=_("申领已提交，等待科技局审核。"), done=reverse("enterprise-applications"),
    )


@role_required(Role.ENTERPRISE, active_member=False)
def claims(request):
    """Claims against my vouchers; by default those waiting for my confirmation."""
    show_all = request.GET.get("show") == "all"
    queryset = selectors.claims_visible_to(request.user).order_by("-id")
    if not show_all:
        queryset = queryset.filter(status=Claim.Status.PENDING_CONFIRMATION)
    page = paginate(request, queryset)
    rows = [(claim, CLAIM.actions_from(claim.status)) for claim in page]
    return render(request, "web/enterprise/claims.html",
                  {"page": page, "rows": rows, "show_all": show_all})


def _claim(request, id):
    return selectors.get_by_public_id(
        selectors.claims_visible_to(request.user), id, what="claim"
    )


@require_POST
@role_required(Role.ENTERPRISE)
def claim_confirm(request, id):
    attempt(
        request,
        lambda: services.claim_confirm(claim=_claim(request, id), actor=request.user),
        success=_("已确认，补贴金额已在创新券上冻结。"),
    )
    return back(request, reverse("enterprise-claims"))


@require_POST
@role_required(Role.ENTERPRISE)
def claim_refuse(request, id):
    attempt(
        request,
        lambda: services.claim_refuse(claim=_claim(request, id), actor=request.user,
                                      reason=request.POST.get("reason", "")),
        success=_("已拒绝该核销申请，冻结金额已释放。"),
    )
    return back(request, reverse("enterprise-claims"))
