"""Writing and verifying the audit trail.

`audit_record` must be called inside the service's own transaction, ideally as its last
step: it locks the chain head, so calling it last keeps that lock short.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction

from audit.chain import GENESIS_HASH, canonical, event_hash
from audit.models import AuditChainHead, AuditEvent


def _actor_fields(actor) -> tuple[int | None, str]:
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, actor
    return actor.pk, actor.get_username()


# savepoint=False: the event belongs to the caller's transaction; a savepoint per event
# would cost two round trips and protect nothing (a failed append fails the whole change).
@transaction.atomic(savepoint=False)
def audit_record(*, actor, action: str, object_type: str, object_id, before=None,
                 after=None) -> AuditEvent:
    """Append one event. `actor` is a user, a label such as 'system', or None."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:  # only after a test flush; the migration creates the row
        AuditChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS_HASH})
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    actor_id, actor_label = _actor_fields(actor)
    fields = {
        "seq": head.seq + 1,
        "occurred_at": datetime.now(UTC),
        "actor_id": actor_id,
        "actor": actor_label,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "before": canonical(before),
        "after": canonical(after),
        "prev_hash": head.hash,
    }
    digest = event_hash(**fields)
    event = AuditEvent.objects.create(hash=digest, **fields)
    AuditChainHead.objects.filter(pk=1).update(seq=fields["seq"], hash=digest)
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad: int | None
    reason: str = ""


def audit_verify(*, chunk_size: int = 2000) -> ChainReport:
    """Walk the chain in order; report the first event whose hash or link is wrong."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=chunk_size):
        checked += 1
        reason = ""
        if event.seq != expected_seq:
            reason = f"sequence gap: expected {expected_seq}, found {event.seq}"
        elif event.prev_hash != expected_prev:
            reason = "link to the previous event is broken"
        elif event.hash != event_hash(
            seq=event.seq,
            occurred_at=event.occurred_at.astimezone(UTC),
            actor_id=event.actor_id,
            actor=event.actor,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            before=event.before,
            after=event.after,
            prev_hash=event.prev_hash,
        ):
            reason = "content does not match its hash"
        if reason:
            return ChainReport(ok=False, checked=checked, first_bad=event.seq, reason=reason)
        expected_prev = event.hash
        expected_seq += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != checked or head.hash != expected_prev):
        return ChainReport(
            ok=False, checked=checked, first_bad=checked + 1 if head.seq > checked else checked,
            reason="events after the last one present were removed",
        )
    return ChainReport(ok=True, checked=checked, first_bad=None)
