"""Programmes and their funding (appropriation)."""

import re
from datetime import date

from django.db import IntegrityError, transaction

from accounts.models import ServiceCategory
from accounts.regions import is_valid_region_code
from audit.services import audit_record
from core.errors import DomainError
from core.money import MAX_FEN, format_fen
from ledger import services as ledger_services
from vouchers import chart
from vouchers.models import Appropriation, Programme
from vouchers.services.common import Errors, actor_label, user_or_none

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,30}[A-Z0-9]$")
ENTERPRISE_CLASSES = ("high_tech", "sme_tech", "default")
YEARS = (2000, 2100)


def programme_snapshot(programme: Programme) -> dict:
    return {
        "code": programme.code,
        "name": programme.name,
        "region_code": programme.region_code,
        "year": programme.year,
        "application_opens": programme.application_opens,
        "application_closes": programme.application_closes,
        "valid_until": programme.valid_until,
        "claim_deadline": programme.claim_deadline,
        "enterprise_annual_cap": format_fen(programme.enterprise_annual_cap),
        "provider_annual_cap": format_fen(programme.provider_annual_cap),
        "ratios_bp": {c: programme.ratio_bp(c) for c in ENTERPRISE_CLASSES},
        "categories": programme.categories,
        "partner_regions": programme.partner_regions,
    }


def _validate(*, code, name, region_code, year, application_opens, application_closes,
              valid_until, claim_deadline, enterprise_annual_cap, provider_annual_cap,
              ratios, categories, partner_regions) -> None:
    errors = Errors()
    if not CODE_PATTERN.match(code):
        errors.add("code", "Use 3-32 capital letters, digits and dashes, e.g. CS-2026.")
    if not name.strip():
        errors.add("name", "This field may not be blank.")
    if not is_valid_region_code(region_code):
        errors.add("region_code", "Not a GB/T 2260 region code.")
    if not YEARS[0] <= year <= YEARS[1]:
        errors.add("year", f"Between {YEARS[0]} and {YEARS[1]}.")
    if application_closes < application_opens:
        errors.add("application_closes", "The window closes before it opens.")
    if valid_until < application_opens:
        errors.add("valid_until", "Vouchers would expire before the window opens.")
    if claim_deadline < application_opens:
        errors.add("claim_deadline", "The claim deadline is before the window opens.")
    for field, cap in (("enterprise_annual_cap", enterprise_annual_cap),
                       ("provider_annual_cap", provider_annual_cap)):
        if not 0 < cap <= MAX_FEN:
            errors.add(field, "Must be a positive amount.")
    if set(ratios) != set(ENTERPRISE_CLASSES):
        errors.add("ratios", f"Give exactly these classes: {', '.join(ENTERPRISE_CLASSES)}.")
    elif not all(isinstance(v, int) and 0 < v <= 10000 for v in ratios.values()):
        errors.add("ratios", "Each ratio is above 0 and at most 1.")
    if not categories:
        errors.add("categories", "Name at least one eligible service category.")
    elif any(c not in ServiceCategory.values for c in categories):
        errors.add("categories", f"Choose from: {', '.join(ServiceCategory.values)}.")
    elif len(set(categories)) != len(categories):
        errors.add("categories", "A category is listed twice.")
    if any(not is_valid_region_code(r) for r in partner_regions):
        errors.add("partner_regions", "Each partner region is a GB/T 2260 code.")
    elif region_code in partner_regions or len(set(partner_regions)) != len(partner_regions):
        errors.add("partner_regions", "List each partner once, not the programme's own region.")
    errors.raise_if_any()


@transaction.atomic
def programme_create(*, code: str, name: str, region_code: str, year: int,
                     application_opens: date, application_closes: date, valid_until: date,
                     claim_deadline: date, enterprise_annual_cap: int, provider_annual_cap: int,
                     ratios: dict[str, int], categories: list[str],
                     partner_regions: list[str] | None = None, actor=None) -> Programme:
    """A new programme with its ledger accounts; `ratios` are basis points (4000 = 0.40)."""
    code = (code or "").strip().upper()
    partner_regions = list(partner_regions or [])
    categories = list(categories or [])
    _validate(code=code, name=name or "", region_code=region_code, year=year,
              application_opens=application_opens, application_closes=application_closes,
              valid_until=valid_until, claim_deadline=claim_deadline,
              enterprise_annual_cap=enterprise_annual_cap,
              provider_annual_cap=provider_annual_cap, ratios=ratios,
              categories=categories, partner_regions=partner_regions)
    if Programme.objects.filter(code=code).exists():
        raise DomainError("invalid", "code: a programme with this code exists.",
                          errors={"code": ["A programme with this code exists."]})
    accounts = chart.open_programme_accounts(code)
    try:
        with transaction.atomic():
            programme = Programme.objects.create(
                code=code, name=name.strip(), region_code=region_code, year=year,
                application_opens=application_opens, application_closes=application_closes,
                valid_until=valid_until, claim_deadline=claim_deadline,
                enterprise_annual_cap=enterprise_annual_cap,
                provider_annual_cap=provider_annual_cap,
                ratio_high_tech_bp=ratios["high_tech"], ratio_sme_tech_bp=ratios["sme_tech"],
                ratio_default_bp=ratios["default"], categories=categories,
                partner_regions=partner_regions,
                appropriation_account=accounts[chart.APPROPRIATION],
                pool_account=accounts[chart.POOL], created_by=user_or_none(actor),
            )
    except IntegrityError as exc:  # a twin created at the same moment
        raise DomainError("invalid", "code: a programme with this code exists.",
                          errors={"code": ["A programme with this code exists."]}) from exc
    audit_record(actor=actor, action="programme.create", object_type="programme",
                 object_id=programme.code, before=None, after=programme_snapshot(programme))
    return programme


@transaction.atomic
def programme_fund(*, programme: Programme, amount: int, actor=None,
                   memo: str = "") -> Appropriation:
    """The finance bureau appropriates `amount` fen: Dr appropriation, Cr pool."""
    if not 0 < amount <= MAX_FEN:
        raise DomainError("invalid", "amount: must be positive.",
                          errors={"amount": ["Must be a positive amount."]})
    appropriation = Appropriation.objects.create(
        programme=programme, amount=amount, funded_by=user_or_none(actor), memo=memo[:500]
    )
    ledger_services.transfer(
        key=chart.fund_key(appropriation), kind="programme.fund",
        debit=programme.appropriation_account, credit=programme.pool_account, amount=amount,
        actor=actor_label(actor), memo=memo,
        metadata={"programme": programme.code, "appropriation": str(appropriation.public_id)},
    )
    audit_record(actor=actor, action="programme.fund", object_type="programme",
                 object_id=programme.code, before=None,
                 after={"appropriation": str(appropriation.public_id),
                        "amount": format_fen(amount), "memo": memo})
    return appropriation

