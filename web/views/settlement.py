"""Settlement pages (财政局): payout batches, the payment file, bank statements and
reconciliation exceptions. Finance acts; auditors read the same pages without buttons.

Every action calls the service the API calls (settlement.services) and every read goes
through settlement.selectors; a refusal (DomainError) becomes a page message.
"""

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from core.errors import DomainError
from settlement import selectors, services
from settlement.filters import BatchFilter, ExceptionFilter
from settlement.models import PayoutBatch, ReconciliationException
from settlement.transitions import BATCH, PAYMENT_FILE_STATES
from vouchers.models import Programme
from web import feedback
from web.decorators import role_required
from web.forms import BankStatementForm, BatchBuildForm, ExceptionResolveForm
from web.views.common import attempt, back, paginate

READERS = (Role.FINANCE, Role.AUDITOR)
#: the batch actions a page offers (BATCH decides which apply to the batch's status)
BATCH_ACTIONS = ("approve", "send", "cancel")


def _found(read):
    """A selector's `not_found` is the page's 404."""
    try:
        return read()
    except DomainError as exc:
        raise Http404(exc.detail) from exc


def _may_act(request) -> bool:
    return request.user.role == Role.FINANCE


# --- payout batches --------------------------------------------------------------------


@role_required(*READERS)
def batches(request):
    """Batches newest first, filtered by ?status= and ?programme= (the API's filter).

    Not selectors.batches(): that prefetches every line and claim of every batch (the
    API's shape); a list of 50 batches of 10,000 claims needs only their line counts."""
    queryset = (PayoutBatch.objects.select_related("programme", "built_by", "approved_by")
                .annotate(line_count=Count("lines")).order_by("-id"))
    queryset = BatchFilter(request.GET, queryset=queryset).qs
    return render(request, "web/settlement/batches.html", {
        "page": paginate(request, queryset),
        "status": request.GET.get("status", ""),
        "programme": request.GET.get("programme", ""),
        "statuses": PayoutBatch.Status.choices,
        "programmes": Programme.objects.order_by("-year", "code"),
        "form": BatchBuildForm() if _may_act(request) else None,
    })


@require_POST
@role_required(Role.FINANCE)
def batch_build(request):
    form = BatchBuildForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("settlement-batches")
    programme = form.cleaned_data["programme"]
    try:
        batch = services.batch_build(programme=programme, actor=request.user)
    except DomainError as exc:
        feedback.report(request, exc)
        return redirect("settlement-batches")
    messages.success(request, _("已为 %(code)s 生成拨付批次草稿，请由另一位财务人员复核。") % {
        "code": programme.code})
    return redirect("settlement-batch", id=batch.public_id)


@role_required(*READERS)
def batch_detail(request, id):
    batch = _found(lambda: selectors.batch_get(id))
    actions = [a for a in BATCH.actions_from(batch.status) if a in BATCH_ACTIONS
               and not (a == "cancel" and batch.file_exported_at)]
    return render(request, "web/settlement/batch.html", {
        "batch": batch,
        "lines": batch.lines.all(),  # prefetched with their items
        "actions": actions if _may_act(request) else [],
        "has_payment_file": batch.status in PAYMENT_FILE_STATES,
    })


@require_POST
@role_required(Role.FINANCE)
def batch_action(request, id, action):
    if action not in BATCH_ACTIONS:
        raise Http404

    def batch():
        return selectors.batch_get(id)

    if action == "approve":
        attempt(request, lambda: services.batch_approve(batch=batch(), actor=request.user),
                success=_("批次已复核通过，可导出付款文件并发送银行。"))
    elif action == "send":
        attempt(request, lambda: services.batch_send(batch=batch(), actor=request.user),
                success=_("批次已标记为发送银行，其核销申请进入拨付中。"))
    else:
        attempt(request, lambda: services.batch_cancel(
            batch=batch(), actor=request.user, reason=request.POST.get("reason", "")),
            success=_("批次已作废，其核销申请可重新拨付。"))
    return back(request, reverse("settlement-batch", args=[id]))


@role_required(*READERS)
def batch_payment_file(request, id):
    """The same bytes as the API's payment-file endpoint (settlement.files.payment_file)."""
    batch = _found(lambda: selectors.batch_get(id))
    if batch.status not in PAYMENT_FILE_STATES:
        messages.error(request, _("批次复核通过后才有付款文件。"))
        return redirect("settlement-batch", id=batch.public_id)
    response = HttpResponse(services.batch_payment_file(batch=batch, actor=request.user),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="payment-{batch.programme.code}-{batch.public_id}.csv"')
    return response


# --- bank statements -------------------------------------------------------------------


def _statements_page(request, form, *, status: int = 200):
    return render(request, "web/settlement/statements.html", {
        "page": paginate(request, selectors.statements().order_by("-id")),
        "form": form if _may_act(request) else None,
    }, status=status)


@role_required(*READERS)
def statements(request):
    return _statements_page(request, BankStatementForm())


@require_POST
@role_required(Role.FINANCE)
def statement_upload(request):
    """Import one bank file; its result is shown on the statement's page."""
    form = BankStatementForm(request.POST, request.FILES)
    if not form.is_valid():
        return _statements_page(request, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        result = services.bank_statement_import(content=upload.read(),
                                                filename=upload.name or "",
                                                actor=request.user)
    except DomainError as exc:
        feedback.report(request, exc, form)
        return _statements_page(request, form, status=exc.status)
    statement = result.statement
    if result.duplicate:
        messages.info(request, _("此文件此前已导入，本次未作任何更改。"))
    else:
        messages.success(request, _(
            "对账单已导入：匹配 %(matched)s 笔，退回 %(returned)s 笔，差异 %(exceptions)s 笔，"
            "此前已导入 %(already)s 笔。") % {
            "matched": statement.matched, "returned": statement.returned,
            "exceptions": statement.exceptions, "already": statement.already_imported})
        if result.missing_flagged:
            messages.info(request, _("另有 %(count)s 笔已发送的付款逾期未见银行回单，已列为差异。")
                          % {"count": result.missing_flagged})
    return redirect("settlement-statement", id=statement.public_id)


@role_required(*READERS)
def statement_detail(request, id):
    statement = _found(lambda: selectors.statement_get(id))
    lines = statement.lines.select_related("exception").order_by("line_number")
    return render(request, "web/settlement/statement.html",
                  {"statement": statement, "page": paginate(request, lines)})


# --- reconciliation exceptions ---------------------------------------------------------

EXCEPTION_STATUS_DEFAULT = ReconciliationException.Status.OPEN


@role_required(*READERS)
def exceptions(request):
    """Open exceptions by default (?status=all for every one), optionally of one ?kind=."""
    query = request.GET.copy()
    status = query.get("status") or EXCEPTION_STATUS_DEFAULT
    if status == "all":
        query.pop("status")
    else:
        query["status"] = status
    queryset = ExceptionFilter(query, queryset=selectors.exceptions().order_by("id")).qs
    page = paginate(request, queryset)
    may_act = _may_act(request)
    rows = [(exception, _resolve_actions(exception) if may_act else []) for exception in page]
    return render(request, "web/settlement/exceptions.html", {
        "page": page, "rows": rows, "status": status, "kind": query.get("kind", ""),
        "statuses": ReconciliationException.Status.choices,
        "kinds": ReconciliationException.Kind.choices,
    })


def _resolve_actions(exception: ReconciliationException) -> list[tuple[str, str]]:
    """The resolve actions a row offers: settle / fail only where there is a payment line
    to decide (the service refuses the rest anyway)."""
    if exception.status != ReconciliationException.Status.OPEN:
        return []
    choices = ExceptionResolveForm.base_fields["action"].choices
    if exception.payment_line_id is None:
        return [c for c in choices if c[0] == "acknowledge"]
    return list(choices)


@require_POST
@role_required(Role.FINANCE)
def exception_resolve(request, id):
    form = ExceptionResolveForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return back(request, reverse("settlement-exceptions"))
    attempt(request, lambda: services.exception_resolve(
        exception=selectors.exception_get(id), actor=request.user,
        reason=form.cleaned_data["reason"], action=form.cleaned_data["action"]),
        success=_("差异已处理。"))
    return back(request, reverse("settlement-exceptions"))
