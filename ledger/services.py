"""Writes to the ledger.

Every write is idempotent on `key`: the same key with the same request returns the journal
already written and changes nothing; the same key with a different request raises
`IdempotencyConflict`. Every write runs in `transaction.atomic()` (a savepoint when the
caller already holds a transaction), so a refusal leaves nothing behind and the caller's
own state change and the ledger posting commit together.

How a write happens (docs/ledger.md has the full story):

1. Python validates the request (legs, amounts, balance, resolution rules) and computes
   the request digest and the change of each account's four counters.
2. The database applies it. Each touched account changes in exactly one UPDATE whose WHERE
   clause re-checks the limit flags against the row as locked, accounts taken in ascending
   id order (no deadlocks, no read-decide-write in Python, READ COMMITTED is enough). If
   an UPDATE matches no row, the limit would be breached: `LimitExceeded`.
   - PostgreSQL: one statement (a prepared, server-side-bound CTE) inserts the journals
     (ON CONFLICT DO NOTHING absorbs a concurrent replay of the key and, for a resolution
     or reversal, a second resolution or reversal), inserts their entries, sums the entries
     it inserted per account, locks those accounts in id order (a CTE with ORDER BY id FOR
     UPDATE), updates each once with the limit flags in the WHERE clause, and raises
     (SQLSTATE LE001) if an account's UPDATE matched nothing. A top-level `journal_post`,
     `transfer`, `batch_post`, `pending_post` or `pending_void` runs that statement on its
     own in autocommit mode: one round trip, and PostgreSQL commits or rolls back the whole
     statement. Nested in the caller's transaction, it runs inside a savepoint. A hold's
     resolution reads the hold in that same statement (`_PG_RESOLVE`); why it wrote
     nothing (a replay, a hold already resolved, a request the hold cannot take) is worked
     out afterwards, and only then.
   - SQLite (one writer at a time): the same UPDATEs from Python, then the entries, then
     the journal row, whose insert trigger seals it (see migration 0002).
3. A database refusal of an invariant (CHECK constraint, trigger) is a bug: logged at
   CRITICAL and raised as `LedgerInvariantBroken`, never as a `LedgerError`.
"""

import contextlib
import functools
import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, TypeVar

from django.db import (
    DatabaseError,
    IntegrityError,
    OperationalError,
    connection,
    transaction,
)
from django.db.models import Max
from django.utils import timezone

from core import rows
from core.money import MAX_FEN
from ledger.errors import (
    AlreadyReversed,
    IdempotencyConflict,
    InvalidJournal,
    LedgerInvariantBroken,
    LimitExceeded,
    PendingAlreadyResolved,
)
from ledger.models import Account, Entry, Journal, Resolution, Side

logger = logging.getLogger("ledger")

SIDES = (Side.DEBIT.value, Side.CREDIT.value)
MAX_KEY_LENGTH = 255
MAX_KIND_LENGTH = 64
MAX_ACTOR_LENGTH = 150
#: a top-level call retries this many times on a deadlock / serialization failure
TRANSIENT_RETRIES = 3

T = TypeVar("T")


@dataclass(frozen=True)
class Leg:
    account: Account | int
    side: Literal["debit", "credit"]
    amount: int


@dataclass(frozen=True)
class JournalSpec:
    key: str
    kind: str
    legs: list[Leg]
    pending: bool = False
    effective_date: date | None = None
    actor: str = ""
    memo: str = ""
    metadata: dict | None = None


# --------------------------------------------------------------------------- accounts


def account_open(
    *,
    code: str,
    normal_side: str,
    owner_ref: str = "",
    name: str = "",
    debits_must_not_exceed_credits: bool = False,
    credits_must_not_exceed_debits: bool = False,
) -> Account:
    """Open an account, or return the one with this code if it has the same settings.

    Idempotent on `code`. A different normal side, owner or limit flag for an existing
    code raises `IdempotencyConflict` (the name is informative and not compared).
    """
    if not isinstance(code, str) or not code or len(code) > 200:
        raise InvalidJournal("an account code is a non-empty string of at most 200 characters")
    if normal_side not in SIDES:
        raise InvalidJournal(f"normal_side must be 'debit' or 'credit', not {normal_side!r}")
    if debits_must_not_exceed_credits and credits_must_not_exceed_debits:
        raise InvalidJournal("an account takes at most one of the two limit flags")
    wanted = {
        "normal_side": normal_side,
        "owner_ref": owner_ref,
        "debits_must_not_exceed_credits": bool(debits_must_not_exceed_credits),
        "credits_must_not_exceed_debits": bool(credits_must_not_exceed_debits),
    }
    account = Account(code=code, name=name, **wanted)
    # One statement (no savepoint, no read first): a new code is inserted; an existing one
    # is left alone and read back to compare.
    with connection.cursor() as cursor:
        cursor.execute(_OPEN_ACCOUNT_SQL, [
            _db_value(account, "public_id"), code, name, owner_ref, account.currency,
            normal_side, account.debits_must_not_exceed_credits,
            account.credits_must_not_exceed_debits, _db_value(account, "created_at"),
        ])
        row = cursor.fetchone()
    if row is not None:
        account.pk = row[0]
        account._state.adding = False
        account._state.db = connection.alias
        return account
    account = Account.objects.get(code=code)
    if any(getattr(account, f) != v for f, v in wanted.items()):
        raise IdempotencyConflict(f"account:{code}")
    return account


def _db_value(instance, name: str):
    field = instance._meta.get_field(name)
    return field.get_db_prep_value(getattr(instance, name), connection, prepared=False)


_OPEN_ACCOUNT_SQL = """
INSERT INTO ledger_account (public_id, code, name, owner_ref, currency, normal_side,
    debits_must_not_exceed_credits, credits_must_not_exceed_debits, debits_posted,
    credits_posted, debits_pending, credits_pending, version, created_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0, 0, 0, 0, 0, %s)
ON CONFLICT (code) DO NOTHING
RETURNING id
"""


# --------------------------------------------------------------------------- journals


def journal_post(
    *,
    key: str,
    kind: str,
    legs: list[Leg],
    pending: bool = False,
    effective_date: date | None = None,
    actor: str = "",
    memo: str = "",
    metadata: dict | None = None,
    savepoint: bool = True,
    defer: bool = False,
) -> Journal:
    """Post a journal of two or more legs (debits = credits), or hold it if `pending`.

    `savepoint=False` (inside the caller's transaction): see `_run`.
    `defer=True` (with `savepoint=False`): a `DeferredWrite` instead of the journal.
    """
    plan = _plan_post(
        JournalSpec(key, kind, legs, pending, effective_date, actor, memo, metadata)
    )
    if defer and _deferrable(savepoint):
        ctes, columns = _pg_write_one_parts(len(plan.entries), _links(plan))
        return DeferredWrite(plan, ctes, columns, _pg_write_one_params(plan),
                             outcome=lambda values: _deferred_post_outcome(plan, values))
    journal = _run(lambda: _write_one(plan), single_statement=True, savepoint=savepoint)
    return DeferredWrite.written(journal) if defer else journal


def transfer(
    *,
    key: str,
    debit: Account | int,
    credit: Account | int,
    amount: int,
    kind: str,
    pending: bool = False,
    effective_date: date | None = None,
    actor: str = "",
    memo: str = "",
    metadata: dict | None = None,
    savepoint: bool = True,
    defer: bool = False,
) -> Journal:
    """Move `amount` fen: debit one account, credit another (a hold if `pending`)."""
    if _account_id(debit) == _account_id(credit):
        raise InvalidJournal("a transfer needs two different accounts")
    return journal_post(
        key=key,
        kind=kind,
        legs=[Leg(debit, "debit", amount), Leg(credit, "credit", amount)],
        pending=pending,
        effective_date=effective_date,
        actor=actor,
        memo=memo,
        metadata=metadata,
        savepoint=savepoint,
        defer=defer,
    )


def pending_post(
    *,
    key: str,
    pending: Journal | int,
    amount: int | None = None,
    actor: str = "",
    memo: str = "",
    metadata: dict | None = None,
    effective_date: date | None = None,
    kind: str | None = None,
    savepoint: bool = True,
    defer: bool = False,
) -> Journal:
    """Post a hold, fully (`amount=None`) or partially; the rest of the hold is released.

    A partial post needs a two-leg hold (one debit, one credit). `kind` defaults to the
    hold's kind; `effective_date` to today (never before the hold's date).
    """
    return _resolve(
        key=key, pending=pending, resolution=Resolution.POST, amount=amount, actor=actor,
        memo=memo, metadata=metadata, effective_date=effective_date, kind=kind,
        savepoint=savepoint, defer=defer,
    )


def pending_void(
    *,
    key: str,
    pending: Journal | int,
    actor: str = "",
    memo: str = "",
    metadata: dict | None = None,
    effective_date: date | None = None,
    kind: str | None = None,
    savepoint: bool = True,
    defer: bool = False,
) -> Journal:
    """Release a hold entirely; nothing is posted."""
    return _resolve(
        key=key, pending=pending, resolution=Resolution.VOID, amount=None, actor=actor,
        memo=memo, metadata=metadata, effective_date=effective_date, kind=kind,
        savepoint=savepoint, defer=defer,
    )


def journal_reverse(
    *,
    key: str,
    journal: Journal | int,
    actor: str = "",
    memo: str = "",
    metadata: dict | None = None,
    effective_date: date | None = None,
    kind: str | None = None,
) -> Journal:
    """Post the mirror image of a journal's posted entries (sides swapped). Once per journal.

    A hold cannot be reversed (void it); a void posted nothing to reverse. The reversal
    must itself respect the limit flags (reversing spent money can overdraw).
    """
    original_id = _journal_id(journal)
    _check_header(key, kind or "reversal", actor, memo)
    metadata = _check_metadata(metadata)
    _check_date(effective_date)
    digest = _digest(
        "reverse", journal=original_id, kind=kind, actor=actor, memo=memo, metadata=metadata,
        effective_date=effective_date,
    )

    def write() -> Journal:
        existing = _replay(key, digest)
        if existing is not None:
            return existing
        original = Journal.objects.filter(pk=original_id).first()
        if original is None:
            raise InvalidJournal(f"no journal with id {original_id}")
        if original.pending:
            raise InvalidJournal(f"journal {original_id} is a hold: void it instead")
        if Journal.objects.filter(reverses_id=original_id).exists():
            raise AlreadyReversed(original_id)
        posted = list(
            original.entries.filter(pending=False).values_list("account_id", "side", "amount")
        )
        if not posted:
            raise InvalidJournal(f"journal {original_id} posted nothing to reverse")
        plan = _Plan(
            key=key,
            digest=digest,
            kind=kind or original.kind,
            effective_date=_date_not_before(effective_date, original.effective_date),
            actor=actor,
            memo=memo,
            metadata=metadata,
            reverses_id=original_id,
            entries=[(a, _other(s), amt, False, False) for a, s, amt in posted],
        )
        return _write_one(plan)

    return _run(write)


def batch_post(specs: list[JournalSpec]) -> list[Journal]:
    """Post many journals in one transaction, all or nothing; returns them in order.

    Limit flags are checked against the net effect of the whole batch on each account.
    Keys already used by the same request are returned as they are (a retried batch
    changes nothing); a key used for a different request refuses the whole batch.
    """
    plans = [_plan_post(spec) for spec in specs]
    if not plans:
        return []
    keys = [p.key for p in plans]
    if len(set(keys)) != len(keys):
        raise InvalidJournal("a batch uses the same idempotency key twice")
    return _run(lambda: _write_many(plans), single_statement=True)


@dataclass(frozen=True)
class HoldResolution:
    """One hold to post or void in `batch_resolve` (the arguments of pending_post /
    pending_void)."""

    key: str
    pending: Journal | int
    resolution: Literal["post", "void"]
    amount: int | None = None
    actor: str = ""
    memo: str = ""
    metadata: dict | None = None
    effective_date: date | None = None
    kind: str | None = None


def batch_resolve(specs: list[HoldResolution]) -> list[Journal]:
    """Post or void many holds in one statement, all or nothing; returns the journals in
    order. Each is what `pending_post` / `pending_void` would write for the same arguments
    (the same digest: a later single call with the same key is a replay). A hold already
    resolved under another key refuses the whole batch with `PendingAlreadyResolved`."""
    if not specs:
        return []
    keys = [spec.key for spec in specs]
    if len(set(keys)) != len(keys):
        raise InvalidJournal("a batch uses the same idempotency key twice")
    pending_ids = [_journal_id(spec.pending) for spec in specs]
    holds: dict[int, tuple] = {}
    for journal_id, is_hold, kind, on, account_id, side, amount in (
        Entry.objects.filter(journal_id__in=set(pending_ids))
        .order_by("journal_id", "id")
        .values_list("journal_id", "journal__pending", "journal__kind",
                     "journal__effective_date", "account_id", "side", "amount")
    ):
        hold = holds.setdefault(journal_id, (is_hold, kind, on, []))
        hold[3].append((account_id, side, amount))
    plans = [_plan_resolution(spec, pending_id, holds.get(pending_id))
             for spec, pending_id in zip(specs, pending_ids, strict=True)]
    return _run(lambda: _write_many(plans), single_statement=True)


def _plan_resolution(spec: HoldResolution, pending_id: int, hold: tuple | None) -> "_Plan":
    if spec.resolution not in (Resolution.POST, Resolution.VOID):
        raise InvalidJournal(f"a resolution is 'post' or 'void', not {spec.resolution!r}")
    _check_header(spec.key, spec.kind or "resolution", spec.actor, spec.memo)
    metadata = _check_metadata(spec.metadata)
    _check_date(spec.effective_date)
    if spec.amount is not None:
        _check_amount(spec.amount)
    digest = _digest(
        f"pending_{spec.resolution}", pending=pending_id, amount=spec.amount, kind=spec.kind,
        actor=spec.actor, memo=spec.memo, metadata=metadata,
        effective_date=spec.effective_date,
    )
    if hold is None:
        raise InvalidJournal(f"no journal with id {pending_id}")
    is_hold, hold_kind, hold_date, held = hold
    if not is_hold:
        raise InvalidJournal(f"journal {pending_id} is not pending")
    entries = [(a, s, amt, True, True) for a, s, amt in held]
    if spec.resolution == Resolution.POST:
        entries += _posted_part(pending_id, held, spec.amount)
    return _Plan(
        key=spec.key, digest=digest, kind=spec.kind or hold_kind,
        effective_date=_date_not_before(spec.effective_date, hold_date), actor=spec.actor,
        memo=spec.memo, metadata=metadata, entries=entries, resolves_id=pending_id,
        resolution=spec.resolution,
    )


# --------------------------------------------------------------------------- planning


@dataclass
class _Plan:
    """A journal ready to write: header, entries and the digest of the request."""

    key: str
    digest: str
    kind: str
    effective_date: date
    actor: str
    memo: str
    metadata: dict
    #: (account_id, side, amount, pending, release)
    entries: list[tuple[int, str, int, bool, bool]]
    pending: bool = False
    resolves_id: int | None = None
    resolution: str = ""
    reverses_id: int | None = None
    public_id: uuid.UUID = field(default_factory=uuid.uuid4)
    created_at: datetime = field(default_factory=timezone.now)

    def add_deltas(self, deltas: dict[int, list[int]]) -> None:
        """Add this journal's change of [debits_posted, credits_posted, debits_pending,
        credits_pending] per account into `deltas`."""
        for account_id, side, amount, pending, release in self.entries:
            counters = deltas.setdefault(account_id, [0, 0, 0, 0])
            index = (0 if side == "debit" else 1) + (2 if pending else 0)
            counters[index] += -amount if release else amount

    def journal(self, journal_id: int) -> Journal:
        """The Journal instance as written, without reading it back."""
        return rows.written(
            Journal,
            id=journal_id,
            public_id=self.public_id,
            idempotency_key=self.key,
            request_digest=self.digest,
            kind=self.kind,
            effective_date=self.effective_date,
            actor=self.actor,
            memo=self.memo,
            metadata=self.metadata,
            pending=self.pending,
            resolves_id=self.resolves_id,
            resolution=self.resolution,
            reverses_id=self.reverses_id,
            created_at=self.created_at,
        )


def _plan_post(spec: JournalSpec) -> _Plan:
    _check_header(spec.key, spec.kind, spec.actor, spec.memo)
    metadata = _check_metadata(spec.metadata)
    _check_date(spec.effective_date)
    if not isinstance(spec.legs, list | tuple) or len(spec.legs) < 2:
        raise InvalidJournal("a journal needs at least two legs")
    pending = bool(spec.pending)
    entries = []
    totals = {"debit": 0, "credit": 0}
    for leg in spec.legs:
        if not isinstance(leg, Leg):
            raise InvalidJournal(f"legs must be Leg objects, not {type(leg).__name__}")
        if leg.side not in SIDES:
            raise InvalidJournal(f"a leg's side is 'debit' or 'credit', not {leg.side!r}")
        _check_amount(leg.amount)
        account_id = _account_id(leg.account)
        entries.append((account_id, leg.side, leg.amount, pending, False))
        totals[leg.side] += leg.amount
    if totals["debit"] != totals["credit"]:
        raise InvalidJournal(
            f"unbalanced journal: debits {totals['debit']} fen, credits {totals['credit']} fen"
        )
    digest = _digest(
        "post",
        kind=spec.kind,
        legs=[[a, s, amt] for a, s, amt, _, _ in entries],
        pending=pending,
        effective_date=spec.effective_date,
        actor=spec.actor,
        memo=spec.memo,
        metadata=metadata,
    )
    return _Plan(
        key=spec.key,
        digest=digest,
        kind=spec.kind,
        effective_date=spec.effective_date or timezone.localdate(),
        actor=spec.actor,
        memo=spec.memo,
        metadata=metadata,
        entries=entries,
        pending=pending,
    )


def _resolve(*, key, pending, resolution, amount, actor, memo, metadata, effective_date,
             kind, savepoint=True, defer=False) -> Journal:
    pending_id = _journal_id(pending)
    _check_header(key, kind or "resolution", actor, memo)
    metadata = _check_metadata(metadata)
    _check_date(effective_date)
    if amount is not None:
        _check_amount(amount)
    digest = _digest(
        f"pending_{resolution}", pending=pending_id, amount=amount, kind=kind, actor=actor,
        memo=memo, metadata=metadata, effective_date=effective_date,
    )
    if defer and _deferrable(savepoint):
        plan, params = _pg_resolve_plan(
            key=key, digest=digest, pending_id=pending_id, resolution=resolution,
            amount=amount, actor=actor, memo=memo, metadata=metadata,
            effective_date=effective_date, kind=kind,
        )

        def outcome(values) -> Journal:
            journal = _resolution_outcome(plan, values, amount=amount,
                                          effective_date=effective_date)
            if journal.public_id != plan.public_id:
                raise _deferred_replay(plan)
            return journal

        return DeferredWrite(plan, _PG_RESOLVE_CTES, _PG_RESOLVE_COLUMNS, params,
                             outcome=outcome)

    def write() -> Journal:
        if connection.vendor == "postgresql":
            return _pg_resolve(
                key=key, digest=digest, pending_id=pending_id, resolution=resolution,
                amount=amount, actor=actor, memo=memo, metadata=metadata,
                effective_date=effective_date, kind=kind,
            )
        # SQLite: one read, the hold and its entries. A replay of `key`, or a hold resolved,
        # is answered by the write itself (its unique keys), then explained.
        with connection.cursor() as cursor:
            cursor.execute(_HOLD_SQL, [pending_id])
            rows = cursor.fetchall()
        hold_kind, hold_date, entries, problem = None, None, [], None
        if not rows:
            problem = InvalidJournal(f"no journal with id {pending_id}")
        elif not rows[0][0]:
            problem = InvalidJournal(f"journal {pending_id} is not pending")
        else:
            hold_kind, hold_date = rows[0][1:3]
            held = [row[3:] for row in rows]
            entries = [(a, s, amt, True, True) for a, s, amt in held]
            if resolution == Resolution.POST:
                try:
                    entries += _posted_part(pending_id, held, amount)
                except InvalidJournal as exc:
                    problem = exc
        if problem is not None:
            return _explain(problem, key, digest, pending_id, found=bool(rows))
        plan = _Plan(
            key=key,
            digest=digest,
            kind=kind or hold_kind,
            effective_date=_date_not_before(effective_date, hold_date),
            actor=actor,
            memo=memo,
            metadata=metadata,
            entries=entries,
            resolves_id=pending_id,
            resolution=resolution,
        )
        return _write_one(plan)

    # On PostgreSQL `write` is one statement (the diagnosis reads run only after it
    # wrote nothing): at top level it runs alone in autocommit, as journal_post does.
    journal = _run(write, single_statement=True, savepoint=savepoint)
    return DeferredWrite.written(journal) if defer else journal


_HOLD_SQL = """
SELECT j.pending, j.kind, j.effective_date, e.account_id, e.side, e.amount
FROM ledger_journal j JOIN ledger_entry e ON e.journal_id = j.id
WHERE j.id = %s ORDER BY e.id
"""


def _refuse_resolved(pending_id: int) -> None:
    done = Journal.objects.filter(resolves_id=pending_id).values_list("resolution", flat=True)
    if done:
        raise PendingAlreadyResolved(pending_id, done[0])


def _explain(problem: Exception, key: str, digest: str, pending_id: int, *,
             found: bool) -> Journal:
    """A resolution that cannot be written: a replay of `key` answers as a replay, a hold
    already resolved as resolved (`found`: the hold exists), before `problem` is raised."""
    existing = _replay(key, digest)
    if existing is not None:
        return existing
    if found:
        _refuse_resolved(pending_id)
    raise problem


def _partial_refusal(pending_id: int, legs: int, total: int, amount: int | None):
    """Why `amount` of a hold of `legs` legs holding `total` fen cannot be posted, or None."""
    if amount is None or amount == total:
        return None
    if amount > total:
        return InvalidJournal(
            f"cannot post {amount} fen of pending journal {pending_id}: it holds {total} fen"
        )
    if legs != 2:
        return InvalidJournal(
            f"pending journal {pending_id} has {legs} legs; only a two-leg hold can be "
            "posted partially"
        )
    return None


def _posted_part(pending_id: int, held: list[tuple[int, str, int]], amount: int | None):
    total = sum(amt for _, side, amt in held if side == "debit")
    refusal = _partial_refusal(pending_id, len(held), total, amount)
    if refusal is not None:
        raise refusal
    if amount is None or amount == total:
        return [(a, s, amt, False, False) for a, s, amt in held]
    return [(a, s, amount, False, False) for a, s, _ in held]


# --------------------------------------------------------------------------- writing


class _LimitBreached(Exception):
    """An account's UPDATE matched no row; turned into LimitExceeded.

    On PostgreSQL `details` come with the refusal (migration 0003), so nothing needs to be
    read from an aborted transaction; on SQLite the account is read afterwards.
    """

    def __init__(self, account_id: int, details: dict | None = None):
        self.account_id = account_id
        self.details = details
        super().__init__(account_id)


def _run(write: Callable[[], T], *, single_statement: bool = False, savepoint: bool = True) -> T:
    """Run `write` atomically; at top level, retry a deadlock or serialization failure.

    `single_statement`: on PostgreSQL at top level, `write` issues exactly one statement,
    which runs in autocommit mode (it is its own transaction: one round trip instead of
    BEGIN, statement, COMMIT). Otherwise `write` runs in `transaction.atomic()`, a savepoint
    when the caller holds a transaction — unless the caller passed `savepoint=False`: it
    then promises to roll its whole transaction back if the ledger refuses (two round
    trips saved per posting; after a refusal on PostgreSQL its transaction is unusable).

    Retrying is safe: nothing was committed, and the idempotency key turns a retry of a
    write that did commit into a replay.
    """
    nested = connection.in_atomic_block
    alone = (
        single_statement
        and not nested
        and connection.vendor == "postgresql"
        and connection.get_autocommit()
    )
    bare = alone or (nested and not savepoint)
    for attempt in range(1 if nested else TRANSIENT_RETRIES):
        try:
            if bare:
                return write()
            with transaction.atomic():
                return write()
        except _LimitBreached as breach:
            raise _limit_error(breach) from None
        except OperationalError as exc:
            if nested or attempt + 1 == TRANSIENT_RETRIES or not _is_transient(exc):
                raise
            logger.warning("ledger write retried after %s", exc.__class__.__name__)
        except IntegrityError as exc:  # a deferred check refused the commit
            raise _invariant_broken(exc, []) from exc
    raise AssertionError("unreachable")


def _is_transient(exc: BaseException) -> bool:
    return _sqlstate(exc) in {"40001", "40P01"}


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None)


def _write_one(plan: _Plan) -> Journal:
    return _write_many([plan])[0]


def _write_many(plans: list[_Plan]) -> list[Journal]:
    try:
        if connection.vendor == "postgresql":
            return _pg_write(plans)
        return _sqlite_write(plans)
    except IntegrityError as exc:
        raise _invariant_broken(exc, plans) from exc


def _invariant_broken(exc: Exception, plans: list[_Plan]) -> LedgerInvariantBroken:
    logger.critical(
        "LEDGER INVARIANT REFUSED BY THE DATABASE (a bug): %s",
        exc,
        extra={"ledger_keys": [p.key for p in plans][:20]},
    )
    return LedgerInvariantBroken(str(exc))


_PG_BALANCES = """
), d AS (
    SELECT account_id,
        sum(CASE WHEN side = 'debit' AND NOT pending THEN amount ELSE 0 END)::bigint AS dp,
        sum(CASE WHEN side = 'credit' AND NOT pending THEN amount ELSE 0 END)::bigint AS cp,
        sum(CASE WHEN side = 'debit' AND pending
                 THEN CASE WHEN release THEN -amount ELSE amount END ELSE 0 END)::bigint AS dpe,
        sum(CASE WHEN side = 'credit' AND pending
                 THEN CASE WHEN release THEN -amount ELSE amount END ELSE 0 END)::bigint AS cpe
    FROM e GROUP BY account_id
), locked AS (
    SELECT a.id FROM ledger_account a WHERE a.id IN (SELECT account_id FROM d)
    ORDER BY a.id FOR NO KEY UPDATE
), u AS (
    UPDATE ledger_account a SET
        debits_posted = a.debits_posted + d.dp,
        credits_posted = a.credits_posted + d.cp,
        debits_pending = a.debits_pending + d.dpe,
        credits_pending = a.credits_pending + d.cpe,
        version = a.version + 1
    FROM d JOIN locked ON locked.id = d.account_id
    WHERE a.id = d.account_id
      AND (NOT a.debits_must_not_exceed_credits
           OR a.debits_posted + d.dp + a.debits_pending + d.dpe <= a.credits_posted + d.cp)
      AND (NOT a.credits_must_not_exceed_debits
           OR a.credits_posted + d.cp + a.credits_pending + d.cpe <= a.debits_posted + d.dp)
    RETURNING a.id
)
"""
# The last output column raises SQLSTATE LE001 (via ledger_limit_breached) naming the
# lowest account whose UPDATE matched nothing; NULL when every account changed.
_PG_BREACH = """(SELECT ledger_limit_breached(min(d.account_id)) FROM d
        WHERE d.account_id NOT IN (SELECT id FROM u))"""


_PG_WRITE_MANY = f"""
WITH j AS (
    INSERT INTO ledger_journal (public_id, idempotency_key, request_digest, kind,
        effective_date, actor, memo, metadata, pending, resolves_id, resolution,
        reverses_id, created_at)
    SELECT * FROM unnest(%s::uuid[], %s::varchar[], %s::varchar[], %s::varchar[],
        %s::date[], %s::varchar[], %s::text[], %s::jsonb[], %s::boolean[], %s::bigint[],
        %s::varchar[], %s::bigint[], %s::timestamptz[])
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, idempotency_key
), e AS (
    INSERT INTO ledger_entry (journal_id, account_id, side, amount, pending, release)
    SELECT j.id, x.account_id, x.side, x.amount, x.pending, x.release
    FROM unnest(%s::varchar[], %s::bigint[], %s::varchar[], %s::bigint[], %s::boolean[],
                %s::boolean[]) AS x(idempotency_key, account_id, side, amount, pending, release)
    JOIN j ON j.idempotency_key = x.idempotency_key
    RETURNING account_id, side, amount, pending, release
{_PG_BALANCES}
SELECT ARRAY(SELECT id FROM j ORDER BY id), ARRAY(SELECT idempotency_key FROM j ORDER BY id),
       {_PG_BREACH}
"""  # noqa: S608  (constant SQL)


# A batch of resolutions (batch_resolve) must also stop on the partial unique indexes of
# `resolves` / `reverses`: a hold resolved meanwhile is then a missing key, explained by
# _taken, not an IntegrityError.
_PG_WRITE_MANY_LINKED = _PG_WRITE_MANY.replace(
    "ON CONFLICT (idempotency_key) DO NOTHING", "ON CONFLICT DO NOTHING"
)
assert _PG_WRITE_MANY_LINKED != _PG_WRITE_MANY


@functools.cache
def _pg_write_one_parts(n_entries: int, links: bool) -> tuple[str, str]:
    """The one-journal form as (CTEs, output columns): scalar parameters (cheaper to send
    than arrays), n entries. Run alone as `WITH <CTEs> SELECT <columns>`, or inside another
    statement (DeferredWrite).

    A plain journal can only collide on its key, so the insert names that index alone as
    its arbiter; a resolution or reversal must also stop on the partial unique indexes of
    `resolves` / `reverses` (a hold resolves once, a journal is reversed once).
    """
    arbiter = "" if links else "(idempotency_key) "
    rows = ", ".join(
        ["(%s::bigint, %s::varchar, %s::bigint, %s::boolean, %s::boolean)"] * n_entries
    )
    ctes = f"""j AS (
    INSERT INTO ledger_journal (public_id, idempotency_key, request_digest, kind,
        effective_date, actor, memo, metadata, pending, resolves_id, resolution,
        reverses_id, created_at)
    VALUES (%s::uuid, %s::varchar, %s::varchar, %s::varchar, %s::date, %s::varchar,
        %s::text, %s::jsonb, %s::boolean, %s::bigint, %s::varchar, %s::bigint,
        %s::timestamptz)
    ON CONFLICT {arbiter}DO NOTHING
    RETURNING id
), e AS (
    INSERT INTO ledger_entry (journal_id, account_id, side, amount, pending, release)
    SELECT j.id, x.account_id, x.side, x.amount, x.pending, x.release
    FROM j, (VALUES {rows}) AS x(account_id, side, amount, pending, release)
    RETURNING account_id, side, amount, pending, release
{_PG_BALANCES}"""  # noqa: S608  (only placeholders are added)
    return ctes, f"(SELECT id FROM j), {_PG_BREACH}"  # noqa: S608  (constant SQL)


@functools.cache
def _pg_write_one_sql(n_entries: int, links: bool) -> str:
    ctes, columns = _pg_write_one_parts(n_entries, links)
    return f"WITH {ctes}\nSELECT {columns}\n"


def _pg_write(plans: list[_Plan]) -> list[Journal]:
    """Write `plans` in one statement; keys already written are replays (or conflicts)."""
    if len(plans) == 1:
        return [_pg_write_one(plans[0])]
    entries: list[list] = [[], [], [], [], [], []]
    for p in plans:
        for account_id, side, amount, pending, release in p.entries:
            for column, value in zip(
                entries, (p.key, account_id, side, amount, pending, release), strict=True
            ):
                column.append(value)
    params = [
        [p.public_id for p in plans],
        [p.key for p in plans],
        [p.digest for p in plans],
        [p.kind for p in plans],
        [p.effective_date for p in plans],
        [p.actor for p in plans],
        [p.memo for p in plans],
        [json.dumps(p.metadata) for p in plans],
        [p.pending for p in plans],
        [p.resolves_id for p in plans],
        [p.resolution for p in plans],
        [p.reverses_id for p in plans],
        [p.created_at for p in plans],
        *entries,
    ]
    sql = _PG_WRITE_MANY_LINKED if any(_links(p) for p in plans) else _PG_WRITE_MANY
    ids, keys, _ = _pg_fetchone(sql, params)
    written = dict(zip(keys, ids, strict=True))
    missing = [p for p in plans if p.key not in written]
    replayed = _replays(missing)
    for p in missing:
        if p.key not in replayed:  # the key is free: the hold or the reversal was taken
            raise _taken(p)
    return [p.journal(written[p.key]) if p.key in written else replayed[p.key] for p in plans]


def _pg_write_one_params(plan: _Plan) -> list:
    params = [
        plan.public_id, plan.key, plan.digest, plan.kind, plan.effective_date, plan.actor,
        plan.memo, json.dumps(plan.metadata), plan.pending, plan.resolves_id,
        plan.resolution, plan.reverses_id, plan.created_at,
    ]
    for entry in plan.entries:
        params.extend(entry)
    return params


def _links(plan: _Plan) -> bool:
    return plan.resolves_id is not None or plan.reverses_id is not None


def _pg_write_one(plan: _Plan) -> Journal:
    params = _pg_write_one_params(plan)
    journal_id, _ = _pg_fetchone(_pg_write_one_sql(len(plan.entries), _links(plan)), params)
    if journal_id is not None:
        return plan.journal(journal_id)
    replayed = _replays([plan])
    if plan.key in replayed:
        return replayed[plan.key]
    raise _taken(plan)  # the key is free: the hold or the reversal was taken


# A hold's resolution on PostgreSQL, in one statement that reads the hold itself: `h` the
# hold's header and `held` its entries (by id); `ok` is one row when the request fits the
# hold (it is a hold with entries; a post is full, or below what it holds on a two-leg hold;
# an explicit effective date is not before the hold's); the journal is inserted from `ok`
# (ON CONFLICT DO NOTHING: a replay of the key, or a second resolution of the hold, inserts
# nothing), then its entries from `held` (release legs mirroring the hold, then for a post
# the posted legs of the full or partial amount, in the hold's entry order) and the balances
# as for any journal. The last columns describe the hold as read, so that Python can say
# why nothing was written without reading it again.
_PG_RESOLVE_CTES = f"""r AS (
    SELECT %s::varchar AS resolution, %s::bigint AS amount, %s::varchar AS kind,
           %s::date AS day, %s::boolean AS day_given
), h AS (
    SELECT j.id, j.pending, j.kind, j.effective_date
    FROM ledger_journal j WHERE j.id = %s::bigint
), held AS (
    SELECT e.id, e.account_id, e.side, e.amount
    FROM h JOIN ledger_entry e ON e.journal_id = h.id
), t AS (
    SELECT count(*) AS n,
           coalesce(sum(amount) FILTER (WHERE side = 'debit'), 0)::bigint AS total
    FROM held
), ok AS (
    SELECT h.id, coalesce(r.kind, h.kind) AS kind,
        CASE WHEN r.day_given THEN r.day ELSE greatest(r.day, h.effective_date) END AS day,
        r.resolution = 'post' AS posts,
        CASE WHEN r.amount = t.total THEN NULL ELSE r.amount END AS partial
    FROM r, h, t
    WHERE h.pending AND t.n > 0
      AND (r.amount IS NULL OR r.amount = t.total OR (r.amount < t.total AND t.n = 2))
      AND (NOT r.day_given OR r.day >= h.effective_date)
), j AS (
    INSERT INTO ledger_journal (public_id, idempotency_key, request_digest, kind,
        effective_date, actor, memo, metadata, pending, resolves_id, resolution,
        reverses_id, created_at)
    SELECT %s::uuid, %s::varchar, %s::varchar, ok.kind, ok.day, %s::varchar, %s::text,
        %s::jsonb, false, ok.id, r.resolution, NULL, %s::timestamptz
    FROM ok, r
    ON CONFLICT DO NOTHING
    RETURNING id, kind, effective_date
), e AS (
    INSERT INTO ledger_entry (journal_id, account_id, side, amount, pending, release)
    SELECT j.id, x.account_id, x.side, x.amount, x.pending, x.release
    FROM j, (
        SELECT 0 AS part, held.id AS n, held.account_id, held.side, held.amount,
               true AS pending, true AS release
        FROM held
        UNION ALL
        SELECT 1, held.id, held.account_id, held.side, coalesce(ok.partial, held.amount),
               false, false
        FROM held, ok WHERE ok.posts
    ) AS x
    ORDER BY x.part, x.n
    RETURNING account_id, side, amount, pending, release
{_PG_BALANCES}"""  # noqa: S608  (constant SQL)
_PG_RESOLVE_COLUMNS = f"""(SELECT id FROM j), (SELECT kind FROM j),
    (SELECT effective_date FROM j), {_PG_BREACH}, (SELECT pending FROM h),
    (SELECT effective_date FROM h), (SELECT n FROM t), (SELECT total FROM t)"""  # noqa: S608
_PG_RESOLVE = f"WITH {_PG_RESOLVE_CTES}\nSELECT {_PG_RESOLVE_COLUMNS}\n"


def _pg_resolve(*, key, digest, pending_id, resolution, amount, actor, memo, metadata,
                effective_date, kind) -> Journal:
    """Post or void a hold in one statement (`_PG_RESOLVE`); the hold is read only by it."""
    plan, params = _pg_resolve_plan(
        key=key, digest=digest, pending_id=pending_id, resolution=resolution, amount=amount,
        actor=actor, memo=memo, metadata=metadata, effective_date=effective_date, kind=kind,
    )
    try:
        values = _pg_fetchone(_PG_RESOLVE, params)
    except IntegrityError as exc:
        raise _invariant_broken(exc, [plan]) from exc
    return _resolution_outcome(plan, values, amount=amount, effective_date=effective_date)


def _pg_resolve_plan(*, key, digest, pending_id, resolution, amount, actor, memo, metadata,
                     effective_date, kind) -> tuple[_Plan, list]:
    today = timezone.localdate()
    plan = _Plan(
        key=key,
        digest=digest,
        kind=kind or "",
        effective_date=effective_date or today,
        actor=actor,
        memo=memo,
        metadata=metadata,
        entries=[],
        resolves_id=pending_id,
        resolution=resolution,
    )
    params = [
        resolution, amount, kind or None, plan.effective_date, effective_date is not None,
        pending_id, plan.public_id, key, digest, actor, memo, json.dumps(metadata),
        plan.created_at,
    ]
    return plan, params


def _resolution_outcome(plan: _Plan, values, *, amount, effective_date) -> Journal:
    """The journal `_PG_RESOLVE`'s columns `values` say was written; when it wrote nothing,
    the hold as it read it says why, in the order of the portable path: no such hold, not
    a hold, an amount it cannot post (each answered first as a replay, then as already
    resolved); an effective date before the hold's; then a replay of the key, or a second
    resolution of the hold (the ON CONFLICT cases)."""
    journal_id, written_kind, written_date, _, is_pending, hold_date, legs, total = values
    if journal_id is not None:
        plan.kind, plan.effective_date = written_kind, written_date
        return plan.journal(journal_id)
    key, digest, pending_id = plan.key, plan.digest, plan.resolves_id
    problem = None
    if not legs:
        problem = InvalidJournal(f"no journal with id {pending_id}")
    elif not is_pending:
        problem = InvalidJournal(f"journal {pending_id} is not pending")
    elif plan.resolution == Resolution.POST:
        problem = _partial_refusal(pending_id, legs, total, amount)
    if problem is not None:
        return _explain(problem, key, digest, pending_id, found=bool(legs))
    _date_not_before(effective_date, hold_date)  # an effective date before the hold's
    replayed = _replays([plan])
    if key in replayed:
        return replayed[key]
    raise _taken(plan)  # the key is free: the hold was resolved first


# --------------------------------------------------------------------------- deferred


def _deferrable(savepoint: bool) -> bool:
    """A write can wait for the caller's next statement: PostgreSQL, inside the caller's
    transaction, which rolls back whole if the ledger refuses (`savepoint=False`)."""
    return (connection.vendor == "postgresql" and connection.in_atomic_block
            and not savepoint)


class DeferredWrite(rows.Part):
    """A posting, hold, or hold's post or void that runs inside the caller's next statement
    (`defer=True`): the claim actions hand it to their audit append, so the posting, the
    claim's new state and the audit event are one statement, one round trip (ADR 0012).

    Until that statement ran, `journal` is None and `id_sql` is the journal's id as SQL of
    that statement (for a claim's `hold_journal`). Its refusals come out of that statement
    as the write's own would: a breached limit as `LimitExceeded` (`errors()`), a hold
    that cannot be resolved as the error the write raises (`finish`). A replay of the key
    is refused (`InvalidJournal`): the caller already wrote its state for a new journal.
    Where a write cannot wait (SQLite; no caller transaction; `savepoint=True`), it runs
    at once and arrives written (`pending` False, `journal` set).
    """

    id_sql = "(SELECT id FROM j)"
    barrier = "(SELECT count(*) FROM u)"  # u: the accounts' UPDATE, which locks them

    def __init__(self, plan: _Plan | None, ctes: str, columns: str, params: list, *,
                 outcome: Callable[[tuple], Journal] | None):
        self.plan, self.ctes, self.columns, self.params = plan, ctes, columns, params
        self._outcome = outcome
        self.journal: Journal | None = None

    @classmethod
    def written(cls, journal: Journal) -> "DeferredWrite":
        done = cls(None, "", "", [], outcome=None)
        done.journal, done.pending = journal, False
        return done

    @property
    def public_id(self) -> uuid.UUID:
        return self.journal.public_id if self.plan is None else self.plan.public_id

    def id_column(self, name: str) -> dict[str, str]:
        """{name: id_sql} while pending (for `rows.Update(expressions=…)`), else {}."""
        return {name: self.id_sql} if self.pending else {}

    @contextlib.contextmanager
    def errors(self):
        try:
            yield
        except DatabaseError as exc:
            if _sqlstate(exc) == "LE001":  # raised by ledger_limit_breached()
                raise _limit_error(_breach_of(exc)) from None
            raise

    def finish(self, values: tuple) -> Journal:
        self.journal, self.pending = self._outcome(tuple(values)), False
        return self.journal

    def run(self) -> Journal:
        """Run alone, as its own statement in the caller's transaction (once)."""
        if not self.pending:
            return self.journal
        with self.errors():
            values = rows.fetchone_prepared(f"WITH {self.ctes}\nSELECT {self.columns}\n",
                                            self.params)
        return self.finish(values)


def _deferred_post_outcome(plan: _Plan, values) -> Journal:
    journal_id, _ = values
    if journal_id is not None:
        return plan.journal(journal_id)
    if plan.key in _replays([plan]):
        raise _deferred_replay(plan)
    raise _taken(plan)


def _deferred_replay(plan: _Plan) -> InvalidJournal:
    return InvalidJournal(f"journal {plan.key!r} is already written: a deferred write "
                          "cannot be a replay")


def _breach_of(exc: DatabaseError) -> _LimitBreached:
    details = json.loads(exc.__cause__.diag.message_detail)
    return _LimitBreached(int(details["id"]), details)


def _pg_fetchone(sql: str, params: list):
    """One prepared statement (core.rows.fetchone_prepared); a breached limit raised by
    ledger_limit_breached() (SQLSTATE LE001) comes out as _LimitBreached."""
    try:
        return rows.fetchone_prepared(sql, params)
    except DatabaseError as exc:
        if _sqlstate(exc) == "LE001":  # raised by ledger_limit_breached()
            raise _breach_of(exc) from None
        raise


_SQLITE_UPDATE = """
UPDATE ledger_account SET
    debits_posted = debits_posted + %s, credits_posted = credits_posted + %s,
    debits_pending = debits_pending + %s, credits_pending = credits_pending + %s,
    version = version + 1
WHERE id = %s
  AND (NOT debits_must_not_exceed_credits
       OR debits_posted + %s + debits_pending + %s <= credits_posted + %s)
  AND (NOT credits_must_not_exceed_debits
       OR credits_posted + %s + credits_pending + %s <= debits_posted + %s)
"""


def _sqlite_write(plans: list[_Plan]) -> list[Journal]:
    """The portable path, for a database with one writer at a time (SQLite).

    Entries go in first and the journal row last: its insert trigger checks the entries
    and seals the journal (no entry can be added to an existing journal; a journal row
    must exist by commit, through the deferred foreign key of its entries).
    """
    replayed = _replays(plans)
    new = [p for p in plans if p.key not in replayed]
    for p in new:
        _refuse_taken_links(p)
    deltas: dict[int, list[int]] = {}
    for p in new:
        p.add_deltas(deltas)
    with connection.cursor() as cursor:
        for account_id in sorted(deltas):
            dp, cp, dpe, cpe = deltas[account_id]
            cursor.execute(_SQLITE_UPDATE, [dp, cp, dpe, cpe, account_id, dp, dpe, cp, cp, cpe, dp])
            if cursor.rowcount != 1:
                raise _LimitBreached(account_id)
    next_id = (Journal.objects.aggregate(top=Max("id"))["top"] or 0) + 1
    journals = {}
    entries = []
    for p in new:
        journals[p.key] = p.journal(next_id)
        entries += [
            Entry(journal_id=next_id, account_id=a, side=s, amount=amt, pending=pe, release=r)
            for a, s, amt, pe, r in p.entries
        ]
        next_id += 1
    if new:
        Entry.objects.bulk_create(entries)
        Journal.objects.bulk_create(list(journals.values()))
    return [journals[p.key] if p.key in journals else replayed[p.key] for p in plans]


# --------------------------------------------------------------------------- refusals


def _replay(key: str, digest: str) -> Journal | None:
    """The journal already written under `key` for this request, if any."""
    journal = Journal.objects.filter(idempotency_key=key).first()
    if journal is None:
        return None
    if journal.request_digest != digest:
        raise IdempotencyConflict(key, journal.pk)
    return journal


def _replays(plans: list[_Plan]) -> dict[str, Journal]:
    if not plans:
        return {}
    found = {j.idempotency_key: j for j in Journal.objects.filter(
        idempotency_key__in=[p.key for p in plans]
    )}
    for p in plans:
        journal = found.get(p.key)
        if journal is not None and journal.request_digest != p.digest:
            raise IdempotencyConflict(p.key, journal.pk)
    return found


def _refuse_taken_links(plan: _Plan) -> None:
    if plan.resolves_id is not None:
        done = Journal.objects.filter(resolves_id=plan.resolves_id).values_list(
            "resolution", flat=True
        )
        if done:
            raise PendingAlreadyResolved(plan.resolves_id, done[0])
    if plan.reverses_id is not None and Journal.objects.filter(
        reverses_id=plan.reverses_id
    ).exists():
        raise AlreadyReversed(plan.reverses_id)


def _taken(plan: _Plan) -> Exception:
    """Why an insert with ON CONFLICT DO NOTHING wrote nothing, the key being free."""
    try:
        _refuse_taken_links(plan)
    except (PendingAlreadyResolved, AlreadyReversed) as exc:
        return exc
    return LedgerInvariantBroken(f"journal {plan.key!r} was not written and nothing explains it")


def _limit_error(breach: _LimitBreached) -> Exception:
    """An account's UPDATE matched nothing: say which limit, and what is available."""
    account_id, details = breach.account_id, breach.details
    if details is not None:
        if "code" not in details:
            return InvalidJournal(f"no ledger account with id {account_id}")
        if not details["limit"]:
            return LedgerInvariantBroken(
                f"account {details['code']} has no limit yet refused a change")
        return LimitExceeded(account_id=account_id, account_code=details["code"],
                             owner_ref=details["owner_ref"], available=details["available"],
                             limit=details["limit"])
    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        return InvalidJournal(f"no ledger account with id {account_id}")
    if account.debits_must_not_exceed_credits:
        limit = "debits_must_not_exceed_credits"
        available = account.credits_posted - account.debits_posted - account.debits_pending
    elif account.credits_must_not_exceed_debits:
        limit = "credits_must_not_exceed_debits"
        available = account.debits_posted - account.credits_posted - account.credits_pending
    else:
        return LedgerInvariantBroken(f"account {account.code} has no limit yet refused a change")
    return LimitExceeded(
        account_id=account.pk,
        account_code=account.code,
        owner_ref=account.owner_ref,
        available=available,
        limit=limit,
    )


# --------------------------------------------------------------------------- checks


def _account_id(ref) -> int:
    if isinstance(ref, Account):
        if ref.pk is None:
            raise InvalidJournal("the account is not saved")
        return ref.pk
    if isinstance(ref, int) and not isinstance(ref, bool):
        return ref
    raise InvalidJournal(f"an account is an Account or its id, not {type(ref).__name__}")


def _journal_id(ref) -> int:
    if isinstance(ref, Journal):
        if ref.pk is None:
            raise InvalidJournal("the journal is not saved")
        return ref.pk
    if isinstance(ref, int) and not isinstance(ref, bool):
        return ref
    raise InvalidJournal(f"a journal is a Journal or its id, not {type(ref).__name__}")


def _check_amount(amount) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise InvalidJournal(f"an amount is an integer number of fen, not {amount!r}")
    if amount <= 0:
        raise InvalidJournal(f"an amount must be positive, not {amount}")
    if amount > MAX_FEN:
        raise InvalidJournal(f"an amount must be at most {MAX_FEN} fen")


def _check_header(key, kind, actor, memo) -> None:
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidJournal(f"an idempotency key is 1 to {MAX_KEY_LENGTH} characters")
    if not isinstance(kind, str) or not kind or len(kind) > MAX_KIND_LENGTH:
        raise InvalidJournal(f"a journal kind is 1 to {MAX_KIND_LENGTH} characters")
    if not isinstance(actor, str) or len(actor) > MAX_ACTOR_LENGTH:
        raise InvalidJournal(f"an actor is a string of at most {MAX_ACTOR_LENGTH} characters")
    if not isinstance(memo, str):
        raise InvalidJournal("a memo is a string")


def _check_metadata(metadata) -> dict:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise InvalidJournal("metadata is a dict")
    try:
        json.dumps(metadata)
    except (TypeError, ValueError) as exc:
        raise InvalidJournal(f"metadata must be JSON: {exc}") from exc
    return metadata


def _check_date(value) -> None:
    if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
        raise InvalidJournal(f"an effective date is a date, not {value!r}")


def _date_not_before(wanted: date | None, earliest: date) -> date:
    if wanted is None:
        return max(timezone.localdate(), earliest)
    if wanted < earliest:
        raise InvalidJournal(f"effective date {wanted} is before the original's {earliest}")
    return wanted


def _other(side: str) -> str:
    return "credit" if side == "debit" else "debit"


def _digest(operation: str, **fields) -> str:
    payload = {"op": operation, **{k: _plain(v) for k, v in fields.items()}}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value
