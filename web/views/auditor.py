"""Auditor pages (read only): audit chain status and events, ledger trial balance."""

from django.shortcuts import render

from accounts.models import Role
from audit.models import AuditEvent
from audit.services import audit_verify
from ledger.selectors import trial_balance as ledger_trial_balance
from web.decorators import role_required
from web.views.common import paginate


@role_required(Role.AUDITOR)
def audit(request):
    """The whole chain is verified on each visit (one pass, like `manage.py audit_verify`);
    the events are listed newest first, 50 a page."""
    return render(request, "web/auditor/audit.html", {
        "report": audit_verify(),
        "page": paginate(request, AuditEvent.objects.order_by("-id")),
    })


@role_required(Role.AUDITOR, Role.FINANCE)
def trial_balance(request):
    return render(request, "web/auditor/trial_balance.html",
                  {"trial": ledger_trial_balance()})
