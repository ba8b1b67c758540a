"""The application services' hot-path queries: the application lock, the controller
group's lock and its issued total (core.rows; every application and approval runs them)."""

import functools

from django.db import connection

from accounts import selectors as accounts_selectors
from accounts.models import Organization
from core import rows
from vouchers.models import Application, Programme


def issued_in_year(enterprise: Organization, year: int) -> int:
    """Face value issued in programmes of `year` to the enterprise's controller group."""
    group, params = accounts_selectors.controller_group_condition(enterprise, "v.enterprise_id")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(v.face_value), 0) FROM vouchers_voucher v"  # noqa: S608  (placeholders only)
            " JOIN vouchers_programme p ON p.id = v.programme_id"
            f" WHERE p.year = %s AND {group}",
            [year, *params],
        )
        return int(cursor.fetchone()[0])


def lock_application(application: Application) -> Application:
    """Lock the application (NO KEY UPDATE: inserts referencing it take KEY SHARE, which
    this lock does not block; ADR 0004) and load its programme and enterprise with it, in
    one statement. ORM: `Application.objects.select_related("programme", "enterprise")
    .select_for_update(no_key=True, of=("self",)).get(pk=…)`."""
    with connection.cursor() as cursor:
        cursor.execute(_lock_sql(connection.vendor), [application.pk])
        row = cursor.fetchone()
    if row is None:
        raise Application.DoesNotExist(f"application {application.pk}")
    locked, locked.programme, locked.enterprise = rows.build_all(
        (Application, Programme, Organization), row)
    return locked


@functools.cache
def _lock_sql(vendor: str) -> str:
    selected = ", ".join((rows.columns(Application, "a"), rows.columns(Programme, "p"),
                          rows.columns(Organization, "e")))
    return (
        f"SELECT {selected} FROM vouchers_application a"  # noqa: S608  (constant SQL)
        " JOIN vouchers_programme p ON p.id = a.programme_id"
        " JOIN accounts_organization e ON e.id = a.enterprise_id"
        " WHERE a.id = %s" + rows.lock_clause("a")
    )


def lock_controller_group(enterprise: Organization) -> None:
    """Serialise the cap checks of one controller group: its enterprises' rows, locked in
    id order (no deadlock between two members' approvals). Approvals for other groups run
    in parallel: the programme pool's limit flag alone guards the budget."""
    if connection.vendor != "postgresql":
        return  # SQLite: one writer at a time already
    group, params = accounts_selectors.controller_group_condition(enterprise, "id")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM accounts_organization WHERE {group}"  # noqa: S608
            " ORDER BY id" + rows.lock_clause("accounts_organization"), params)
