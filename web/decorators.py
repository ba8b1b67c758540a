"""Who may open a page: signed in, the right role and, for members, an active organisation.

The same rule as the API's `accounts.permissions.role_required`: a visitor is sent to the
sign-in page, another role gets 403, and a member of a pending, suspended or blacklisted
organisation sees a notice (403) instead of the action.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from accounts.models import MEMBER_ROLES
from accounts.permissions import ensure_active_member
from core.errors import DomainError


def member_refusal(user) -> DomainError | None:
    """Why this member may not act now (None for staff and members of active orgs)."""
    if user.role not in MEMBER_ROLES:
        return None
    try:
        ensure_active_member(user)
    except DomainError as exc:
        return exc
    return None


def role_required(*roles: str, active_member: bool = True):
    """View decorator: login_required + one of `roles` (+ an active organisation for members
    unless `active_member=False`, for pages that only read)."""
    allowed = frozenset(roles)

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if user.role not in allowed:
                raise PermissionDenied
            if active_member and member_refusal(user) is not None:
                return render(request, "web/inactive.html", status=403)
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator
