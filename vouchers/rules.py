"""Small rules the services share: who may take part, regions, four eyes, the calendar."""

from datetime import date

from django.utils import timezone

from accounts.models import Organization
from core.errors import DomainError


def today() -> date:
    """The programme calendar's today (Asia/Shanghai, settings.TIME_ZONE)."""
    return timezone.localdate()


def ensure_organization_active(organization: Organization, *, role: str = "organisation") -> None:
    """Only active organisations take part (SPEC §3); blacklisted ones get `blacklisted`."""
    if organization.status == Organization.Status.BLACKLISTED:
        raise DomainError(
            "blacklisted", f"The {role} {organization.name} is blacklisted (科研失信)."
        )
    if organization.status != Organization.Status.ACTIVE:
        raise DomainError(
            "organization_not_active",
            f"The {role} {organization.name} is {organization.status}, not active.",
        )


def ensure_not_own_organization(reviewer, organization: Organization | None) -> None:
    """Four eyes: a reviewer cannot decide on an organisation they belong to."""
    if (
        organization is not None
        and reviewer is not None
        and getattr(reviewer, "organization_id", None) is not None
        and reviewer.organization_id == organization.pk
    ):
        raise DomainError(
            "four_eyes_required",
            "A reviewer cannot decide on an organisation they belong to; ask another reviewer.",
        )


def ensure_not_same_person(reviewer, other_user_id: int | None, *, what: str) -> None:
    """Four eyes: the person who decides is not the one who asked (compared by user id)."""
    reviewer_id = getattr(reviewer, "pk", None)
    if reviewer_id is not None and other_user_id is not None and reviewer_id == other_user_id:
        raise DomainError("four_eyes_required", f"You cannot decide on {what} you submitted.")


def region_prefix(region_code: str) -> str:
    """GB/T 2260 codes nest: '430100' (Changsha) covers '4301xx', '430000' covers '43xxxx'."""
    prefix = region_code
    while prefix.endswith("00") and len(prefix) > 2:
        prefix = prefix[:-2]
    return prefix


def region_covers(area: str, region_code: str) -> bool:
    return bool(area) and region_code.startswith(region_prefix(area))
