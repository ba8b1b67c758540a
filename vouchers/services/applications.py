"""Applications and issuance: an approval issues one voucher with its ledger posting."""

from django.db import transaction

from accounts import selectors as accounts_selectors
from accounts.models import Organization
from audit.services import audit_record
from core import rows
from core.errors import DomainError
from core.money import MAX_FEN, format_fen
from ledger import services as ledger_services
from ledger.errors import LimitExceeded
from vouchers import chart, codes
from vouchers.models import Application, Programme, Voucher
from vouchers.queries import applications as queries
from vouchers.rules import (
    ensure_not_own_organization,
    ensure_not_same_person,
    ensure_organization_active,
    region_covers,
    today,
)
from vouchers.services.common import actor_label, clean_reason, now, user_or_none
from vouchers.transitions import APPLICATION, VOUCHER, change_status

PURPOSE_MAX_LENGTH = 1000


def _ensure_may_apply(enterprise: Organization, programme: Programme, *, on) -> None:
    """Who may hold a voucher of `programme` on date `on` (SPEC §3, in this order)."""
    ensure_organization_active(enterprise, role="enterprise")
    if enterprise.kind != Organization.Kind.ENTERPRISE:
        raise DomainError("permission_denied", "Only enterprises hold vouchers.")
    if not region_covers(programme.region_code, enterprise.region_code):
        raise DomainError(
            "qualification_invalid",
            f"{programme.code} is for enterprises registered in region {programme.region_code}; "
            f"this one is registered in {enterprise.region_code}.",
        )
    if not accounts_selectors.is_qualified(enterprise, year=programme.year, on=on):
        raise DomainError(
            "qualification_invalid",
            f"No 科技型中小企业 registration for {programme.year} and no 高新技术企业 "
            f"certificate valid on {on.isoformat()}.",
        )


def _ensure_within_cap(enterprise: Organization, programme: Programme, amount: int) -> None:
    issued = queries.issued_in_year(enterprise, programme.year)
    remaining = max(programme.enterprise_annual_cap - issued, 0)
    if amount > remaining:
        raise DomainError(
            "enterprise_cap_exceeded",
            f"The enterprise annual cap is {format_fen(programme.enterprise_annual_cap)} "
            f"(shared by enterprises under the same actual controller); "
            f"{format_fen(issued)} is already issued, so {format_fen(remaining)} remains.",
            remaining=format_fen(remaining),
        )


@transaction.atomic
def application_submit(*, enterprise: Organization, programme: Programme, amount: int,
                       purpose: str = "", actor=None) -> Application:
    """An enterprise applies for `amount` fen inside the programme's window."""
    on = today()
    ensure_organization_active(enterprise, role="enterprise")
    if not programme.application_opens <= on <= programme.application_closes:
        raise DomainError(
            "application_window_closed",
            f"Applications to {programme.code} are accepted from "
            f"{programme.application_opens.isoformat()} to "
            f"{programme.application_closes.isoformat()}.",
        )
    _ensure_may_apply(enterprise, programme, on=on)
    if not 0 < amount <= MAX_FEN:
        raise DomainError("invalid", "amount: must be positive.",
                          errors={"amount": ["Must be a positive amount."]})
    purpose = (purpose or "").strip()
    if len(purpose) > PURPOSE_MAX_LENGTH:
        raise DomainError("invalid", "purpose: too long.",
                          errors={"purpose": [f"At most {PURPOSE_MAX_LENGTH} characters."]})
    _ensure_within_cap(enterprise, programme, amount)
    application = rows.insert(Application(
        programme=programme, enterprise=enterprise, amount=amount, purpose=purpose,
        submitted_by=user_or_none(actor),
    ))
    audit_record(
        actor=actor, action="application.submit", object_type="application",
        object_id=application.public_id, before=None,
        after={"status": application.status, "programme": programme.code,
               "enterprise": str(enterprise.public_id), "amount": format_fen(amount)},
    )
    return application


@transaction.atomic
def application_approve(*, application: Application, actor, amount: int | None = None
                        ) -> Application:
    """Approve (optionally a lower amount) and issue the voucher: Dr pool, Cr voucher.

    Short critical sections: the voucher's (new, uncontended) ledger account is opened
    before any lock; the enterprise's controller group is locked next (its annual cap);
    the programme pool, the one row every issuance shares, is locked last, by the posting,
    a few statements before the commit. Its limit flag refuses issuance beyond the budget
    whatever happens.
    """
    code = codes.new_code()
    account = chart.open_voucher_account(code)
    application = queries.lock_application(application)
    programme, enterprise = application.programme, application.enterprise
    queries.lock_controller_group(enterprise)
    APPLICATION.check("approve", application.status)
    ensure_not_same_person(actor, application.submitted_by_id, what="an application")
    ensure_not_own_organization(actor, enterprise)
    amount = application.amount if amount is None else amount
    if not 0 < amount <= application.amount:
        raise DomainError(
            "invalid", "amount: at most the amount applied for.",
            errors={"amount": [f"Between 0.01 and {format_fen(application.amount)}."]},
        )
    on = today()
    if on > programme.valid_until:
        raise DomainError(
            "application_window_closed",
            f"{programme.code} vouchers were valid until {programme.valid_until.isoformat()}; "
            "nothing more can be issued.",
        )
    _ensure_may_apply(enterprise, programme, on=on)
    _ensure_within_cap(enterprise, programme, amount)

    # The voucher and the application's new state are written before the posting: the
    # posting locks the programme pool (the one row every issuance shares) until commit.
    voucher = rows.insert(Voucher(
        code=code, programme=programme, enterprise=enterprise, application=application,
        account=account, face_value=amount, issued_on=on, valid_until=programme.valid_until,
    ))
    before = application.status
    application.status = APPLICATION.target("approve", before)
    application.approved_amount = amount
    application.decided_by = user_or_none(actor)
    application.decided_at = now()
    rows.update(application, ["status", "approved_amount", "decided_by", "decided_at"])
    try:
        journal = ledger_services.transfer(
            key=chart.issue_key(application), kind="voucher.issue",
            debit=programme.pool_account_id, credit=account, amount=amount,
            actor=actor_label(actor), savepoint=False,
            metadata={"programme": programme.code, "voucher": code,
                      "application": str(application.public_id)},
        )
    except LimitExceeded as exc:
        raise DomainError(
            "budget_exhausted",
            f"{programme.code} has {format_fen(exc.available)} available; "
            f"{format_fen(amount)} was asked.",
            available=format_fen(exc.available),
        ) from exc
    account.credits_posted += amount  # the instance mirrors the posting (a fresh account)
    # Two events, one per object: the voucher's own trail starts with its issue.
    audit_record(
        actor=actor, action="voucher.issue", object_type=VOUCHER.entity, object_id=voucher.code,
        before=None,
        after={"status": voucher.status, "programme": programme.code,
               "enterprise": str(enterprise.public_id), "face_value": format_fen(amount),
               "valid_until": voucher.valid_until, "application": str(application.public_id),
               "journal": str(journal.public_id)},
    )
    audit_record(
        actor=actor, action="application.approve", object_type=APPLICATION.entity,
        object_id=APPLICATION.public_id(application), before={"status": before},
        after={"status": application.status, "approved_amount": format_fen(amount),
               "voucher": voucher.code, "voucher_status": voucher.status,
               "valid_until": voucher.valid_until, "journal": str(journal.public_id)},
    )
    return application


@transaction.atomic
def application_reject(*, application: Application, actor, reason: str) -> Application:
    application = queries.lock_application(application)
    APPLICATION.check("reject", application.status)
    ensure_not_same_person(actor, application.submitted_by_id, what="an application")
    ensure_not_own_organization(actor, application.enterprise)
    application.reason = clean_reason(reason, required=True)
    application.decided_by = user_or_none(actor)
    application.decided_at = now()
    change_status(APPLICATION, application, "reject", actor=actor,
                  fields=["reason", "decided_by", "decided_at"],
                  after={"reason": application.reason})
    return application
