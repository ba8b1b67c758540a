"""Blacklisting (科研失信): the organisation's status changes and, in the same transaction,
its open claims are frozen for review.

"Open" means not yet paid and not finished: pending confirmation, confirmed, approved,
payment failed (a claim already at the bank, in payment, cannot be stopped from here).
A frozen claim cannot be confirmed, approved or (next issue) put into a payout batch; it
can still be rejected, refused or withdrawn, which releases its hold. A reviewer may
unfreeze it once neither party is blacklisted (claims.claim_unfreeze).
"""

from django.db import transaction
from django.db.models import Q

from accounts import services as accounts_services
from accounts.models import Organization
from audit.services import audit_record
from vouchers.models import Claim
from vouchers.services.common import clean_reason
from vouchers.transitions import CLAIM, FREEZABLE_CLAIM_STATES


def claims_freeze_for_organization(*, organization: Organization, reason: str, actor) -> int:
    """Freeze the organisation's open claims (as provider or as voucher holder)."""
    claims = list(
        Claim.objects.select_for_update(no_key=True)
        .filter(Q(provider=organization) | Q(enterprise=organization),
                status__in=FREEZABLE_CLAIM_STATES, frozen=False)
        .order_by("pk")
    )
    frozen_reason = f"organisation {organization.uscc} blacklisted: {reason}"[:500]
    for claim in claims:
        claim.frozen, claim.frozen_reason = True, frozen_reason
    Claim.objects.bulk_update(claims, ["frozen", "frozen_reason"])
    for claim in claims:
        audit_record(actor=actor, action="claim.freeze", object_type=CLAIM.entity,
                     object_id=claim.public_id, before={"frozen": False},
                     after={"frozen": True, "frozen_reason": frozen_reason,
                            "status": claim.status})
    return len(claims)


@transaction.atomic
def organization_blacklist(*, organization: Organization, reason: str, actor
                           ) -> tuple[Organization, int]:
    """Blacklist the organisation and freeze its open claims; returns (org, claims frozen)."""
    reason = clean_reason(reason, required=True)
    organization = accounts_services.organization_blacklist(
        organization=organization, reason=reason, actor=actor
    )
    return organization, claims_freeze_for_organization(
        organization=organization, reason=reason, actor=actor
    )
