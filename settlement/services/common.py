"""What the settlement services share: moving many claims at once, closing batches.

Settlement moves claims by the thousand (a batch of 10,000 claims is sent in one request),
so claims change state in set-based UPDATEs and their audit events are appended with
`audit_record_many`, one event per claim as `change_status` would write it.
"""

from collections.abc import Iterable

from django.conf import settings
from django.db.models import QuerySet

from audit.services import Change
from core.errors import DomainError
from settlement.models import PaymentLine, PayoutBatch
from settlement.transitions import BATCH
from vouchers.models import Claim
from vouchers.services.common import now
from vouchers.transitions import CLAIM


def move_claims(claims: QuerySet[Claim], action: str, *, changes: list[Change],
                after: dict | None = None) -> int:
    """Move every claim of `claims` by `action` of the claim machine, in one UPDATE, and
    queue one audit event per claim. A claim in a state the action does not start from is
    `invalid_transition` (nothing moves)."""
    sources, target = CLAIM.transitions[action]
    found = list(claims.order_by("pk").values_list("pk", "public_id", "status"))
    for _, _, status in found:
        CLAIM.check(action, status)
    ids = [pk for pk, _, _ in found]
    moved = Claim.objects.filter(pk__in=ids, status__in=sources).update(status=target)
    if moved != len(ids):  # a claim moved under us between the read and the update
        raise DomainError("invalid_transition",
                          f"{len(ids) - moved} claims changed state meanwhile; try again.")
    changes.extend(
        Change(action=f"claim.{action}", object_type=CLAIM.entity, object_id=public_id,
               before={"status": status}, after={"status": target, **(after or {})})
        for _, public_id, status in found
    )
    return moved


def close_finished_batches(batch_ids: Iterable[int], *, changes: list[Change]) -> None:
    """A sent batch whose every line has an outcome is settled (all paid) or partly_failed.

    The batches are locked (in id order, after the caller's payment lines) before their
    lines are counted, so two imports finishing lines of one batch cannot both miss the
    last one."""
    batches = PayoutBatch.objects.select_for_update(no_key=True).filter(
        pk__in=set(batch_ids), status=PayoutBatch.Status.SENT).order_by("pk")
    for batch in batches:
        statuses = set(batch.lines.values_list("status", flat=True))
        if statuses & {PaymentLine.Status.PENDING, PaymentLine.Status.SENT}:
            continue
        action = "settle" if statuses == {PaymentLine.Status.SETTLED} else "fail_partly"
        before = batch.status
        batch.status = BATCH.target(action, before)
        batch.closed_at = now()
        batch.save(update_fields=["status", "closed_at"])
        changes.append(Change(action=f"{BATCH.entity}.{action}", object_type=BATCH.entity,
                              object_id=batch.public_id, before={"status": before},
                              after={"status": batch.status}))


def due_days() -> int:
    return settings.SETTLEMENT_DUE_DAYS
