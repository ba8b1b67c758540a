"""Reads: budget figures from ledger balances, voucher balances, what each user may see."""

import re
import uuid
from dataclasses import asdict, dataclass

from django.db.models import QuerySet

from accounts.models import STAFF_ROLES, Role
from core.errors import DomainError
from ledger import selectors as ledger_selectors
from ledger.models import Account
from vouchers import chart, codes
from vouchers.models import Application, Claim, Programme, Voucher

# --- budget ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """Where a programme's appropriated money is, in fen. `funded` = the sum of the rest."""

    funded: int
    available: int
    issued_unspent: int
    held: int
    approved_unpaid: int
    in_payment: int
    paid: int
    clawback_receivable: int
    recovered: int
    lapsed_returned_to_treasury: int

    def parts(self) -> dict[str, int]:
        values = asdict(self)
        values.pop("funded")
        return values

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def balanced(self) -> bool:
        return self.funded == sum(self.parts().values())


class BudgetIdentityBroken(AssertionError):
    """funded ≠ the sum of the buckets: the books are wrong (a bug, never a 4xx)."""


def assert_budget_identity(budget: Budget) -> Budget:
    if not budget.balanced:
        raise BudgetIdentityBroken(
            f"funded {budget.funded} != sum of buckets {sum(budget.parts().values())}: "
            f"{budget.as_dict()}"
        )
    return budget


def _net_credit(balance) -> int:
    return balance.credits_posted - balance.debits_posted


def programme_budget(programme: Programme) -> Budget:
    """The budget read from ledger balances (three queries, however many vouchers).

    Two kinds of hold are in flight: a confirmed claim's (pending debit on its voucher:
    `held`) and a sent payment line's (pending debit on the payable, pending credit on
    `in_payment`): it is no longer `approved_unpaid` but `in_payment` until the bank
    answers."""
    fixed = {
        account.code.split(":", 1)[0]: account
        for account in Account.objects.filter(
            code__in=[chart.programme_account_code(k, programme.code)
                      for k in chart.PROGRAMME_ACCOUNTS]
        )
    }
    vouchers = ledger_selectors.balances_sum(
        Account.objects.filter(pk__in=Voucher.objects.filter(programme=programme)
                               .values("account_id"))
    )
    payables = ledger_selectors.balances_sum(
        Account.objects.filter(code__startswith=chart.payable_prefix(programme.code))
    )

    def net_credit(kind: str) -> int:
        account = fixed.get(kind)
        return 0 if account is None else account.credits_posted - account.debits_posted

    appropriation = fixed.get(chart.APPROPRIATION)
    funded = 0 if appropriation is None else (
        appropriation.debits_posted - appropriation.credits_posted
    )
    return Budget(
        funded=funded,
        available=net_credit(chart.POOL),
        issued_unspent=_net_credit(vouchers) - vouchers.debits_pending,
        held=vouchers.debits_pending,
        approved_unpaid=_net_credit(payables) - payables.debits_pending,
        in_payment=net_credit(chart.IN_PAYMENT) + payables.debits_pending,
        **{bucket: net_credit(kind) for bucket, kind in chart.BUCKET_ACCOUNTS.items()},
    )


# --- vouchers --------------------------------------------------------------------------


@dataclass(frozen=True)
class VoucherBalance:
    face_value: int
    available: int
    held: int
    spent: int
    returned: int


def voucher_balance(voucher: Voucher) -> VoucherBalance:
    """From the voucher's ledger account (as loaded: select_related("account") for lists).

    The account is credited the face value at issuance and debited by approved claims
    (spent) and by expiry returns (`voucher.returned`); pending debits are the holds.
    """
    balance = ledger_selectors.Balance.of(voucher.account)
    return VoucherBalance(
        face_value=voucher.face_value,
        available=balance.available,
        held=balance.held,
        spent=balance.debits_posted - voucher.returned,
        returned=voucher.returned,
    )


def _is_staff(user) -> bool:
    return user.role in STAFF_ROLES


def vouchers_visible_to(user) -> QuerySet[Voucher]:
    """Staff: all. Enterprise: its own. Provider: those it has claimed against."""
    qs = Voucher.objects.select_related("programme", "enterprise", "account")
    if _is_staff(user):
        return qs
    if user.role == Role.ENTERPRISE and user.organization_id:
        return qs.filter(enterprise_id=user.organization_id)
    if user.role == Role.PROVIDER and user.organization_id:
        return qs.filter(
            pk__in=Claim.objects.filter(provider_id=user.organization_id).values("voucher_id")
        )
    return qs.none()


def voucher_get_by_code(code: str, *, queryset: QuerySet[Voucher] | None = None) -> Voucher:
    """A voucher by what someone typed (case, spaces and dashes forgiven); else not_found."""
    canonical = codes.normalise(code)
    queryset = Voucher.objects.all() if queryset is None else queryset
    voucher = queryset.filter(code=canonical).first() if canonical else None
    if voucher is None:
        raise DomainError("not_found", "No such voucher.")
    return voucher


# --- programmes, applications, claims --------------------------------------------------


_PROGRAMME_CODE = re.compile(r"^[A-Z0-9-]{1,32}$")


def programme_get(code: str) -> Programme:
    code = str(code).strip().upper()
    programme = Programme.objects.filter(code=code).first() if _PROGRAMME_CODE.match(
        code) else None
    if programme is None:
        raise DomainError("not_found", "No such programme.")
    return programme


def applications_visible_to(user) -> QuerySet[Application]:
    qs = Application.objects.select_related(
        "programme", "enterprise", "voucher", "voucher__account", "voucher__programme",
        "voucher__enterprise",
    )
    if _is_staff(user):
        return qs
    if user.role == Role.ENTERPRISE and user.organization_id:
        return qs.filter(enterprise_id=user.organization_id)
    return qs.none()


def _claim_scope(user) -> dict | None:
    """Which claims `user` sees, as column filters: {} all (staff), {"provider_id": …}
    (a provider: its claims), {"enterprise_id": …} (an enterprise: claims against its
    vouchers); None: none."""
    if _is_staff(user):
        return {}
    if user.role == Role.PROVIDER and user.organization_id:
        return {"provider_id": user.organization_id}
    if user.role == Role.ENTERPRISE and user.organization_id:
        return {"enterprise_id": user.organization_id}
    return None


def claims_visible_to(user) -> QuerySet[Claim]:
    qs = Claim.objects.select_related("voucher", "programme", "provider", "enterprise")
    scope = _claim_scope(user)
    return qs.none() if scope is None else qs.filter(**scope)


def claim_for_action(user, public_id) -> Claim:
    """The claim `user` names by `public_id`, as an unsaved stub for a claim action's
    service, which locks it (`queries.claims.lock_claim`): no query here.

    The stub carries the public id and the caller's scope (`_claim_scope`: its
    enterprise_id or provider_id; nothing for staff); the lock's one statement finds the
    row by public id and answers `not_found` unless it is in that scope, so others' claims
    are exactly as invisible as in `claims_visible_to` (tests/vouchers/test_claim_scope.py),
    one round trip sooner (ADR 0009).
    """
    scope = _claim_scope(user)
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        scope = None
    if scope is None:
        raise DomainError("not_found", "No such claim.")
    return Claim(public_id=public_id, **scope)


def get_by_public_id(queryset: QuerySet, public_id, *, what: str):
    """One object by its UUID from a scoped queryset; anything else is `not_found`."""
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        raise DomainError("not_found", f"No such {what}.") from None
    obj = queryset.filter(public_id=public_id).first()
    if obj is None:
        raise DomainError("not_found", f"No such {what}.")
    return obj


def get_for_action(queryset: QuerySet, public_id, *, what: str):
    """Only the primary key, looked up in the caller's scope (others' objects are
    `not_found`), as an unsaved-looking stub: the service locks and reads the row itself,
    so reading it fully here too would be wasted work."""
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        raise DomainError("not_found", f"No such {what}.") from None
    pk = queryset.filter(public_id=public_id).values_list("pk", flat=True).first()
    if pk is None:
        raise DomainError("not_found", f"No such {what}.")
    stub = queryset.model(pk=pk)
    stub._state.adding = False
    return stub
