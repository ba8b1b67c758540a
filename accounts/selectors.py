"""Reads on users and organisations that other apps rely on (vouchers codes against these)."""

import uuid
from datetime import date, timedelta

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import STAFF_ROLES, Organization, Shareholding, User
from core.errors import DomainError

# "Holds ≥ 25 %" of the other organisation (SPEC §3), in hundredths of a percent.
RELATED_HOLDING_HUNDREDTHS = 2500


class EnterpriseClass:
    HIGH_TECH = "high_tech"
    SME_TECH = "sme_tech"
    DEFAULT = "default"


def enterprise_class_on(org: Organization, on: date) -> str:
    """The subsidy class on a date: high-tech certificate valid that day, else a 科技型中小企业
    registration for that calendar year, else default."""
    if org.high_tech_certificate and org.high_tech_valid_until and org.high_tech_valid_until >= on:
        return EnterpriseClass.HIGH_TECH
    if org.sme_tech_number and org.sme_tech_year == on.year:
        return EnterpriseClass.SME_TECH
    return EnterpriseClass.DEFAULT


def is_qualified(org: Organization, *, year: int, on: date) -> bool:
    """May apply in programme `year`: registered as 科技型中小企业 for that year, or holding a
    高新技术企业 certificate still valid on `on`."""
    if org.sme_tech_number and org.sme_tech_year == year:
        return True
    return bool(
        org.high_tech_certificate
        and org.high_tech_valid_until
        and org.high_tech_valid_until >= on
    )


def controller_group(org: Organization) -> QuerySet[Organization]:
    """The organisation and every enterprise under the same actual controller (they share
    one annual cap). Without a recorded controller, the organisation alone."""
    if not org.actual_controller_ref:
        return Organization.objects.filter(pk=org.pk)
    return Organization.objects.filter(
        Q(pk=org.pk)
        | Q(kind=Organization.Kind.ENTERPRISE, actual_controller_ref=org.actual_controller_ref)
    )


def controller_group_condition(org: Organization, column: str) -> tuple[str, list]:
    """`controller_group` as a raw SQL condition on `column` (an organisation id), for the
    hot paths written in SQL (core.rows explains why). Same definition as above."""
    if not org.actual_controller_ref:
        return f"{column} = %s", [org.pk]
    return (
        f"{column} IN (SELECT id FROM {Organization._meta.db_table} WHERE id = %s"  # noqa: S608
        " OR (kind = %s AND actual_controller_ref = %s))",
        [org.pk, Organization.Kind.ENTERPRISE.value, org.actual_controller_ref],
    )


def _people_in_control(org: Organization) -> set[str]:
    return {ref for ref in (org.legal_representative_ref, org.actual_controller_ref) if ref}


def _parties(org: Organization) -> set[str]:
    """Who "is" this side for the 25 % test: the organisation, its legal representative,
    its actual controller."""
    return {org.party_ref} | _people_in_control(org)


def are_related_parties(a: Organization, b: Organization) -> bool:
    """SPEC §3 related parties, at most one query.

    Related when: the same organisation; the same legal representative; the same actual
    controller; one side's legal representative is the other's actual controller (the
    same person in control of both); one organisation is the other's actual controller;
    or one side (the organisation, its legal representative or its actual controller)
    holds at least 25 % of the other organisation — checked in both directions.
    """
    if a.pk == b.pk:
        return True
    if _people_in_control(a) & _people_in_control(b):
        return True
    if a.actual_controller_ref == b.party_ref or b.actual_controller_ref == a.party_ref:
        return True
    # Raw SQL: this runs on every claim submission (core.rows explains why).
    holders_a, holders_b = sorted(_parties(a)), sorted(_parties(b))
    sql = (
        f"SELECT 1 FROM {Shareholding._meta.db_table} WHERE percent_hundredths >= %s AND ("  # noqa: S608
        f"(organization_id = %s AND holder_ref IN ({', '.join(['%s'] * len(holders_a))})) OR "
        f"(organization_id = %s AND holder_ref IN ({', '.join(['%s'] * len(holders_b))})))"
        " LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [RELATED_HOLDING_HUNDREDTHS, b.pk, *holders_a, a.pk, *holders_b])
        return cursor.fetchone() is not None


def organizations_visible_to(user) -> QuerySet[Organization]:
    """Staff see every organisation; a member sees only their own; anyone else nothing."""
    if not (user and user.is_authenticated):
        return Organization.objects.none()
    if user.role in STAFF_ROLES:
        return Organization.objects.all()
    if user.organization_id is None:
        return Organization.objects.none()
    return Organization.objects.filter(pk=user.organization_id)


def organization_get_visible(*, user, public_id) -> Organization:
    """One organisation by public id; others' organisations are `not_found`."""
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        raise DomainError("not_found", "No such organisation.") from None
    organization = organizations_visible_to(user).filter(public_id=public_id).first()
    if organization is None:
        raise DomainError("not_found", "No such organisation.")
    return organization


def user_lock_remaining(*, username: str) -> timedelta | None:
    """How long the account stays locked after failed sign-ins, or None if it is not."""
    locked_until = (
        User.objects.filter(username=username).values_list("locked_until", flat=True).first()
    )
    if locked_until is None:
        return None
    remaining = locked_until - timezone.now()
    return remaining if remaining > timedelta(0) else None
