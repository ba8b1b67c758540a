"""Claims (redemption): submit, the enterprise's confirmation (a hold), approval (posts it),
rejection / refusal / withdrawal (voids it). Checks of SPEC §3, each with its code."""

import re
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction

from accounts import selectors as accounts_selectors
from accounts.models import Organization
from audit.services import audit_record
from core import rows
from core.errors import DomainError
from core.money import MAX_FEN, format_fen, subsidy_ceiling
from ledger import selectors as ledger_selectors
from ledger import services as ledger_services
from ledger.errors import LimitExceeded
from vouchers import chart
from vouchers.models import Claim, ProviderProgramme, Voucher
from vouchers.queries import claims as queries
from vouchers.rules import (
    ensure_not_own_organization,
    ensure_organization_active,
    region_covers,
    today,
)
from vouchers.selectors import voucher_balance
from vouchers.services.common import Errors, actor_label, clean_reason, now, user_or_none
from vouchers.transitions import CLAIM, VOUCHER, change_status

_INVOICE_NOISE = re.compile(r"[\s\-‐‑–—_/.]+")
TEXT_MAX = {"contract_number": 100, "invoice_number": 64}


def normalise_invoice_number(text: str) -> str:
    """'fp-2026 0001' -> 'FP20260001': spaces, dashes (and / . _) dropped, upper-case."""
    return _INVOICE_NOISE.sub("", text or "").upper()


def ratio_text(bp: int) -> str:
    whole, frac = divmod(bp, 10000)
    text = f"{whole}.{frac:04d}".rstrip("0")
    return text + "0" * (2 - len(text.split(".")[1]))


def _ensure_voucher_usable(voucher: Voucher, *, on: date) -> None:
    if voucher.status != Voucher.Status.ACTIVE:
        raise DomainError("voucher_not_active", f"The voucher is {voucher.status}.",
                          voucher_status=voucher.status)
    if on > voucher.valid_until:
        raise DomainError(
            "voucher_not_active",
            f"The voucher was valid until {voucher.valid_until.isoformat()}.",
            voucher_status="expired",
        )
    deadline = voucher.programme.claim_deadline
    if on > deadline:
        raise DomainError(
            "voucher_not_active",
            f"Claims under {voucher.programme.code} closed on {deadline.isoformat()}.",
            voucher_status=voucher.status,
        )


def _ensure_parties_active(claim_or_voucher_enterprise: Organization,
                           provider: Organization) -> None:
    ensure_organization_active(provider, role="provider")
    ensure_organization_active(claim_or_voucher_enterprise, role="enterprise")


def _provider_programme(programme, provider: Organization) -> ProviderProgramme:
    position = ProviderProgramme.objects.filter(programme=programme, provider=provider).first()
    if position is not None:
        return position
    account = chart.open_payable_account(programme.code, provider)
    try:
        with transaction.atomic():
            return ProviderProgramme.objects.create(
                programme=programme, provider=provider, payable_account=account
            )
    except IntegrityError:  # opened by a concurrent first claim
        return ProviderProgramme.objects.get(programme=programme, provider=provider)


def _validate_fields(*, category, contract_number, contract_date, invoice_number,
                     invoice_amount, amount) -> None:
    errors = Errors()
    for field, value in (("contract_number", contract_number),
                         ("invoice_number", invoice_number)):
        if not (value or "").strip():
            errors.add(field, "This field may not be blank.")
        elif len(value) > TEXT_MAX[field]:
            errors.add(field, f"At most {TEXT_MAX[field]} characters.")
    if invoice_number and not normalise_invoice_number(invoice_number):
        errors.add("invoice_number", "An invoice number needs letters or digits.")
    if not isinstance(contract_date, date):
        errors.add("contract_date", "A date, YYYY-MM-DD.")
    if not 0 < invoice_amount <= MAX_FEN:
        errors.add("invoice_amount", "Must be a positive amount.")
    if not 0 < amount <= MAX_FEN:
        errors.add("amount", "Must be a positive amount.")
    elif 0 < invoice_amount < amount:
        errors.add("amount", "The subsidy cannot exceed the invoice.")
    if not category:
        errors.add("category", "This field is required.")
    errors.raise_if_any()


@transaction.atomic
def claim_submit(*, provider: Organization, voucher_code: str, category: str,
                 contract_number: str, contract_date: date, invoice_number: str,
                 invoice_amount: int, amount: int, actor=None) -> Claim:
    """A provider claims `amount` fen (the subsidy) of an invoice against a voucher."""
    _validate_fields(category=category, contract_number=contract_number,
                     contract_date=contract_date, invoice_number=invoice_number,
                     invoice_amount=invoice_amount, amount=amount)
    ensure_organization_active(provider, role="provider")
    if provider.kind != Organization.Kind.PROVIDER:
        raise DomainError("permission_denied", "Only service providers submit claims.")
    voucher, position = queries.voucher_for_claim(voucher_code, provider)
    programme, enterprise = voucher.programme, voucher.enterprise
    on = today()
    _ensure_voucher_usable(voucher, on=on)
    ensure_organization_active(enterprise, role="enterprise holding the voucher")

    if category not in programme.categories:
        raise DomainError("category_not_eligible",
                          f"{programme.code} does not subsidise {category}.")
    if category not in (provider.categories or []):
        raise DomainError("category_not_eligible",
                          f"{provider.name} is not registered to offer {category}.")
    recognised = [programme.region_code, *programme.partner_regions]
    if not any(region_covers(area, provider.region_code) for area in recognised):
        raise DomainError(
            "provider_region_not_recognised",
            f"Providers of region {provider.region_code} are not recognised by "
            f"{programme.code} (recognised: {', '.join(recognised)}).",
        )
    if accounts_selectors.are_related_parties(enterprise, provider):
        raise DomainError(
            "related_party",
            "The enterprise and the provider are related parties (same legal representative "
            "or actual controller, or a holding of 25 % or more).",
        )
    if contract_date < voucher.issued_on:
        raise DomainError(
            "contract_before_issue",
            f"The contract ({contract_date.isoformat()}) predates the voucher "
            f"({voucher.issued_on.isoformat()}).",
        )
    enterprise_class = accounts_selectors.enterprise_class_on(enterprise, contract_date)
    ratio_bp = programme.ratio_bp(enterprise_class)
    ceiling = subsidy_ceiling(invoice_amount, ratio_bp_decimal(ratio_bp))
    if amount > ceiling:
        raise DomainError(
            "ratio_exceeded",
            f"At most {format_fen(ceiling)}: {ratio_text(ratio_bp)} × "
            f"{format_fen(invoice_amount)} for a {enterprise_class} enterprise on "
            f"{contract_date.isoformat()}.",
            ceiling=format_fen(ceiling),
        )
    available = voucher_balance(voucher).available
    if amount > available:
        raise DomainError(
            "insufficient_voucher_balance",
            f"The voucher has {format_fen(available)} available.",
            available=format_fen(available),
        )
    position = position or _provider_programme(programme, provider)
    _ensure_within_provider_cap(position, programme, amount)

    try:
        # No savepoint: after the IntegrityError nothing more runs in this transaction; the
        # service's own atomic block rolls it back.
        claim = rows.insert(Claim(
            voucher=voucher, programme=programme, provider=provider, enterprise=enterprise,
            provider_programme=position, category=category,
            contract_number=contract_number.strip(), contract_date=contract_date,
            invoice_number=invoice_number.strip(),
            invoice_number_normalised=normalise_invoice_number(invoice_number),
            invoice_amount=invoice_amount, amount=amount,
            enterprise_class=enterprise_class, ratio_bp=ratio_bp,
            submitted_by=user_or_none(actor),
        ))
    except IntegrityError as exc:
        if "invoice_number_normalised" not in str(exc):
            raise  # any other constraint refusing the row is a bug, not a duplicate
        raise DomainError(
            "duplicate_invoice",
            f"Invoice {invoice_number.strip()} was already used by another claim.",
        ) from exc
    audit_record(
        actor=actor, action="claim.submit", object_type=CLAIM.entity, object_id=claim.public_id,
        before=None, after=claim_snapshot(claim),
    )
    return claim


def ratio_bp_decimal(bp: int) -> Decimal:
    return Decimal(bp) / Decimal(10000)


def claim_snapshot(claim: Claim) -> dict:
    return {
        "status": claim.status,
        "voucher": claim.voucher.code,
        "provider": str(claim.provider.public_id),
        "category": claim.category,
        "contract_number": claim.contract_number,
        "contract_date": claim.contract_date,
        "invoice_number": claim.invoice_number,
        "invoice_amount": format_fen(claim.invoice_amount),
        "amount": format_fen(claim.amount),
        "enterprise_class": claim.enterprise_class,
        "ratio": ratio_text(claim.ratio_bp),
    }


def _ensure_within_provider_cap(position: ProviderProgramme, programme, amount: int) -> None:
    cap = programme.provider_annual_cap
    remaining = max(cap - position.approved_total, 0)
    if amount > remaining:
        raise DomainError(
            "provider_cap_exceeded",
            f"The provider annual cap of {programme.code} is {format_fen(cap)}; "
            f"{format_fen(position.approved_total)} is approved, so {format_fen(remaining)} "
            "remains.",
            remaining=format_fen(remaining),
        )


def _ensure_acting_for(actor, organization: Organization) -> None:
    """A member acts only for their own organisation (the API scopes first; this is the
    service's own guard). Staff and the system are not members."""
    member_of = getattr(actor, "organization_id", None)
    if member_of is not None and member_of != organization.pk:
        raise DomainError("not_found", "No such claim.")


def _ensure_not_frozen(claim: Claim) -> None:
    if claim.frozen:
        raise DomainError(
            "invalid_transition",
            f"The claim is frozen for review: {claim.frozen_reason or 'blacklisting'}.",
            state=claim.status, frozen=True,
        )


@transaction.atomic
def claim_confirm(*, claim: Claim, actor) -> Claim:
    """The voucher's enterprise confirms: a pending transfer Dr voucher, Cr payable (a hold).

    The hold is a deferred ledger write: on PostgreSQL it runs inside the audit append's
    statement with the claim's new state (one round trip for the three; ADR 0012)."""
    claim = queries.lock_claim(claim)
    _ensure_acting_for(actor, claim.enterprise)
    CLAIM.check("confirm", claim.status)
    _ensure_parties_active(claim.enterprise, claim.provider)
    _ensure_not_frozen(claim)
    voucher = claim.voucher
    _ensure_voucher_usable(voucher, on=today())
    try:
        hold = ledger_services.transfer(
            key=chart.hold_key(claim), kind="claim.hold", pending=True,
            debit=voucher.account_id, credit=claim.provider_programme.payable_account_id,
            amount=claim.amount, actor=actor_label(actor), savepoint=False, defer=True,
            metadata={"claim": str(claim.public_id), "voucher": voucher.code},
        )
        # written already off PostgreSQL; there, None until the statement below sets it
        claim.hold_journal = hold.journal
        claim.confirmed_by = user_or_none(actor)
        claim.confirmed_at = now()
        change_status(CLAIM, claim, "confirm", actor=actor,
                      fields=["hold_journal", "confirmed_by", "confirmed_at"],
                      expressions=hold.id_column("hold_journal"), part=hold,
                      after={"hold": str(hold.public_id)})
    except LimitExceeded as exc:
        raise DomainError(
            "insufficient_voucher_balance",
            f"The voucher has {format_fen(exc.available)} available; the claim is for "
            f"{format_fen(claim.amount)}.",
            available=format_fen(exc.available),
        ) from exc
    claim.hold_journal = hold.journal
    return claim


@transaction.atomic
def claim_approve(*, claim: Claim, actor) -> Claim:
    """The reviewer approves: the hold is posted (the voucher is spent, the provider owed).

    The post is a deferred ledger write, run by the claim's audit append (ADR 0012); when
    the approval also exhausts the voucher, it runs first, before the voucher's event."""
    claim = queries.lock_claim(claim, for_approval=True)
    CLAIM.check("approve", claim.status)
    ensure_not_own_organization(actor, claim.provider)
    ensure_not_own_organization(actor, claim.enterprise)
    _ensure_parties_active(claim.enterprise, claim.provider)
    _ensure_not_frozen(claim)
    position = claim.provider_programme
    _ensure_within_provider_cap(position, claim.programme, claim.amount)
    post = ledger_services.pending_post(
        key=chart.post_key(claim), pending=claim.hold_journal_id, actor=actor_label(actor),
        savepoint=False, defer=True, metadata={"claim": str(claim.public_id)},
    )
    position.approved_total += claim.amount
    claim.decided_by = user_or_none(actor)
    claim.decided_at = now()
    _exhaust_if_spent(claim.voucher, posted=claim.amount, actor=actor, before=post)
    change_status(CLAIM, claim, "approve", actor=actor, fields=["decided_by", "decided_at"],
                  also=[rows.Update(position, ["approved_total"])], part=post)
    return claim


def _exhaust_if_spent(voucher: Voucher, *, posted: int, actor, before=None) -> None:
    """After a hold of `posted` fen is posted: nothing available and nothing held left
    means the voucher is spent to the fen. `voucher.account` was read under lock, before
    the posting (which moves `posted` from pending to posted debits). `before`: a deferred
    posting, run now if the voucher is spent (the posting comes before the event)."""
    if voucher.status != Voucher.Status.ACTIVE:
        return
    balance = ledger_selectors.Balance.of(voucher.account)
    if balance.available == 0 and balance.held == posted:
        if before is not None and before.pending:
            before.run()
        change_status(VOUCHER, voucher, "exhaust", actor=actor,
                      after={"spent": format_fen(balance.debits_posted + posted
                                                 - voucher.returned)})


def _release_hold(claim: Claim, *, actor) -> None:
    """Void the claim's hold; on a voucher that has expired meanwhile, the released amount
    goes back to the programme pool like the rest of its remainder."""
    if claim.hold_journal_id is None:
        return
    voucher = claim.voucher
    ledger_services.pending_void(
        key=chart.void_key(claim), pending=claim.hold_journal_id, actor=actor_label(actor),
        savepoint=False, metadata={"claim": str(claim.public_id)},
    )
    if voucher.status in (Voucher.Status.EXPIRED, Voucher.Status.REVOKED):
        ledger_services.transfer(
            key=chart.release_after_expiry_key(claim), kind="voucher.expire",
            debit=voucher.account_id, credit=claim.programme.pool_account_id, amount=claim.amount,
            actor=actor_label(actor), savepoint=False,
            metadata={"voucher": voucher.code, "claim": str(claim.public_id)},
        )
        voucher.returned += claim.amount
        voucher.save(update_fields=["returned"])


def _end_before_approval(claim: Claim, action: str, *, actor, reason: str,
                         reason_required: bool) -> Claim:
    CLAIM.check(action, claim.status)
    claim.reason = clean_reason(reason, required=reason_required)
    _release_hold(claim, actor=actor)
    fields = ["reason"]
    if action == "reject":
        claim.decided_by = user_or_none(actor)
        claim.decided_at = now()
        fields += ["decided_by", "decided_at"]
    change_status(CLAIM, claim, action, actor=actor, fields=fields,
                  after={"reason": claim.reason,
                         "released": format_fen(claim.amount if claim.hold_journal_id else 0)})
    return claim


@transaction.atomic
def claim_reject(*, claim: Claim, actor, reason: str) -> Claim:
    claim = queries.lock_claim(claim)
    CLAIM.check("reject", claim.status)
    ensure_not_own_organization(actor, claim.provider)
    ensure_not_own_organization(actor, claim.enterprise)
    return _end_before_approval(claim, "reject", actor=actor, reason=reason,
                                reason_required=True)


@transaction.atomic
def claim_refuse(*, claim: Claim, actor, reason: str = "") -> Claim:
    """The voucher's enterprise refuses (before approval); a hold, if any, is released."""
    claim = queries.lock_claim(claim)
    _ensure_acting_for(actor, claim.enterprise)
    return _end_before_approval(claim, "refuse", actor=actor, reason=reason,
                                reason_required=False)


@transaction.atomic
def claim_withdraw(*, claim: Claim, actor, reason: str = "") -> Claim:
    """The provider withdraws (before approval); a hold, if any, is released."""
    claim = queries.lock_claim(claim)
    _ensure_acting_for(actor, claim.provider)
    return _end_before_approval(claim, "withdraw", actor=actor, reason=reason,
                                reason_required=False)


@transaction.atomic
def claim_unfreeze(*, claim: Claim, actor, reason: str) -> Claim:
    """A reviewer releases a frozen claim once neither party is blacklisted any more."""
    claim = queries.lock_claim(claim)
    if not claim.frozen:
        raise DomainError("invalid_transition", "The claim is not frozen.", state=claim.status)
    ensure_not_own_organization(actor, claim.provider)
    ensure_not_own_organization(actor, claim.enterprise)
    for party in (claim.provider, claim.enterprise):
        if party.status == Organization.Status.BLACKLISTED:
            raise DomainError("blacklisted", f"{party.name} is still blacklisted.")
    reason = clean_reason(reason, required=True)
    before = {"frozen": True, "frozen_reason": claim.frozen_reason}
    claim.frozen, claim.frozen_reason = False, ""
    claim.save(update_fields=["frozen", "frozen_reason"])
    audit_record(actor=actor, action="claim.unfreeze", object_type=CLAIM.entity,
                 object_id=claim.public_id, before=before,
                 after={"frozen": False, "reason": reason, "status": claim.status})
    return claim
