"""Database-level protection for append-only tables (audit events, ledger journals/entries).

Triggers refuse UPDATE, DELETE (and TRUNCATE on PostgreSQL) unless *maintenance mode* is on
for the current connection. Maintenance mode exists only so the test-suite can flush its
database between tests; production code never turns it on.

- PostgreSQL: the session setting `kjcxq.maintenance` = 'on'.
- SQLite: the per-connection SQL function `kjcxq_maintenance()` (registered in
  core.apps) returns 1. A connection without it (the sqlite3 shell) cannot call the
  function, so the trigger still refuses the change.

Use `append_only_operations(table)` inside a migration's `operations`.
"""

from django.db import connections, migrations

_sqlite_maintenance = {"on": False}


def sqlite_maintenance_flag() -> int:
    return 1 if _sqlite_maintenance["on"] else 0


def set_maintenance(on: bool, using: str = "default") -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('kjcxq.maintenance', %s, false)", ["on" if on else "off"]
            )
    else:
        _sqlite_maintenance["on"] = on


PG_FUNCTION = """
CREATE OR REPLACE FUNCTION kjcxq_refuse_change() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('kjcxq.maintenance', true), 'off') = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        IF TG_OP = 'TRUNCATE' THEN RETURN NULL; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'append-only table %: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql;
"""


def _pg_sql(table: str) -> tuple[str, str]:
    forward = f"""
        {PG_FUNCTION}
        CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION kjcxq_refuse_change();
        CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION kjcxq_refuse_change();
    """
    reverse = f"""
        DROP TRIGGER IF EXISTS {table}_append_only ON {table};
        DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
    """
    return forward, reverse


def _sqlite_sql(table: str) -> tuple[list[str], list[str]]:
    forward = [
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            WHEN kjcxq_maintenance() = 0
            BEGIN SELECT RAISE(ABORT, 'append-only table {table}: UPDATE refused'); END;""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            WHEN kjcxq_maintenance() = 0
            BEGIN SELECT RAISE(ABORT, 'append-only table {table}: DELETE refused'); END;""",
    ]
    reverse = [
        f"DROP TRIGGER IF EXISTS {table}_no_update;",
        f"DROP TRIGGER IF EXISTS {table}_no_delete;",
    ]
    return forward, reverse


def _run(statements):
    def apply(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements(vendor):
            schema_editor.execute(sql, params=None)

    return apply


def append_only_operations(table: str) -> list:
    def forward(vendor):
        if vendor == "postgresql":
            return [_pg_sql(table)[0]]
        return _sqlite_sql(table)[0]

    def reverse(vendor):
        if vendor == "postgresql":
            return [_pg_sql(table)[1]]
        return _sqlite_sql(table)[1]

    return [migrations.RunPython(_run(forward), _run(reverse))]
