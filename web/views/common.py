"""What every page view shares: pagination, running a service, going back."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from core.errors import DomainError
from web import feedback

PAGE_SIZE = 50


def paginate(request, queryset, *, per_page: int = PAGE_SIZE):
    """One page (at most `per_page` rows) of `queryset`; a bad ?page= gives the last/first."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def back(request, default: str):
    """Redirect to the page the form came from (a local `next`), else `default`."""
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = default
    return redirect(target)


def attempt(request, action, *, success: str) -> bool:
    """Run `action` (a look-up plus one service call); a refusal becomes a page message.

    Services are atomic, so a refusal leaves nothing half-written. True when it succeeded.
    """
    try:
        action()
    except DomainError as exc:
        feedback.report(request, exc)
        return False
    messages.success(request, success)
    return True


def form_page(request, form, template: str, *, submit, success: str, done: str,
              context: dict | None = None):
    """GET shows the form; a valid POST calls `submit(cleaned_data)` (one service) and goes
    to `done`; an invalid form (400) or a refusal (the error's status) shows the form again
    with the errors on it."""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                submit(form.cleaned_data)
            except DomainError as exc:
                feedback.report(request, exc, form)
                status = exc.status
            else:
                messages.success(request, success)
                return redirect(done)
        else:
            status = 400
    return render(request, template, {"form": form, **(context or {})}, status=status)
