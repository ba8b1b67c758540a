"""Reviewer (科技局) pages: organisations to approve, applications and claims to decide."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors as accounts_selectors
from accounts import services as accounts_services
from accounts.models import Organization, Role
from core.errors import DomainError
from settlement import services as settlement_services
from vouchers import selectors, services
from vouchers.models import Application, Claim
from vouchers.transitions import CLAIM
from web import feedback
from web.decorators import role_required
from web.forms import ApplicationApproveForm, ClawbackForm
from web.views.common import attempt, back, paginate

# The organisation actions a reviewer may take from each status (accounts.services
# refuses anything else with invalid_transition; this only decides which buttons show).
ORGANIZATION_ACTIONS = {
    action: {source for (source, act) in accounts_services.STATUS_TRANSITIONS if act == action}
    for action in ("approve", "suspend", "blacklist")
}


def _status_filter(request, choices, default):
    status = request.GET.get("status", default)
    return status if status in dict(choices) or status == "all" else default


@role_required(Role.REVIEWER)
def organizations(request):
    status = _status_filter(request, Organization.Status.choices, Organization.Status.PENDING)
    queryset = accounts_selectors.organizations_visible_to(request.user).order_by("id")
    if status != "all":
        queryset = queryset.filter(status=status)
    page = paginate(request, queryset)
    rows = [
        (org, [a for a, sources in ORGANIZATION_ACTIONS.items() if org.status in sources])
        for org in page
    ]
    return render(request, "web/reviewer/organizations.html", {
        "page": page, "rows": rows, "status": status,
        "statuses": Organization.Status.choices,
    })


@require_POST
@role_required(Role.REVIEWER)
def organization_action(request, id, action):
    def organization():
        return accounts_selectors.organization_get_visible(user=request.user, public_id=id)

    if action not in ORGANIZATION_ACTIONS:
        raise Http404
    reason = request.POST.get("reason", "")
    if action == "approve":
        attempt(request, lambda: accounts_services.organization_approve(
            organization=organization(), actor=request.user, reason=reason),
            success=_("机构已审核通过。"))
    elif action == "suspend":
        attempt(request, lambda: accounts_services.organization_suspend(
            organization=organization(), actor=request.user, reason=reason),
            success=_("机构已暂停。"))
    else:  # blacklist: the vouchers service also freezes the organisation's open claims
        attempt(request, lambda: services.organization_blacklist(
            organization=organization(), actor=request.user, reason=reason),
            success=_("机构已列入科研失信名单，其未完结的核销申请已冻结待审。"))
    return back(request, reverse("reviewer-organizations"))


@role_required(Role.REVIEWER)
def applications(request):
    status = _status_filter(request, Application.Status.choices, Application.Status.SUBMITTED)
    queryset = selectors.applications_visible_to(request.user).order_by("id")
    if status != "all":
        queryset = queryset.filter(status=status)
    return render(request, "web/reviewer/applications.html", {
        "page": paginate(request, queryset), "status": status,
        "statuses": Application.Status.choices,
    })


def _application(request, id):
    return selectors.get_by_public_id(
        selectors.applications_visible_to(request.user), id, what="application"
    )


@require_POST
@role_required(Role.REVIEWER)
def application_approve(request, id):
    form = ApplicationApproveForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return back(request, reverse("reviewer-applications"))
    try:
        application = services.application_approve(
            application=_application(request, id), actor=request.user,
            amount=form.cleaned_data["amount"],
        )
    except DomainError as exc:
        feedback.report(request, exc)
    else:
        voucher = application.voucher
        messages.success(request, _("已批准，创新券 %(code)s 已发放。") % {
            "code": voucher.code})
    return back(request, reverse("reviewer-applications"))


@require_POST
@role_required(Role.REVIEWER)
def application_reject(request, id):
    attempt(request, lambda: services.application_reject(
        application=_application(request, id), actor=request.user,
        reason=request.POST.get("reason", "")), success=_("申领已驳回。"))
    return back(request, reverse("reviewer-applications"))


@role_required(Role.REVIEWER)
def claims(request):
    status = _status_filter(request, Claim.Status.choices, Claim.Status.CONFIRMED)
    queryset = selectors.claims_visible_to(request.user).order_by("id")
    if status != "all":
        queryset = queryset.filter(status=status)
    page = paginate(request, queryset)
    rows = [(claim, CLAIM.actions_from(claim.status)) for claim in page]
    return render(request, "web/reviewer/claims.html", {
        "page": page, "rows": rows, "status": status, "statuses": Claim.Status.choices,
    })


def _claim(request, id):
    return selectors.get_by_public_id(selectors.claims_visible_to(request.user), id,
                                      what="claim")


@require_POST
@role_required(Role.REVIEWER)
def claim_approve(request, id):
    attempt(request, lambda: services.claim_approve(claim=_claim(request, id),
                                                    actor=request.user),
            success=_("核销申请已核准。"))
    return back(request, reverse("reviewer-claims"))


@require_POST
@role_required(Role.REVIEWER)
def claim_reject(request, id):
    attempt(request, lambda: services.claim_reject(
        claim=_claim(request, id), actor=request.user, reason=request.POST.get("reason", "")),
        success=_("核销申请已驳回，冻结金额已释放。"))
    return back(request, reverse("reviewer-claims"))


@require_POST
@role_required(Role.REVIEWER)
def claim_clawback(request, id):
    """Order recovery of a paid claim (settlement.services.claim_clawback, as the API)."""
    form = ClawbackForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return back(request, reverse("reviewer-claims"))
    try:
        claim = settlement_services.claim_clawback(
            claim=_claim(request, id), actor=request.user, reason=form.cleaned_data["reason"],
            blacklist=form.cleaned_data["blacklist"])
    except DomainError as exc:
        feedback.report(request, exc)
    else:
        messages.success(request, _("已责令追回，服务机构还款时须注明参考号 %(reference)s。") % {
            "reference": claim.clawback_reference})
    return back(request, reverse("reviewer-claims"))
