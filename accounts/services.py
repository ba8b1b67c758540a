"""Writes on users and organisations.

Each service owns its transaction and, as its last step, appends an audit event (who,
what, before, after). Validation that needs the rules of the domain (check characters,
percentages, region codes, what each kind of organisation must carry) lives here, not in
serializers, so the API, the admin, the demo loader and the tests all go through it.
"""

from collections.abc import Mapping, Sequence
from datetime import date

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

from accounts import identity
from accounts.models import (
    STAFF_ROLES,
    Organization,
    Role,
    ServiceCategory,
    Shareholding,
    User,
)
from accounts.percent import HUNDRED_PERCENT, PercentFormatError, format_percent, parse_percent
from accounts.regions import is_valid_region_code
from accounts.selectors import user_lock_remaining
from audit.services import audit_record
from core.errors import DomainError

Status = Organization.Status

# The organisation life cycle as data: (from status, action) -> to status (SPEC §3).
# "approve" from suspended reinstates; blacklisted is final.
STATUS_TRANSITIONS: dict[tuple[str, str], str] = {
    (Status.PENDING, "approve"): Status.ACTIVE,
    (Status.SUSPENDED, "approve"): Status.ACTIVE,
    (Status.ACTIVE, "suspend"): Status.SUSPENDED,
    (Status.PENDING, "blacklist"): Status.BLACKLISTED,
    (Status.ACTIVE, "blacklist"): Status.BLACKLISTED,
    (Status.SUSPENDED, "blacklist"): Status.BLACKLISTED,
}
STATUS_ACTIONS: dict[str, str] = {
    "approve": "organization.approved",
    "suspend": "organization.suspended",
    "blacklist": "organization.blacklisted",
}
REASON_REQUIRED = frozenset({"suspend", "blacklist"})
REASON_MAX_LENGTH = Organization._meta.get_field("status_reason").max_length

BANK_ACCOUNT_DIGITS = (6, 34)
QUALIFICATION_YEARS = (2000, 2100)


def organization_snapshot(organization: Organization) -> dict:
    """What the audit trail records about an organisation. No identity digests."""
    return {
        "id": str(organization.public_id),
        "kind": organization.kind,
        "name": organization.name,
        "uscc": organization.uscc,
        "region_code": organization.region_code,
        "status": organization.status,
        "status_reason": organization.status_reason,
        "has_actual_controller": bool(organization.actual_controller_ref),
        "sme_tech_number": organization.sme_tech_number,
        "sme_tech_year": organization.sme_tech_year,
        "high_tech_certificate": organization.high_tech_certificate,
        "high_tech_valid_until": (
            organization.high_tech_valid_until.isoformat()
            if organization.high_tech_valid_until
            else None
        ),
        "bank_account": (
            {
                "name": organization.bank_account_name,
                "bank": organization.bank_name,
                "number": organization.bank_account_number,
            }
            if organization.kind == Organization.Kind.PROVIDER
            else None
        ),
        "categories": list(organization.categories or []),
    }


class _Errors:
    """Collects field errors so one response names every problem at once."""

    def __init__(self):
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.fields)


def _check_username(username: str, errors: _Errors) -> None:
    if not username:
        errors.add("username", "This field is required.")
        return
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        errors.add("username", exc.messages[0])
        return
    if len(username) > User._meta.get_field("username").max_length:
        errors.add("username", "At most 150 characters.")
    elif User.objects.filter(username=username).exists():
        errors.add("username", "This username is taken.")


def _check_password(password: str, *, username: str, email: str, errors: _Errors) -> None:
    try:
        validate_password(password, user=User(username=username, email=email))
    except ValidationError as exc:
        for message in exc.messages:
            errors.add("password", message)


def _parse_shareholdings(
    shareholdings: Sequence[Mapping], *, own_ref: str, errors: _Errors
) -> list[tuple[str, int]]:
    lines: list[tuple[str, int]] = []
    seen: set[str] = set()
    for number, line in enumerate(shareholdings, start=1):
        holder = str(line.get("holder", "") or "")
        ref = identity.party_ref(holder)
        if ref is None:
            errors.add(
                "shareholdings",
                f"#{number} holder: give a valid USCC or an 18-digit resident ID number.",
            )
        elif ref == own_ref:
            errors.add("shareholdings", f"#{number} holder: an organisation cannot hold itself.")
        elif ref in seen:
            errors.add("shareholdings", f"#{number} holder: listed twice; give one line each.")
        try:
            hundredths = parse_percent(line.get("percent"))
        except PercentFormatError as exc:
            errors.add("shareholdings", f"#{number} percent: {exc}")
            continue
        if ref is not None:
            seen.add(ref)
            lines.append((ref, hundredths))
    total = sum(h for _, h in lines)
    if total > HUNDRED_PERCENT:
        errors.add(
            "shareholdings", f"The percentages add up to {format_percent(total)}, above 100."
        )
    return lines


def _check_enterprise_fields(
    *, sme_tech_number, sme_tech_year, high_tech_certificate, high_tech_valid_until, errors
) -> None:
    if bool(sme_tech_number) != (sme_tech_year is not None):
        field = "sme_tech_year" if sme_tech_number else "sme_tech_number"
        errors.add(field, "Give the 科技型中小企业 registration number together with its year.")
    if sme_tech_year is not None and not (
        QUALIFICATION_YEARS[0] <= sme_tech_year <= QUALIFICATION_YEARS[1]
    ):
        errors.add("sme_tech_year", "Not a plausible registration year.")
    if bool(high_tech_certificate) != (high_tech_valid_until is not None):
        field = "high_tech_valid_until" if high_tech_certificate else "high_tech_certificate"
        errors.add(field, "Give the 高新技术企业 certificate number together with its end date.")


def _parse_bank_account(bank_account: Mapping | None, errors: _Errors) -> dict[str, str]:
    if not bank_account:
        errors.add("bank_account", "A provider must give its bank account (name, bank, number).")
        return {}
    account = {key: str(bank_account.get(key, "") or "").strip() for key in ("name", "bank")}
    number = "".join(str(bank_account.get("number", "") or "").split()).replace("-", "")
    for key in ("name", "bank"):
        if not account[key]:
            errors.add("bank_account", f"{key}: this field is required.")
    low, high = BANK_ACCOUNT_DIGITS
    if not (number.isdigit() and number.isascii() and low <= len(number) <= high):
        errors.add("bank_account", f"number: {low} to {high} digits.")
    account["number"] = number
    return account


def _parse_categories(categories: Sequence[str], errors: _Errors) -> list[str]:
    known = set(ServiceCategory.values)
    unknown = [c for c in categories if c not in known]
    if unknown:
        errors.add("categories", f"Unknown service categories: {', '.join(map(str, unknown))}.")
    if not categories:
        errors.add("categories", "A provider must offer at least one service category.")
    # Keep the catalogue's order so equal offers compare equal.
    return [c for c in ServiceCategory.values if c in set(categories)]


@transaction.atomic
def organization_register(
    *,
    kind: str,
    name: str,
    uscc: str,
    region_code: str,
    username: str,
    password: str,
    legal_representative_id: str,
    email: str = "",
    actual_controller: str = "",
    shareholdings: Sequence[Mapping] = (),
    sme_tech_number: str = "",
    sme_tech_year: int | None = None,
    high_tech_certificate: str = "",
    high_tech_valid_until: date | None = None,
    bank_account: Mapping | None = None,
    categories: Sequence[str] = (),
) -> Organization:
    """A new organisation (pending) with its first user, whose role is the kind.

    Every field problem is reported at once; nothing is written unless all are right.
    A failing USCC check character answers `invalid_uscc`, anything else `invalid`.
    """
    errors = _Errors()
    name = (name or "").strip()
    if kind not in Organization.Kind.values:
        errors.add("kind", "Choose enterprise or provider.")
    if not name:
        errors.add("name", "This field is required.")
    elif len(name) > Organization._meta.get_field("name").max_length:
        errors.add("name", "At most 200 characters.")

    uscc = identity.normalise_uscc(uscc)
    uscc_problem = identity.uscc_problem(uscc)
    if uscc_problem:
        errors.add("uscc", uscc_problem)
    elif Organization.objects.filter(uscc=uscc).exists():
        errors.add("uscc", "An organisation with this USCC is already registered.")
    own_ref = f"uscc:{uscc}"

    if not is_valid_region_code(region_code):
        errors.add("region_code", "A 6-digit administrative region code (GB/T 2260).")

    problem = identity.resident_id_problem(legal_representative_id)
    if problem:
        errors.add("legal_representative_id", problem)

    controller_ref = ""
    if actual_controller:
        controller_ref = identity.party_ref(actual_controller) or ""
        if not controller_ref:
            errors.add(
                "actual_controller", "Give a valid USCC or an 18-digit resident ID number."
            )
        elif controller_ref == own_ref:
            errors.add("actual_controller", "An organisation cannot be its own controller.")

    holdings = _parse_shareholdings(shareholdings or [], own_ref=own_ref, errors=errors)

    account: dict[str, str] = {}
    offered: list[str] = []
    if kind == Organization.Kind.ENTERPRISE:
        _check_enterprise_fields(
            sme_tech_number=sme_tech_number,
            sme_tech_year=sme_tech_year,
            high_tech_certificate=high_tech_certificate,
            high_tech_valid_until=high_tech_valid_until,
            errors=errors,
        )
        if bank_account:
            errors.add("bank_account", "Only service providers register a bank account.")
        if categories:
            errors.add("categories", "Only service providers offer service categories.")
    elif kind == Organization.Kind.PROVIDER:
        account = _parse_bank_account(bank_account, errors)
        offered = _parse_categories(list(categories or []), errors)
        for field, value in (
            ("sme_tech_number", sme_tech_number),
            ("sme_tech_year", sme_tech_year),
            ("high_tech_certificate", high_tech_certificate),
            ("high_tech_valid_until", high_tech_valid_until),
        ):
            if value not in (None, ""):
                errors.add(field, "Only enterprises carry this qualification.")

    _check_username(username, errors)
    _check_password(password, username=username, email=email, errors=errors)

    if errors:
        code = "invalid_uscc" if uscc_problem else "invalid"
        first_field, messages = next(iter(errors.fields.items()))
        detail = uscc_problem if uscc_problem else f"{first_field}: {messages[0]}"
        raise DomainError(code, detail, errors=errors.fields)

    try:
        with transaction.atomic():  # a concurrent twin registration loses here
            organization = Organization.objects.create(
                kind=kind,
                name=name,
                uscc=uscc,
                region_code=region_code,
                legal_representative_ref=identity.person_ref(legal_representative_id),
                actual_controller_ref=controller_ref,
                status=Status.PENDING,
                sme_tech_number=sme_tech_number or "",
                sme_tech_year=sme_tech_year,
                high_tech_certificate=high_tech_certificate or "",
                high_tech_valid_until=high_tech_valid_until,
                bank_account_name=account.get("name", ""),
                bank_name=account.get("bank", ""),
                bank_account_number=account.get("number", ""),
                categories=offered,
            )
            Shareholding.objects.bulk_create(
                Shareholding(organization=organization, holder_ref=ref, percent_hundredths=h)
                for ref, h in holdings
            )
            user = User.objects.create_user(
                username=username,
                email=email or "",
                password=password,
                role=kind,
                organization=organization,
            )
    except IntegrityError as exc:
        raise DomainError(
            "conflict", "This USCC or username was registered at the same moment."
        ) from exc

    after = organization_snapshot(organization)
    after["user"] = user.username
    after["shareholdings"] = len(holdings)
    audit_record(
        actor=user,
        action="organization.registered",
        object_type="organization",
        object_id=organization.public_id,
        before=None,
        after=after,
    )
    return organization


@transaction.atomic
def organization_change_status(
    *, organization: Organization, action: str, reason: str = "", actor
) -> Organization:
    """Move an organisation along STATUS_TRANSITIONS; an illegal move is `invalid_transition`."""
    if action not in STATUS_ACTIONS:
        raise ValueError(f"unknown organisation action {action!r}")  # a bug, not a client error
    reason = (reason or "").strip()
    if action in REASON_REQUIRED and not reason:
        raise DomainError(
            "invalid", "Give the reason.", errors={"reason": ["This field is required."]}
        )
    if len(reason) > REASON_MAX_LENGTH:
        raise DomainError(
            "invalid",
            "The reason is too long.",
            errors={"reason": [f"At most {REASON_MAX_LENGTH} characters."]},
        )
    locked = Organization.objects.select_for_update(no_key=True).get(pk=organization.pk)
    target = STATUS_TRANSITIONS.get((locked.status, action))
    if target is None:
        raise DomainError(
            "invalid_transition", f"An organisation that is {locked.status} cannot {action}."
        )
    before = organization_snapshot(locked)
    locked.status = target
    locked.status_reason = reason
    locked.save(update_fields=["status", "status_reason", "updated_at"])
    # The caller's instance reflects the change too.
    organization.status = locked.status
    organization.status_reason = locked.status_reason
    organization.updated_at = locked.updated_at
    audit_record(
        actor=actor,
        action=STATUS_ACTIONS[action],
        object_type="organization",
        object_id=locked.public_id,
        before=before,
        after=organization_snapshot(locked),
    )
    return locked


def organization_approve(*, organization: Organization, actor, reason: str = "") -> Organization:
    return organization_change_status(
        organization=organization, action="approve", reason=reason, actor=actor
    )


def organization_suspend(*, organization: Organization, actor, reason: str) -> Organization:
    return organization_change_status(
        organization=organization, action="suspend", reason=reason, actor=actor
    )


def organization_blacklist(*, organization: Organization, reason: str, actor) -> Organization:
    """Blacklist (科研失信). Freezing the organisation's open claims is the caller's job
    (vouchers), in the same transaction: wrap both in one `transaction.atomic()`."""
    return organization_change_status(
        organization=organization, action="blacklist", reason=reason, actor=actor
    )


@transaction.atomic
def user_create_staff(*, username: str, role: str, password: str, email: str = "",
                      actor=None) -> User:
    """A bureau or system user (no organisation). Only `admin` may use the Django admin."""
    errors = _Errors()
    if role not in STAFF_ROLES:
        errors.add(
            "role", f"Choose one of: {', '.join(sorted(str(r) for r in STAFF_ROLES))}."
        )
    _check_username(username, errors)
    _check_password(password, username=username, email=email, errors=errors)
    if errors:
        first_field, messages = next(iter(errors.fields.items()))
        raise DomainError("invalid", f"{first_field}: {messages[0]}", errors=errors.fields)
    is_admin = role == Role.ADMIN
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username,
                email=email,
                password=password,
                role=role,
                organization=None,
                is_staff=is_admin,
                is_superuser=is_admin,
            )
    except IntegrityError as exc:
        raise DomainError("conflict", "This username was taken at the same moment.") from exc
    audit_record(
        actor=actor,
        action="user.created",
        object_type="user",
        object_id=user.username,
        before=None,
        after={"username": user.username, "role": user.role, "is_staff": user.is_staff},
    )
    return user


# Deliberately not atomic: a failed attempt must leave its counter increment behind
# (accounts.backends updates it with its own statements).
def user_token_obtain(*, username: str, password: str, request=None) -> Token:
    """Sign in with username and password; the user's API token (created once)."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        remaining = user_lock_remaining(username=username)
        if remaining:
            minutes = max(1, -(-int(remaining.total_seconds()) // 60))
            raise DomainError(
                "account_locked",
                f"Too many failed sign-ins; try again in {minutes} minute(s).",
                retry_after=int(remaining.total_seconds()),
            )
        raise DomainError(
            "invalid",
            "Unable to sign in with these credentials.",
            errors={"non_field_errors": ["Unable to sign in with these credentials."]},
        )
    token, _ = Token.objects.get_or_create(user=user)
    return token
