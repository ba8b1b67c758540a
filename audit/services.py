"""Writing and verifying the audit trail.

`audit_record` must be called inside the service's own transaction, ideally as its last
step: it locks its lane's chain head until commit, so calling it last keeps that lock
short.

Lanes (ADR 0008): the trail is AUDIT_LANES independent hash chains. On PostgreSQL an
event's lane is `txid_current() % AUDIT_LANES`, chosen in SQL: every event of a
transaction goes to the same lane, so a transaction locks one head row only (no lock
order between lanes, no deadlock), and concurrent transactions rarely share a head
(consecutive transaction ids map to different lanes). On SQLite, one writer at a time,
everything is lane 0.

How an event is appended:

- PostgreSQL: one statement, one round trip. Python builds the canonical text of the
  event up to its `prev_hash` (audit.chain.hash_prefix); a data-modifying CTE updates the
  lane's head row (which locks it until commit, as SELECT ... FOR UPDATE did), finishing
  and hashing that text with the head's hash and next sequence number in SQL, and inserts
  the event from the UPDATE's RETURNING row. The statement is prepared and bound on the
  server, like the ledger's (LEDGER_PREPARED_STATEMENTS = False switches preparing off).
- SQLite: the ORM, three in-process queries (lock and read the head, insert, update it).

Either way the hash is audit.chain's, which `audit_verify` recomputes.
"""

import contextlib
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction

from audit.chain import AUDIT_LANES, GENESIS_HASH, canonical, event_hash, hash_prefix
from audit.models import AuditChainHead, AuditEvent
from core import rows
from core.snapshot import one_snapshot


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
                 after=None, writes: Sequence[rows.Update] = (),
                 part: rows.Part | None = None) -> AuditEvent:
    """Append one event. `actor` is a user, a label such as 'system', or None.

    `writes`: the changes the event records (`core.rows.Update`s), made in the same
    statement on PostgreSQL (one round trip for both: every claim action ends with one),
    just before the append elsewhere.
    `part`: other work for the same statement (a `core.rows.Part`, e.g. the ledger's
    deferred posting), run first; a part that has already run (`pending` False, always so
    off PostgreSQL) is left out.
    """
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
        return _pg_append(fields, writes, part)
    if part is not None and part.pending:
        part.run()
    for write in writes:
        write.run()
    return _orm_append(fields)


@dataclass(frozen=True)
class Change:
    """One event of `audit_record_many`: what changed, before and after."""

    action: str
    object_type: str
    object_id: object
    before: object = None
    after: object = None


# savepoint=False: as audit_record, the events belong to the caller's transaction.
@transaction.atomic(savepoint=False)
def audit_record_many(*, actor, changes: Sequence[Change]) -> int:
    """Append one event per change, in order, in one INSERT: for set-based services (a
    payout batch moving 10,000 claims) where an `audit_record` per claim would be a round
    trip each. Same lane, same chain, same hash as `audit_record` (`audit_verify` cannot
    tell them apart); the lane's head stays locked until commit, so call it last."""
    if not changes:
        return 0
    actor_id, label = _actor_fields(actor)
    occurred_at = datetime.now(UTC)
    lane = _transaction_lane()
    head = AuditChainHead.objects.select_for_update().filter(lane=lane).first()
    if head is None:
        _ensure_heads()
        head = AuditChainHead.objects.select_for_update().get(lane=lane)
    seq, prev_hash, before_last = head.seq, head.hash, head.prev_hash
    events = []
    for change in changes:
        seq += 1
        fields = {
            "seq": seq, "occurred_at": occurred_at, "actor_id": actor_id, "actor": label,
            "action": change.action, "object_type": change.object_type,
            "object_id": str(change.object_id), "before": _stored(change.before),
            "after": _stored(change.after), "prev_hash": prev_hash,
        }
        fields["hash"] = event_hash(**fields)
        events.append(fields)
        before_last, prev_hash = prev_hash, fields["hash"]
    # ids are drawn in row order, so they rise with seq in the lane
    if connection.vendor == "postgresql":
        _pg_insert_many(lane, events)
    else:
        AuditEvent.objects.bulk_create([AuditEvent(lane=lane, **fields) for fields in events],
                                       batch_size=5000)
    AuditChainHead.objects.filter(pk=head.pk).update(seq=seq, hash=prev_hash,
                                                     prev_hash=before_last)
    return len(events)


# audit_record_many's events as one JSON document that PostgreSQL expands into rows, in
# order. bulk_create sent them as a dozen arrays: Django preparing every value and psycopg
# quoting every array element (a regular expression each) took ~1.5 s of 20,000 events.
_PG_INSERT_MANY = """
INSERT INTO audit_auditevent (lane, seq, occurred_at, actor_id, actor, action,
    object_type, object_id, before, after, prev_hash, hash)
SELECT %s, e.seq, e.occurred_at, e.actor_id, e.actor, e.action, e.object_type,
    e.object_id, e.before, e.after, e.prev_hash, e.hash
FROM ROWS FROM (jsonb_to_recordset(%s::jsonb) AS (seq bigint, occurred_at timestamptz,
    actor_id bigint, actor varchar, action varchar, object_type varchar,
    object_id varchar, before jsonb, after jsonb, prev_hash varchar, hash varchar))
    WITH ORDINALITY AS e(seq, occurred_at, actor_id, actor, action, object_type,
    object_id, before, after, prev_hash, hash, n)
ORDER BY e.n
"""


def _pg_insert_many(lane: int, events: list[dict], chunk: int = 5000) -> None:
    # JSON null in a jsonb column comes out as SQL NULL, as JSONField stores None.
    # In chunks: one document of 20,000 events held ~35 MB more at its peak.
    with connection.cursor() as cursor:
        for start in range(0, len(events), chunk):
            part = events[start:start + chunk]
            cursor.execute(_PG_INSERT_MANY,
                           [lane, json.dumps(part, ensure_ascii=False, default=_iso)])
            if cursor.rowcount != len(part):
                raise AssertionError(f"{cursor.rowcount} audit events of {len(part)} written")


def _iso(value) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    raise TypeError(f"{type(value).__name__} in an audit event's fields")


_JSON_SCALARS = (str, int, bool, type(None))


def _stored(value):
    """`canonical(value)`, skipping its JSON round trip for flat dicts of JSON scalars
    (nearly every settlement change): a tenth of a second per 10,000 events."""
    if isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, _JSON_SCALARS) for k, v in value.items()):
        return value
    return canonical(value)


def _ensure_heads() -> None:
    """Create the lanes' head rows; only after a test flush (migrations create them)."""
    AuditChainHead.objects.bulk_create(
        [AuditChainHead(id=lane + 1, lane=lane, seq=0, hash=GENESIS_HASH,
                        prev_hash=GENESIS_HASH)
         for lane in range(AUDIT_LANES)],
        ignore_conflicts=True,
    )


def _transaction_lane() -> int:
    """The lane of the current transaction: what _PG_APPEND picks; 0 on SQLite."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT mod(txid_current(), {AUDIT_LANES})")
        return cursor.fetchone()[0]


def _orm_append(fields: dict, *, lane: int | None = None) -> AuditEvent:
    """Append with the ORM: SQLite's path. `lane` forces a lane (tests only)."""
    if lane is None:
        lane = _transaction_lane()
    head = AuditChainHead.objects.select_for_update().filter(lane=lane).first()
    if head is None:
        _ensure_heads()
        head = AuditChainHead.objects.select_for_update().get(lane=lane)
    fields = {**fields, "seq": head.seq + 1, "prev_hash": head.hash}
    digest = event_hash(**fields)
    event = AuditEvent.objects.create(lane=lane, hash=digest, **fields)
    AuditChainHead.objects.filter(pk=head.pk).update(
        seq=fields["seq"], hash=digest, prev_hash=head.hash
    )
    return event


# The lane is the transaction id modulo AUDIT_LANES (txid_current() is stable within the
# transaction, so all its events share the lane and it only ever locks that head row).
# In an UPDATE's SET, every right-hand side sees the row as it was (the old seq and hash),
# and under READ COMMITTED a writer that waited for the row lock re-evaluates them against
# the row the previous writer committed. RETURNING gives the new row. The event's id is
# drawn when the INSERT runs, after the head's lock is held, so within a lane ids rise
# with seq (audit_verify checks it). A part's barrier in the head's WHERE clause runs the
# part's writes (and takes its row locks) before the head is locked, as if the part were
# its own statement before this one. The output row exists even when no head row was
# found (ev empty: its columns NULL), so the part's columns always come back.
_PG_APPEND = f"""
WITH {{part}}{{writes}}head AS (
    UPDATE audit_auditchainhead
    SET seq = seq + 1,
        prev_hash = hash,
        hash = encode(sha256(convert_to(
            %s::text || hash || '","seq":' || (seq + 1)::text || '}}}}', 'UTF8')), 'hex')
    WHERE lane = mod(txid_current(), {AUDIT_LANES}){{barrier}}
    RETURNING lane, seq, prev_hash, hash
), ev AS (
    INSERT INTO audit_auditevent (lane, seq, occurred_at, actor_id, actor, action,
        object_type, object_id, before, after, prev_hash, hash)
    SELECT head.lane, head.seq, %s::timestamptz, %s::bigint, %s::varchar, %s::varchar,
        %s::varchar, %s::varchar, %s::jsonb, %s::jsonb, head.prev_hash, head.hash
    FROM head
    RETURNING id, lane, seq, prev_hash, hash
)
SELECT ev.id, ev.lane, ev.seq, ev.prev_hash, ev.hash{{counts}}{{columns}}
FROM (SELECT 1) AS one LEFT JOIN ev ON true
"""  # noqa: S608  (constant SQL)


@functools.cache
def _pg_append_sql(write_sqls: tuple[str, ...],
                   part: tuple[str, str, str] | None = None) -> str:
    """_PG_APPEND, with each of `write_sqls` (UPDATEs) as a data-modifying CTE whose row
    count comes back after the event's columns, and a `core.rows.Part`'s (ctes, columns,
    barrier) first and its columns last. PostgreSQL runs such a CTE exactly once whether
    or not it is read. Compacted: with a part it is long (`rows.compact`)."""
    ctes = "".join(f"w{n} AS ({sql} RETURNING 1),\n" for n, sql in enumerate(write_sqls))
    counts = "".join(f", (SELECT count(*) FROM w{n})"  # noqa: S608  (our own SQL)
                     for n in range(len(write_sqls)))
    part_ctes, columns, barrier = part or ("", "", "")
    return rows.compact(_PG_APPEND.format(
        part=f"{part_ctes},\n" if part_ctes else "", writes=ctes,
        barrier=f" AND {barrier} IS NOT NULL" if barrier else "", counts=counts,
        columns=f", {columns}" if columns else "",
    ))


def _jsonb(value) -> str | None:
    # As JSONField stores it: Python None is SQL NULL, anything else its JSON text.
    return None if value is None else json.dumps(value)


def _pg_append(fields: dict, writes: Sequence[rows.Update] = (),
               part: rows.Part | None = None) -> AuditEvent:
    part = part if part is not None and part.pending else None
    params = [
        *(part.params if part else ()),
        *(param for write in writes for param in write.params),
        hash_prefix(**fields),
        fields["occurred_at"], fields["actor_id"], fields["actor"], fields["action"],
        fields["object_type"], fields["object_id"],
        _jsonb(fields["before"]), _jsonb(fields["after"]),
    ]
    sql = _pg_append_sql(tuple(write.sql for write in writes), part.shape if part else None)
    with part.errors() if part else contextlib.nullcontext():
        row = rows.fetchone_prepared(sql, params)
    event_id, lane, seq, prev_hash, digest, *rest = row
    counts = rest[:len(writes)]
    if part:
        part.finish(tuple(rest[len(writes):]))
    if event_id is None:  # no head row (after a test flush): nothing appended
        _ensure_heads()  # the part has run; the writes run again, to the same values
        return _pg_append(fields, writes)
    for write, count in zip(writes, counts, strict=True):
        write.check(count)
    return rows.written(AuditEvent, id=event_id, lane=lane, seq=seq, prev_hash=prev_hash,
                        hash=digest, **fields)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad: int | None  # an AuditEvent id
    reason: str = ""
    lane: int | None = None  # the lane of the finding reported


@dataclass
class _LaneWalk:
    """How far the walk has got in one lane."""

    lane: int
    seq: int = 0
    hash: str = GENESIS_HASH
    last_id: int | None = None
    broken: bool = False

    def fault(self, event: AuditEvent) -> str:
        """Why `event` cannot be the lane's next event ("" if it can)."""
        if event.seq != self.seq + 1:
            return f"sequence gap: expected {self.seq + 1}, found {event.seq}"
        if event.prev_hash != self.hash:
            return "link to the previous event is broken"
        if event.hash != event_hash(
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
            return "content does not match its hash"
        # Ids are drawn while the lane's head is locked, so they rise with seq in a lane;
        # this keeps the listing's (id) order of a lane's events tamper-evident too.
        if self.last_id is not None and event.id <= self.last_id:
            return "out of order: its id is not after the previous event's in its lane"
        return ""

    def advance(self, event: AuditEvent) -> None:
        self.seq, self.hash, self.last_id = event.seq, event.hash, event.id

    def tail_fault(self, head: AuditChainHead | None) -> str:
        """Compare the lane's head row with the last event walked ("" if they agree)."""
        if head is None:
            return "the lane has no head row" if self.seq else ""
        if head.seq > self.seq:
            return "events after the last one present were removed"
        if head.seq != self.seq or head.hash != self.hash:
            return "the lane's head does not match its last event"
        return ""


def audit_verify(*, chunk_size: int = 2000) -> ChainReport:
    """Walk every lane in `seq` order and report the bad event with the smallest id.

    In each lane: `seq` runs 1, 2, 3, ... without gaps, each event links to the previous
    one's hash (the first one to GENESIS), its hash matches its content, its id is larger
    than the previous one's, and the lane's head row holds the last event's seq and hash
    (so cutting off a lane's last events shows). A lane's walk stops at its first bad
    event (everything after it is suspect); the other lanes are still walked, and of the
    lanes' first findings the one with the smallest event id is reported, so `first_bad`
    does not depend on lane numbers. A finding past a lane's last event (its tail was cut,
    or its head disagrees) names that last event; a lane whose events are all gone names
    none (first_bad null, ok false). `checked` counts the events verified, bad ones
    included. Memory stays bounded: events are read in chunks.
    """
    findings: list[tuple[int | None, int, str]] = []  # (event id, lane, reason)
    checked = 0
    # the heads and the events in one snapshot: an append committed between reading
    # them would look like a lane whose head and events disagree
    with one_snapshot():
        heads = {head.lane: head for head in AuditChainHead.objects.all()}
        walk: _LaneWalk | None = None
        walked: set[int] = set()

        def close(walk: _LaneWalk) -> None:
            reason = "" if walk.broken else walk.tail_fault(heads.get(walk.lane))
            if reason:
                findings.append((walk.last_id, walk.lane, reason))

        events = AuditEvent.objects.order_by("lane", "seq").iterator(chunk_size=chunk_size)
        for event in events:
            if walk is None or event.lane != walk.lane:
                if walk is not None:
                    close(walk)
                walk = _LaneWalk(lane=event.lane)
                walked.add(event.lane)
            if walk.broken:
                continue
            checked += 1
            reason = walk.fault(event)
            if reason:
                findings.append((event.id, event.lane, reason))
                walk.broken = True
            else:
                walk.advance(event)
        if walk is not None:
            close(walk)
        for lane in sorted(heads):
            if lane not in walked:
                close(_LaneWalk(lane=lane))
    if not findings:
        return ChainReport(ok=True, checked=checked, first_bad=None)
    event_id, lane, reason = min(findings, key=lambda f: (f[0] is None, f[0] or 0, f[1]))
    return ChainReport(ok=False, checked=checked, first_bad=event_id, reason=reason, lane=lane)


