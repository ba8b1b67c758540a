"""Role permissions every endpoint reuses.

`role_required(...)` builds a DRF permission class for a set of roles. Members of an
organisation (enterprise, provider) are also required to belong to an *active*
organisation: a pending or suspended one is refused with `organization_not_active`,
a blacklisted one with `blacklisted` (SPEC §3: only active organisations take part).
"""

from rest_framework.permissions import BasePermission

from accounts.models import MEMBER_ROLES, Organization, Role
from core.errors import DomainError


def ensure_active_member(user) -> None:
    """Raise the domain error that explains why this member may not act."""
    organization = user.organization
    if organization is None:
        raise DomainError("permission_denied", "This account has no organisation.")
    if organization.status == Organization.Status.BLACKLISTED:
        raise DomainError("blacklisted", "The organisation is blacklisted (科研失信).")
    if organization.status != Organization.Status.ACTIVE:
        raise DomainError(
            "organization_not_active",
            f"The organisation is {organization.status}; it must be approved first.",
        )


def role_required(*roles: str, active_member: bool = True) -> type[BasePermission]:
    """Permission class: the user has one of `roles`; members must be in an active org."""
    allowed = frozenset(roles)

    class RoleRequired(BasePermission):
        message = "Your role may not do this."

        def has_permission(self, request, view) -> bool:
            user = request.user
            if not (user and user.is_authenticated):
                return False
            if user.role not in allowed:
                return False
            if active_member and user.role in MEMBER_ROLES:
                ensure_active_member(user)
            return True

    RoleRequired.__name__ = "RoleRequired_" + "_".join(sorted(allowed))
    return RoleRequired


IsReviewer = role_required(Role.REVIEWER)
IsFinance = role_required(Role.FINANCE)
IsAuditor = role_required(Role.AUDITOR)
IsEnterprise = role_required(Role.ENTERPRISE)
IsProvider = role_required(Role.PROVIDER)
IsStaff = role_required(Role.REVIEWER, Role.FINANCE, Role.AUDITOR, Role.ADMIN)
IsFinanceOrAuditor = role_required(Role.FINANCE, Role.AUDITOR)
