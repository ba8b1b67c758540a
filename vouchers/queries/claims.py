"""The claim services' hot-path queries: the voucher a provider names, and the claim lock.

Each is one statement through core.rows (raw SQL, model instances back); the ORM
equivalents are in the docstrings, and tests/vouchers compare them on both databases.
"""

import functools

from django.db import connection

from accounts.models import Organization
from core import rows
from core.errors import DomainError
from ledger.models import Account
from vouchers import codes
from vouchers.models import Claim, Programme, ProviderProgramme, Voucher

_VOUCHER_FOR_CLAIM_MODELS = (Voucher, Programme, Organization, Account, ProviderProgramme)
_LOCK_MODELS = (Claim, Voucher, Programme, Organization, Organization, ProviderProgramme)


def voucher_for_claim(code: str, provider: Organization
                      ) -> tuple[Voucher, ProviderProgramme | None]:
    """The voucher by what the provider typed (case, spaces, dashes forgiven), with its
    programme, enterprise and ledger account, and the provider's position in the programme
    if it has one; else `not_found`. One query: `Voucher.objects.select_related(
    "programme", "enterprise", "account").get(code=…)` and the provider's
    `ProviderProgramme` of that programme, joined."""
    canonical = codes.normalise(code)
    row = None
    if canonical:
        with connection.cursor() as cursor:
            cursor.execute(_voucher_for_claim_sql(), [provider.pk, canonical])
            row = cursor.fetchone()
    if row is None:
        raise DomainError("not_found", "No such voucher.")
    voucher, voucher.programme, voucher.enterprise, voucher.account, position = (
        rows.build_all(_VOUCHER_FOR_CLAIM_MODELS, row))
    return voucher, (position if position.pk is not None else None)


@functools.cache
def _voucher_for_claim_sql() -> str:
    selected = ", ".join(rows.columns(m, a) for m, a in zip(
        _VOUCHER_FOR_CLAIM_MODELS, ("v", "p", "e", "a", "pp"), strict=True))
    return (
        f"SELECT {selected} FROM vouchers_voucher v"  # noqa: S608  (constant SQL)
        " JOIN vouchers_programme p ON p.id = v.programme_id"
        " JOIN accounts_organization e ON e.id = v.enterprise_id"
        " JOIN ledger_account a ON a.id = v.account_id"
        " LEFT JOIN vouchers_providerprogramme pp"
        "   ON pp.programme_id = v.programme_id AND pp.provider_id = %s"
        " WHERE v.code = %s"
    )


def lock_claim(claim: Claim, *, for_approval: bool = False) -> Claim:
    """Lock the claim and its voucher (for approval also the provider's programme position
    and the voucher's ledger account), in that order, in one statement; load the programme
    and both organisations with them.

    `claim` is a saved claim, or a stub from `selectors.claim_for_action` (public id and
    the caller's scope): the stub's row is found by public id and answers `not_found`
    outside that scope, as the scoped list would.

    Everything that moves a voucher's balance locks the voucher row first, so an expiry run
    and a claim action on the same voucher never interleave. Locks are NO KEY UPDATE so the
    deferred foreign-key checks of other transactions (KEY SHARE) are not blocked (ADR 0004).
    Locked rows come back in their latest committed version, so the account's counters read
    here are current: approval decides "exhausted" without another query.
    ORM: `Claim.objects.select_related("voucher__programme", "provider", "enterprise",
    "provider_programme"[, "voucher__account"]).select_for_update(no_key=True,
    of=…).get(…)`.
    """
    by_public_id = claim.pk is None
    key = _public_id_value(claim.public_id) if by_public_id else claim.pk
    with connection.cursor() as cursor:
        cursor.execute(_lock_sql(for_approval, connection.vendor, by_public_id), [key])
        row = cursor.fetchone()
    if row is None:
        if by_public_id:
            raise DomainError("not_found", "No such claim.")
        raise Claim.DoesNotExist(f"claim {claim.pk}")
    models = _LOCK_MODELS + ((Account,) if for_approval else ())
    locked, voucher, programme, provider, enterprise, position, *account = (
        rows.build_all(models, row))
    if by_public_id and not _in_scope(claim, locked):
        raise DomainError("not_found", "No such claim.")  # rolled back with the lock
    voucher.programme = programme
    if account:
        voucher.account = account[0]
    locked.voucher, locked.programme, locked.provider = voucher, programme, provider
    locked.enterprise, locked.provider_programme = enterprise, position
    return locked


def _public_id_value(public_id):
    return Claim._meta.get_field("public_id").get_db_prep_value(public_id, connection)


def _in_scope(stub: Claim, locked: Claim) -> bool:
    """The stub's scope (its enterprise or provider, if set) holds for the locked row."""
    return all(getattr(stub, column) in (None, getattr(locked, column))
               for column in ("enterprise_id", "provider_id"))


@functools.cache
def _lock_sql(for_approval: bool, vendor: str, by_public_id: bool = False) -> str:
    aliases = ("c", "v", "p", "pr", "e", "pp") + (("a",) if for_approval else ())
    models = _LOCK_MODELS + ((Account,) if for_approval else ())
    selected = ", ".join(rows.columns(m, a) for m, a in zip(models, aliases, strict=True))
    account = " JOIN ledger_account a ON a.id = v.account_id" if for_approval else ""
    locked = ("c", "v", "pp", "a") if for_approval else ("c", "v")
    return (
        f"SELECT {selected} FROM vouchers_claim c"  # noqa: S608  (constant SQL)
        " JOIN vouchers_voucher v ON v.id = c.voucher_id"
        " JOIN vouchers_programme p ON p.id = c.programme_id"
        " JOIN accounts_organization pr ON pr.id = c.provider_id"
        " JOIN accounts_organization e ON e.id = c.enterprise_id"
        " JOIN vouchers_providerprogramme pp ON pp.id = c.provider_programme_id"
        f"{account} WHERE c.{'public_id' if by_public_id else 'id'} = %s"
        + rows.lock_clause(*locked)
    )
