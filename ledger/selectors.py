"""Reads of the ledger: balances, statements, the trial balance, verification.

Current balances come from the four cached counters on the account row (one indexed read,
whatever the number of entries). Balances at a point in the past are recomputed from the
entries: a date means journals with `effective_date` on or before it, a datetime means
journals created at or before it, a journal means journals up to and including it.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import CharField, Count, F, Func, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from ledger.models import Account, Entry, Journal

COUNTERS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")
_BALANCE_SQL = (
    "SELECT debits_posted, credits_posted, debits_pending, credits_pending, normal_side "
    "FROM ledger_account WHERE id = %s"
)


@dataclass(frozen=True)
class Balance:
    """An account's four counters (fen) and what they mean on its normal side.

    - `posted`: the posted balance on the normal side (credits - debits for a
      credit-normal account);
    - `pending`: the same for pending amounts (what `posted` becomes if every hold posts
      minus what it is now; negative when more is held away than is coming in);
    - `held`: pending amounts moving away from the normal side (e.g. a voucher's holds);
    - `incoming`: pending amounts moving towards the normal side;
    - `available`: `posted - held` (TigerBeetle style: holds count, incoming does not).
    """

    debits_posted: int = 0
    credits_posted: int = 0
    debits_pending: int = 0
    credits_pending: int = 0
    normal_side: str = "credit"

    @property
    def posted(self) -> int:
        if self.normal_side == "credit":
            return self.credits_posted - self.debits_posted
        return self.debits_posted - self.credits_posted

    @property
    def pending(self) -> int:
        if self.normal_side == "credit":
            return self.credits_pending - self.debits_pending
        return self.debits_pending - self.credits_pending

    @property
    def held(self) -> int:
        return self.debits_pending if self.normal_side == "credit" else self.credits_pending

    @property
    def incoming(self) -> int:
        return self.credits_pending if self.normal_side == "credit" else self.debits_pending

    @property
    def available(self) -> int:
        return self.posted - self.held

    @classmethod
    def of(cls, account: Account) -> "Balance":
        """The cached balance of an account instance as loaded (no query)."""
        return cls(*(getattr(account, c) for c in COUNTERS), normal_side=account.normal_side)


def balance(
    account: Account | int,
    *,
    as_of: date | datetime | None = None,
    at_journal: Journal | int | None = None,
) -> Balance:
    """The account's balance now (cached counters), or at a date, time or journal."""
    account_id = account.pk if isinstance(account, Account) else account
    if as_of is None and at_journal is None:
        # The hottest read in the product (every voucher page, every budget figure): one
        # primary-key lookup, without the ORM's query compilation.
        with connection.cursor() as cursor:
            cursor.execute(_BALANCE_SQL, [account_id])
            row = cursor.fetchone()
        if row is None:
            raise Account.DoesNotExist(f"no ledger account with id {account_id}")
        return Balance(*row[:4], normal_side=row[4])
    if isinstance(account, Account):
        normal_side = account.normal_side
    else:
        normal_side = Account.objects.values_list("normal_side", flat=True).get(pk=account_id)
    entries = _up_to(Entry.objects.filter(account_id=account_id), as_of, at_journal)
    return _balance_from_buckets(_buckets(entries), normal_side)


def balances_sum(accounts: QuerySet[Account]) -> Balance:
    """The sum of the cached balances of `accounts`, in one aggregate query.

    The accounts must share a normal side (an empty set counts as credit-normal).
    """
    totals = accounts.order_by().aggregate(
        **{c: Coalesce(Sum(c), 0) for c in COUNTERS},
        side_min=Min("normal_side"),
        side_max=Max("normal_side"),
    )
    if totals["side_min"] != totals["side_max"]:
        raise ValueError("balances_sum needs accounts of one normal side")
    return Balance(*(totals[c] for c in COUNTERS), normal_side=totals["side_min"] or "credit")


@dataclass(frozen=True)
class StatementRow:
    entry_id: int
    journal_id: int
    journal_public_id: str
    effective_date: date
    created_at: datetime
    kind: str
    memo: str
    side: str
    amount: int
    pending: bool
    release: bool
    #: the account's balance after this entry
    balance: Balance


def account_statement(
    account: Account | int, *, start: date | None = None, end: date | None = None
) -> list[StatementRow]:
    """Every entry of the account with effective date in [start, end], in order, each with
    the running balance after it (the first row continues from the balance at `start - 1`).
    """
    if not isinstance(account, Account):
        account = Account.objects.get(pk=account)
    if start is not None:
        opening = balance(account, as_of=start - timedelta(days=1))
    else:
        opening = Balance(normal_side=account.normal_side)
    counters = [getattr(opening, c) for c in COUNTERS]
    entries = Entry.objects.filter(account=account)
    if start is not None:
        entries = entries.filter(journal__effective_date__gte=start)
    if end is not None:
        entries = entries.filter(journal__effective_date__lte=end)
    rows = []
    for e in entries.select_related("journal").order_by(
        "journal__effective_date", "journal_id", "id"
    ):
        index = (0 if e.side == "debit" else 1) + (2 if e.pending else 0)
        counters[index] += -e.amount if e.release else e.amount
        j = e.journal
        rows.append(
            StatementRow(
                entry_id=e.pk,
                journal_id=j.pk,
                journal_public_id=str(j.public_id),
                effective_date=j.effective_date,
                created_at=j.created_at,
                kind=j.kind,
                memo=j.memo,
                side=e.side,
                amount=e.amount,
                pending=e.pending,
                release=e.release,
                balance=Balance(*counters, normal_side=account.normal_side),
            )
        )
    return rows


@dataclass(frozen=True)
class TrialBalance:
    total_debits: int
    total_credits: int
    #: [{"type": "pool", "debits": ..., "credits": ...}, ...] by account code prefix
    by_type: list[dict] = field(default_factory=list)
    total_debits_pending: int = 0
    total_credits_pending: int = 0

    @property
    def balanced(self) -> bool:
        return (
            self.total_debits == self.total_credits
            and self.total_debits_pending == self.total_credits_pending
        )


class AccountType(Func):
    """The part of an account code before the first ':' ("pool:CS-2026" -> "pool")."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            return f"split_part({sql}, ':', 1)", params
        return f"substr({sql}, 1, instr({sql} || ':', ':') - 1)", [*params, *params]


def trial_balance(*, as_of: date | datetime | None = None) -> TrialBalance:
    """Posted debits and credits of every account type; they are equal in a sound ledger."""
    if as_of is None:
        rows = (
            Account.objects.order_by()
            .annotate(type=AccountType(F("code")))
            .values("type")
            .annotate(**{c: Sum(c) for c in COUNTERS})
            .order_by("type")
        )
        by_type = [
            {"type": r["type"], "debits": r["debits_posted"], "credits": r["credits_posted"]}
            for r in rows
        ]
        dpe = sum(r["debits_pending"] for r in rows)
        cpe = sum(r["credits_pending"] for r in rows)
    else:
        buckets = (
            _up_to(Entry.objects.all(), as_of, None)
            .annotate(type=AccountType(F("account__code")))
            .values("type", "side", "pending", "release")
            .annotate(total=Sum("amount"))
            .order_by("type")
        )
        types: dict[str, list[int]] = {}
        for r in buckets:
            counters = types.setdefault(r["type"], [0, 0, 0, 0])
            index = (0 if r["side"] == "debit" else 1) + (2 if r["pending"] else 0)
            counters[index] += -r["total"] if r["release"] else r["total"]
        by_type = [
            {"type": t, "debits": c[0], "credits": c[1]} for t, c in sorted(types.items())
        ]
        dpe = sum(c[2] for c in types.values())
        cpe = sum(c[3] for c in types.values())
    return TrialBalance(
        total_debits=sum(t["debits"] for t in by_type),
        total_credits=sum(t["credits"] for t in by_type),
        by_type=by_type,
        total_debits_pending=dpe,
        total_credits_pending=cpe,
    )


@dataclass(frozen=True)
class VerifyReport:
    accounts_checked: int
    journals_checked: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def ledger_verify() -> VerifyReport:
    """Recompute every cached balance from the entries; check journals and the trial balance."""
    problems: list[str] = []
    recomputed: dict[int, list[int]] = {}
    for r in Entry.objects.values("account_id", "side", "pending", "release").annotate(
        total=Sum("amount")
    ).order_by():
        counters = recomputed.setdefault(r["account_id"], [0, 0, 0, 0])
        index = (0 if r["side"] == "debit" else 1) + (2 if r["pending"] else 0)
        counters[index] += -r["total"] if r["release"] else r["total"]
    checked = 0
    for row in Account.objects.values_list("id", "code", *COUNTERS).order_by("id").iterator(
        chunk_size=5000
    ):
        checked += 1
        account_id, code, *cached = row
        expected = recomputed.get(account_id, [0, 0, 0, 0])
        for name, have, want in zip(COUNTERS, cached, expected, strict=True):
            if have != want:
                problems.append(
                    f"account {code} (id {account_id}): cached {name} {have} fen, "
                    f"entries say {want} fen"
                )
    unbalanced = (
        Entry.objects.values("journal_id", "pending")
        .annotate(
            debits=Coalesce(Sum("amount", filter=Q(side="debit")), 0),
            credits=Coalesce(Sum("amount", filter=Q(side="credit")), 0),
        )
        .exclude(debits=F("credits"))
        .order_by()
        .values_list("journal_id", flat=True)[:100]
    )
    problems += [f"journal {j}: entries do not balance" for j in sorted(set(unbalanced))]
    thin = (
        Journal.objects.alias(n=Count("entries"))
        .filter(n__lt=2)
        .order_by("id")
        .values_list("id", flat=True)[:100]
    )
    problems += [f"journal {j}: fewer than two entries" for j in thin]
    from_entries = [sum(c[i] for c in recomputed.values()) for i in range(4)]
    for bucket, (debits, credits) in (("posted", from_entries[0:2]),
                                      ("pending", from_entries[2:4])):
        if debits != credits:
            problems.append(
                f"trial balance from the entries: {bucket} debits {debits} fen != credits "
                f"{credits} fen"
            )
    trial = trial_balance()
    if trial.total_debits != trial.total_credits:
        problems.append(
            f"trial balance: posted debits {trial.total_debits} fen != credits "
            f"{trial.total_credits} fen"
        )
    if trial.total_debits_pending != trial.total_credits_pending:
        problems.append(
            f"trial balance: pending debits {trial.total_debits_pending} fen != credits "
            f"{trial.total_credits_pending} fen"
        )
    return VerifyReport(
        accounts_checked=checked,
        journals_checked=Journal.objects.count(),
        problems=problems,
    )


def _up_to(entries: QuerySet[Entry], as_of, at_journal) -> QuerySet[Entry]:
    if isinstance(as_of, datetime):
        entries = entries.filter(journal__created_at__lte=as_of)
    elif isinstance(as_of, date):
        entries = entries.filter(journal__effective_date__lte=as_of)
    if at_journal is not None:
        journal_id = at_journal.pk if isinstance(at_journal, Journal) else at_journal
        entries = entries.filter(journal_id__lte=journal_id)
    return entries


def _buckets(entries: QuerySet[Entry]) -> list[int]:
    counters = [0, 0, 0, 0]
    for side, pending, release, total in (
        entries.values("side", "pending", "release")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("side", "pending", "release", "total")
    ):
        index = (0 if side == "debit" else 1) + (2 if pending else 0)
        counters[index] += -total if release else total
    return counters


def _balance_from_buckets(counters: list[int], normal_side: str) -> Balance:
    return Balance(*counters, normal_side=normal_side)
