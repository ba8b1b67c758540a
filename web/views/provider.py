"""Provider pages: my claims (with withdraw), submit a claim."""

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from vouchers import selectors, services
from vouchers.transitions import CLAIM
from web.decorators import role_required
from web.forms import ClaimForm
from web.views.common import attempt, back, form_page, paginate


@role_required(Role.PROVIDER, active_member=False)
def claims(request):
    page = paginate(request, selectors.claims_visible_to(request.user).order_by("-id"))
    rows = [(claim, CLAIM.actions_from(claim.status)) for claim in page]
    return render(request, "web/provider/claims.html", {"page": page, "rows": rows})


@role_required(Role.PROVIDER)
def claim_new(request):
    def submit(data):
        services.claim_submit(provider=request.user.organization, actor=request.user, **data)

    organization = request.user.organization
    form = ClaimForm(request.POST or None,
                     initial={"category": (organization.categories or [None])[0]})
    return form_page(
        request, form, "web/provider/claim_form.html", submit=submit,
        success=_("核销申请已提交，等待企业确认。"), done=reverse("provider-claims"),
    )


@require_POST
@role_required(Role.PROVIDER)
def claim_withdraw(request, id):
    def withdraw():
        claim = selectors.get_by_public_id(
            selectors.claims_visible_to(request.user), id, what="claim"
        )
        services.claim_withdraw(claim=claim, actor=request.user,
                                reason=request.POST.get("reason", ""))

    attempt(request, withdraw, success=_("核销申请已撤回。"))
    return back(request, reverse("provider-claims"))
