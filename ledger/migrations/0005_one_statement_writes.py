"""One statement per write on PostgreSQL.

PostgreSQL: `ledger_change_balances()` replaces `ledger_apply_balances()`. It applies the
counter changes in ascending account id order, one UPDATE per account whose WHERE clause
re-checks the limit flags, and *raises* SQLSTATE LE001 (DETAIL = the account id) when an
UPDATE matches nothing, so the whole write statement fails atomically. That lets a
top-level write run as a single autocommit statement (one round trip), and a nested write
inside a savepoint.
"""

import importlib

from django.db import migrations

invariants = importlib.import_module("ledger.migrations.0002_database_invariants")

PG_FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_change_balances(
    p_ids bigint[], p_debits_posted bigint[], p_credits_posted bigint[],
    p_debits_pending bigint[], p_credits_pending bigint[]
) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    FOR r IN
        SELECT * FROM unnest(p_ids, p_debits_posted, p_credits_posted, p_debits_pending,
                             p_credits_pending) AS t(id, dp, cp, dpe, cpe)
        ORDER BY 1
    LOOP
        UPDATE ledger_account a SET
            debits_posted = a.debits_posted + r.dp,
            credits_posted = a.credits_posted + r.cp,
            debits_pending = a.debits_pending + r.dpe,
            credits_pending = a.credits_pending + r.cpe,
            version = a.version + 1
        WHERE a.id = r.id
          AND (NOT a.debits_must_not_exceed_credits
               OR a.debits_posted + r.dp + a.debits_pending + r.dpe <= a.credits_posted + r.cp)
          AND (NOT a.credits_must_not_exceed_debits
               OR a.credits_posted + r.cp + a.credits_pending + r.cpe <= a.debits_posted + r.dp);
        IF NOT FOUND THEN
            RAISE EXCEPTION 'ledger: account % would breach its limit, or does not exist', r.id
                USING ERRCODE = 'LE001', DETAIL = r.id::text;
        END IF;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

DROP FUNCTION IF EXISTS ledger_apply_balances(bigint[], bigint[], bigint[], bigint[], bigint[]);
"""


def _apply_balances_sql() -> str:
    """0002's ledger_apply_balances(), to restore it on the way back."""
    sql = invariants.PG_FORWARD
    start = sql.index("CREATE OR REPLACE FUNCTION ledger_apply_balances")
    end = sql.index("CREATE OR REPLACE FUNCTION ledger_check_journal")
    return sql[start:end]


PG_REVERSE = (
    _apply_balances_sql()
    + "\nDROP FUNCTION IF EXISTS ledger_change_balances(bigint[], bigint[], bigint[], "
    "bigint[], bigint[]);\n"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_journal_links_partial_unique")]

    operations = [migrations.RunPython(forward, reverse)]
