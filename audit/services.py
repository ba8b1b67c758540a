"""Writing and verifying the audit trail.

`audit_record` must be called inside the service's own transaction, ideally as its last
step: it locks the chain head, so calling it last keeps that lock short.

How an event is appended (ADR 0008):

- PostgreSQL: one statement, one round trip. Python builds the canonical text of the
  event up to its `prev_hash` (audit.chain.hash_prefix); a data-modifying CTE updates the
  head row (which locks it until commit, as SELECT ... FOR UPDATE did), finishing and
  hashing that text with the head's hash and next sequence number in SQL, and inserts the
  event from the UPDATE's RETURNING row. The statement is prepared and bound on the
  server, like the ledger's (LEDGER_PREPARED_STATEMENTS = False switches preparing off).
- SQLite: the ORM, three in-process queries (lock and read the head, insert, update it).

Either way the hash is audit.chain's, which `audit_verify` recomputes.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection, transaction

from audit.chain import GENESIS_HASH, canonical, event_hash, hash_prefix
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
    actor_id, actor_label = _actor_fields(actor)
    fields = {
        "occurred_at": datetime.now(UTC),
        "actor_id": actor_id,
        "actor": actor_label,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "before": canonical(before),
        "after": canonical(after),
    }
    if connection.vendor == "postgresql":
        return _pg_append(fields)
    return _orm_append(fields)


def _ensure_head() -> None:
    """Create the head row; only after a test flush (migration 0002 creates it)."""
    AuditChainHead.objects.get_or_create(
        pk=1, defaults={"seq": 0, "hash": GENESIS_HASH, "prev_hash": GENESIS_HASH}
    )


def _orm_append(fields: dict) -> AuditEvent:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        _ensure_head()
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    fields = {**fields, "seq": head.seq + 1, "prev_hash": head.hash}
    digest = event_hash(**fields)
    event = AuditEvent.objects.create(hash=digest, **fields)
    AuditChainHead.objects.filter(pk=1).update(
        seq=fields["seq"], hash=digest, prev_hash=head.hash
    )
    return event


# In an UPDATE's SET, every right-hand side sees the row as it was (the old seq and hash),
# and under READ COMMITTED a writer that waited for the row lock re-evaluates them against
# the row the previous writer committed. RETURNING gives the new row.
_PG_APPEND = """
WITH head AS (
    UPDATE audit_auditchainhead
    SET seq = seq + 1,
        prev_hash = hash,
        hash = encode(sha256(convert_to(
            %s::text || hash || '","seq":' || (seq + 1)::text || '}', 'UTF8')), 'hex')
    WHERE id = 1
    RETURNING seq, prev_hash, hash
)
INSERT INTO audit_auditevent (seq, occurred_at, actor_id, actor, action, object_type,
    object_id, before, after, prev_hash, hash)
SELECT head.seq, %s::timestamptz, %s::bigint, %s::varchar, %s::varchar, %s::varchar,
    %s::varchar, %s::jsonb, %s::jsonb, head.prev_hash, head.hash
FROM head
RETURNING id, seq, prev_hash, hash
"""


def _jsonb(value) -> str | None:
    # As JSONField stores it: Python None is SQL NULL, anything else its JSON text.
    return None if value is None else json.dumps(value)


def _pg_append(fields: dict) -> AuditEvent:
    params = [
        hash_prefix(**fields),
        fields["occurred_at"], fields["actor_id"], fields["actor"], fields["action"],
        fields["object_type"], fields["object_id"],
        _jsonb(fields["before"]), _jsonb(fields["after"]),
    ]
    row = _pg_fetchone(_PG_APPEND, params)
    if row is None:  # no head row to update
        _ensure_head()
        row = _pg_fetchone(_PG_APPEND, params)
    event_id, seq, prev_hash, digest = row
    event = AuditEvent(id=event_id, seq=seq, prev_hash=prev_hash, hash=digest, **fields)
    event._state.adding = False
    event._state.db = connection.alias
    return event


_NEVER_AUTOMATICALLY = 2**31 - 1


def _pg_fetchone(sql: str, params: list):
    """Execute with a server-side-bound, prepared psycopg cursor on Django's connection.

    As ledger.services does for its hot path (and honouring the same setting,
    LEDGER_PREPARED_STATEMENTS, for poolers that cannot keep prepared statements).
    Errors are wrapped as Django's database errors, as Django's cursors do.
    """
    import psycopg

    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    prepare = bool(getattr(settings, "LEDGER_PREPARED_STATEMENTS", True))
    raw = connection.connection
    if prepare and raw.prepare_threshold is None:
        # Django switches psycopg's automatic preparing off; prepare only when asked.
        raw.prepare_threshold = _NEVER_AUTOMATICALLY
    with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        cursor.execute(sql, params, prepare=prepare)
        return cursor.fetchone()


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
