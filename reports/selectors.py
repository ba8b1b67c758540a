"""Statement data, read from the ledger (and the settlement and voucher records that say
what each posting was for). Every statement's totals are checked against the ledger to
the fen before anything is printed: a difference raises `StatementDoesNotReconcile`, a
bug (500), never a statement with wrong figures.

All amounts are integer fen; the data is plain JSON (it is stored with the issued
statement, digested, and is the PDF's only input).
"""

import calendar
import dataclasses
import functools
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Organization, ServiceCategory
from accounts.regions import KNOWN_REGIONS
from core.snapshot import one_snapshot
from ledger import selectors as ledger_selectors
from ledger.models import Account, Entry
from ledger.selectors import AccountType
from reports.labels import authority, choice_label
from settlement.models import PaymentItem, PaymentLine, PayoutBatch
from vouchers import chart
from vouchers.models import Claim, Programme, Voucher
from vouchers.selectors import Budget, assert_budget_identity, programme_budget

#: the budget's buckets, `funded` first, as vouchers.selectors.Budget defines them
BUCKETS = tuple(f.name for f in dataclasses.fields(Budget))


class StatementDoesNotReconcile(AssertionError):
    """A statement's figures disagree with the ledger: a bug, never a 4xx."""


def _in_one_snapshot(select):
    """A statement's figures come from several queries; read as of one moment, they agree
    (a claim approved between two of them would otherwise fail the reconciliation)."""
    @functools.wraps(select)
    def read(*args, **kwargs):
        with one_snapshot():
            return select(*args, **kwargs)
    return read


def _check(name: str, printed: int, ledger: int) -> None:
    if printed != ledger:
        raise StatementDoesNotReconcile(
            f"{name}: statement {printed} fen, ledger {ledger} fen")


def _dt(value) -> str | None:
    return None if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _user(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.username


def _sum(queryset, field: str = "amount") -> int:
    return queryset.aggregate(total=Coalesce(Sum(field), 0))["total"]


# --- payout batch (拨付清单) --------------------------------------------------------------


@_in_one_snapshot
def payout_batch_statement(batch: PayoutBatch, *, lang: str) -> dict:
    """Lines with payee, USCC, bank account, claims, invoices and amounts.

    Reconciled: every line's items add up to the line, the lines to the batch total, and
    the total to what the ledger posted to the providers' payables when those claims
    were approved (journals `post:<claim>`); for a sent batch also to the holds that
    moved the lines' amounts into payment.
    """
    batch = (PayoutBatch.objects.select_related("programme", "built_by", "approved_by",
                                                "sent_by").get(pk=batch.pk))
    lines = list(PaymentLine.objects.filter(batch=batch).select_related("provider")
                 .order_by("id"))
    items_by_line: dict[int, list] = {}
    for item in (PaymentItem.objects.filter(line__batch=batch)
                 .select_related("claim").order_by("id")):
        items_by_line.setdefault(item.line_id, []).append(item)
    rows = []
    claim_keys = []
    for line in lines:
        items = items_by_line.get(line.pk, [])
        _check(f"line {line.reference} items", sum(i.amount for i in items), line.amount)
        claims_text = "；".join(
            f"{i.claim.invoice_number} · {i.claim.contract_number} · "
            f"{i.amount // 100:,}.{i.amount % 100:02d}" for i in items)
        claim_keys += [chart.post_key(i.claim) for i in items]
        rows.append({
            "reference": line.reference, "payee_name": line.payee_name,
            "uscc": line.provider.uscc, "payee_bank": line.payee_bank,
            "payee_account": line.payee_account, "amount": line.amount,
            "status": line.status, "claims": len(items), "claims_text": claims_text,
        })
    total = sum(r["amount"] for r in rows)
    _check("batch total", total, batch.total)
    posted = _sum(Entry.objects.filter(
        journal__idempotency_key__in=claim_keys, side="credit", pending=False,
        release=False, account__code__startswith=chart.payable_prefix(batch.programme.code)))
    _check("claims approved in the ledger", total, posted)
    held_lines = [line for line in lines if line.hold_journal_id]
    if held_lines:
        held = _sum(Entry.objects.filter(
            journal_id__in=[line.hold_journal_id for line in held_lines], side="credit",
            release=False))
        _check("lines sent (ledger holds)", sum(line.amount for line in held_lines), held)
    return {
        "authority": authority(lang, batch.programme.region_code),
        "batch": {
            "id": str(batch.public_id), "programme": batch.programme.code,
            "programme_name": batch.programme.name, "status": batch.status,
            "status_label": choice_label(batch.get_status_display(), lang),
            "built_by": _user(batch.built_by), "approved_by": _user(batch.approved_by),
            "sent_by": _user(batch.sent_by), "created_at": _dt(batch.created_at),
            "approved_at": _dt(batch.approved_at), "sent_at": _dt(batch.sent_at),
        },
        "rows": rows,
        "totals": {"total": total, "lines": len(rows), "claims": len(claim_keys)},
    }


# --- budgets from the ledger at a date ---------------------------------------------------


def _programme_entries(programme: Programme):
    fixed = [chart.programme_account_code(k, programme.code) for k in chart.PROGRAMME_ACCOUNTS]
    return Entry.objects.filter(
        Q(account__code__in=fixed)
        | Q(account_id__in=Voucher.objects.filter(programme=programme).values("account_id"))
        | Q(account__code__startswith=chart.payable_prefix(programme.code))
    )


def _counters_by_type(entries) -> dict[str, list[int]]:
    """{account type: [debits_posted, credits_posted, debits_pending, credits_pending]}"""
    types: dict[str, list[int]] = {}
    for row in (entries.annotate(type=AccountType(F("account__code")))
                .values("type", "side", "pending", "release").annotate(total=Sum("amount"))
                .order_by()):
        counters = types.setdefault(row["type"], [0, 0, 0, 0])
        index = (0 if row["side"] == "debit" else 1) + (2 if row["pending"] else 0)
        counters[index] += -row["total"] if row["release"] else row["total"]
    return types


def _budget_from_counters(types: dict[str, list[int]]) -> Budget:
    """The same reading as vouchers.selectors.programme_budget, from summed entries (the
    tests compare the two at every step): a confirmed claim's hold is `held` (pending
    debit on its voucher); a sent payment line's hold (pending debit on the payable) is
    `in_payment`, no longer `approved_unpaid`."""
    def net_credit(kind: str) -> int:
        c = types.get(kind, [0, 0, 0, 0])
        return c[1] - c[0]

    voucher = types.get(chart.VOUCHER, [0, 0, 0, 0])
    payable = types.get(chart.PAYABLE, [0, 0, 0, 0])
    appropriation = types.get(chart.APPROPRIATION, [0, 0, 0, 0])
    return Budget(
        funded=appropriation[0] - appropriation[1],
        available=net_credit(chart.POOL),
        issued_unspent=voucher[1] - voucher[0] - voucher[2],
        held=voucher[2],
        approved_unpaid=net_credit(chart.PAYABLE) - payable[2],
        in_payment=net_credit(chart.IN_PAYMENT) + payable[2],
        **{bucket: net_credit(kind) for bucket, kind in chart.BUCKET_ACCOUNTS.items()},
    )


def budget_as_of(programme: Programme, day: date) -> Budget:
    """The programme's budget at the end of `day` (journals effective on or before it)."""
    return _budget_from_counters(_counters_by_type(
        _programme_entries(programme).filter(journal__effective_date__lte=day)))


# --- monthly settlement statement ------------------------------------------------------


def parse_month(text: str) -> tuple[date, date] | None:
    try:
        year, month = (int(part) for part in str(text).split("-"))
        first = date(year, month, 1)
    except (TypeError, ValueError):
        return None
    if len(str(text)) != 7:
        return None
    return first, date(year, month, calendar.monthrange(year, month)[1])


@_in_one_snapshot
def programme_monthly_statement(programme: Programme, *, first: date, last: date,
                                lang: str) -> dict:
    """Opening, movements (issued, held, approved, paid, lapsed, recovered) and closing.

    Opening and closing are the budget read from the ledger's entries at the ends of the
    previous month and of this one; the change of each bucket is summed separately from
    the month's entries and must join the two; the identity holds at both ends; and a
    closing at or after today equals the ledger's live balances.
    """
    opening = assert_budget_identity(budget_as_of(programme, first - timedelta(days=1)))
    closing = assert_budget_identity(budget_as_of(programme, last))
    month = _programme_entries(programme).filter(
        journal__effective_date__gte=first, journal__effective_date__lte=last)
    change = _budget_from_counters(_counters_by_type(month))
    for bucket in BUCKETS:
        _check(f"{bucket} opening + change",
               getattr(opening, bucket) + getattr(change, bucket), getattr(closing, bucket))
    if last >= timezone.localdate():
        live = programme_budget(programme)
        for bucket in BUCKETS:
            _check(f"{bucket} closing vs live balances", getattr(closing, bucket),
                   getattr(live, bucket))

    def flow(**filters) -> int:
        return _sum(month.filter(**filters))

    payable = chart.payable_prefix(programme.code)
    flows = {
        "funded": flow(account__code=chart.programme_account_code(chart.APPROPRIATION,
                                                                   programme.code),
                       side="debit", pending=False),
        "issued": flow(account__code__startswith=chart.VOUCHER + ":", side="credit",
                       pending=False),
        "holds_placed": flow(account__code__startswith=chart.VOUCHER + ":", side="debit",
                             pending=True, release=False),
        "holds_released": flow(account__code__startswith=chart.VOUCHER + ":", side="debit",
                               pending=True, release=True),
        "approved": flow(account__code__startswith=payable, side="credit", pending=False,
                         journal__idempotency_key__startswith="post:"),
        "expired_returned": flow(account__code=chart.programme_account_code(
            chart.POOL, programme.code), side="credit", journal__kind="voucher.expire"),
        "paid": flow(account__code=chart.programme_account_code(chart.PAID, programme.code),
                     side="credit", pending=False),
        "sent_for_payment": flow(account__code=chart.programme_account_code(
            chart.IN_PAYMENT, programme.code), side="credit", pending=True, release=False),
        "clawback_ordered": flow(account__code=chart.programme_account_code(
            chart.RECEIVABLE, programme.code), side="credit", pending=False),
        "recovered": flow(account__code=chart.programme_account_code(
            chart.RECOVERY, programme.code), side="credit", pending=False),
        "lapsed_returned_to_treasury": flow(account__code=chart.programme_account_code(
            chart.LAPSED, programme.code), side="credit", pending=False),
    }
    rows = [{"bucket": b, "opening": getattr(opening, b), "change": getattr(change, b),
             "closing": getattr(closing, b)} for b in BUCKETS]
    return {
        "authority": authority(lang, programme.region_code),
        "programme": {"code": programme.code, "name": programme.name},
        "period": {"from": first.isoformat(), "to": last.isoformat(),
                   "month": first.strftime("%Y-%m")},
        # not "rows": those are a statement's chunked table (this one is never chunked)
        "buckets": rows, "rows": [], "flows": flows,
        "totals": {"opening_funded": opening.funded, "closing_funded": closing.funded,
                   **{f"closing_{b}": getattr(closing, b) for b in BUCKETS[1:]},
                   **{f"flow_{k}": v for k, v in flows.items()}},
    }


# --- budget execution report (预算执行情况表) -------------------------------------------


@_in_one_snapshot
def budget_execution_statement(programme: Programme, *, lang: str) -> dict:
    """The budget, and what was issued and spent by district and by service category.

    District = the enterprise's region. Issued and spent by district are the voucher
    accounts' posted credits and debits (less what expiry returned), and add up to all
    the programme's voucher accounts; approved by category is what the `post:<claim>`
    journals credited to the payables, and adds up to all of them.
    """
    budget = assert_budget_identity(programme_budget(programme))
    voucher_accounts = Account.objects.filter(
        pk__in=Voucher.objects.filter(programme=programme).values("account_id"))
    all_vouchers = ledger_selectors.balances_sum(voucher_accounts)
    returned_total = _sum(Voucher.objects.filter(programme=programme), "returned")
    districts = []
    for row in (Voucher.objects.filter(programme=programme)
                .values("enterprise__region_code")
                .annotate(n=Count("id"), issued=Sum("account__credits_posted"),
                          debits=Sum("account__debits_posted"), returned=Sum("returned"))
                .order_by("enterprise__region_code")):
        code = row["enterprise__region_code"]
        districts.append({
            "code": code, "name": KNOWN_REGIONS.get(code, code), "vouchers": row["n"],
            "issued": row["issued"], "spent": row["debits"] - row["returned"],
        })
    _check("issued by district", sum(d["issued"] for d in districts),
           all_vouchers.credits_posted)
    _check("spent by district", sum(d["spent"] for d in districts),
           all_vouchers.debits_posted - returned_total)
    post_entries = Entry.objects.filter(
        account__code__startswith=chart.payable_prefix(programme.code), side="credit",
        pending=False, journal__idempotency_key__startswith="post:")
    approved_total = _sum(post_entries)
    by_claim = {str(c.public_id): c.category for c in Claim.objects.filter(
        programme=programme).only("public_id", "category")}
    categories: dict[str, dict] = {}
    for key, amount in post_entries.values_list("journal__idempotency_key", "amount"):
        category = by_claim[key.removeprefix("post:")]
        row = categories.setdefault(category, {"claims": 0, "approved": 0})
        row["claims"] += 1
        row["approved"] += amount
    category_rows = [
        {"code": code, "name": choice_label(label, lang),
         **categories.get(code, {"claims": 0, "approved": 0})}
        for code, label in ServiceCategory.choices if code in categories
        or code in programme.categories
    ]
    _check("approved by category", sum(r["approved"] for r in category_rows), approved_total)
    executed = budget.approved_unpaid + budget.in_payment + budget.paid
    rate = None if not budget.funded else round(executed * 100 / budget.funded, 2)
    return {
        "authority": authority(lang, programme.region_code),
        "programme": {"code": programme.code, "name": programme.name},
        "budget": [{"bucket": b, "amount": getattr(budget, b)} for b in BUCKETS],
        "executed": executed, "execution_rate": rate,
        "districts": districts, "categories": category_rows,
        "rows": [],
        "totals": {"funded": budget.funded, "executed": executed,
                   "issued": all_vouchers.credits_posted, "approved": approved_total,
                   "paid": budget.paid},
    }


# --- per-organisation statement ----------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date


def _account_rows(accounts, period: Period) -> list[dict]:
    rows = []
    for account in accounts:
        opening = ledger_selectors.balance(account, as_of=period.start - timedelta(days=1))
        closing = ledger_selectors.balance(account, as_of=period.end)
        moved = Entry.objects.filter(
            account=account, pending=False, journal__effective_date__gte=period.start,
            journal__effective_date__lte=period.end)
        credits = _sum(moved.filter(side="credit"))
        debits = _sum(moved.filter(side="debit"))
        _check(f"{account.code} opening + credits - debits",
               opening.posted + credits - debits, closing.posted)
        rows.append({"account": account.code, "name": account.name,
                     "opening": opening.posted, "credits": credits, "debits": debits,
                     "closing": closing.posted, "held": closing.held})
    return rows


@_in_one_snapshot
def organization_statement(organization: Organization, *, period: Period, lang: str) -> dict:
    """An enterprise's vouchers or a provider's payables over a period, from the ledger:
    opening, credits, debits and closing of each account (opening + credits − debits =
    closing, each read from the entries), and the claims approved in the period, whose
    sum equals what their `post:` journals moved on those accounts."""
    if organization.kind == Organization.Kind.ENTERPRISE:
        accounts = list(Account.objects.filter(
            pk__in=Voucher.objects.filter(enterprise=organization).values("account_id"))
            .order_by("code"))
        post_side, claims = "debit", Claim.objects.filter(enterprise=organization)
    else:
        accounts = list(Account.objects.filter(
            owner_ref=f"organization:{organization.public_id}",
            code__startswith=chart.PAYABLE + ":").order_by("code"))
        post_side, claims = "credit", Claim.objects.filter(provider=organization)
    rows = _account_rows(accounts, period)
    posts = Entry.objects.filter(
        account__in=accounts, side=post_side, pending=False,
        journal__idempotency_key__startswith="post:",
        journal__effective_date__gte=period.start, journal__effective_date__lte=period.end)
    posted = dict(posts.values_list("journal__idempotency_key", "journal__effective_date"))
    claim_rows = [
        {"invoice": c.invoice_number, "contract": c.contract_number,
         "programme": c.programme.code, "category": choice_label(c.get_category_display(), lang),
         "invoice_amount": c.invoice_amount, "amount": c.amount,
         "approved_on": posted[chart.post_key(c)].isoformat(),
         "counterparty": (c.provider if post_side == "debit" else c.enterprise).name}
        for c in claims.filter(public_id__in=[k.removeprefix("post:") for k in posted])
        .select_related("programme", "provider", "enterprise").order_by("id")
    ]
    claims_total = sum(r["amount"] for r in claim_rows)
    _check("claims approved in the period", claims_total, _sum(posts))
    return {
        "authority": authority(lang),
        "organization": {"id": str(organization.public_id), "name": organization.name,
                         "uscc": organization.uscc, "kind": organization.kind},
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "accounts": rows,
        "rows": claim_rows,
        "totals": {
            "opening": sum(r["opening"] for r in rows),
            "credits": sum(r["credits"] for r in rows),
            "debits": sum(r["debits"] for r in rows),
            "closing": sum(r["closing"] for r in rows),
            "claims": len(claim_rows), "claims_amount": claims_total,
        },
    }
