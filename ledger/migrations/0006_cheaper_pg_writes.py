"""Cheaper writes on PostgreSQL: the journal check in one pass, balances in plain SQL.

- `ledger_check_journal()` reads the journal's entries once (no GROUP BY, no sort) and
  only groups by currency if the entries have more than one. Same rules, same messages.
- The write statement now changes the balances itself: a CTE locks the touched accounts
  `ORDER BY id FOR UPDATE` and the UPDATE joins that CTE, so rows are locked in ascending
  id order whatever plan is chosen (an account is updated only after the lock CTE has
  emitted it, and it emits in id order). `ledger_limit_breached(id)` raises SQLSTATE LE001
  when an account's UPDATE matched nothing (limit, or no such account); it replaces
  `ledger_change_balances()`, whose PL/pgSQL loop cost more than the UPDATE.
"""

import importlib

from django.db import migrations

previous = importlib.import_module("ledger.migrations.0005_one_statement_writes")
check_0003 = importlib.import_module("ledger.migrations.0003_journal_check_by_primary_key")

PG_FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_check_journal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n_entries bigint;
    net_posted numeric;
    net_pending numeric;
    n_posted bigint;
    n_held bigint;
    n_released bigint;
    currency_min varchar;
    currency_max varchar;
BEGIN
    -- One pass over the journal's entries (index on journal_id); each entry's currency by
    -- primary key. Several currencies (not possible today: accounts are CNY) fall back to
    -- a check per currency.
    SELECT count(*),
           coalesce(sum(CASE WHEN e.side = 'debit' THEN e.amount ELSE -e.amount END)
                    FILTER (WHERE NOT e.pending), 0),
           coalesce(sum(CASE WHEN e.side = 'debit' THEN e.amount ELSE -e.amount END)
                    FILTER (WHERE e.pending), 0),
           count(*) FILTER (WHERE NOT e.pending),
           count(*) FILTER (WHERE e.pending AND NOT e.release),
           count(*) FILTER (WHERE e.release),
           min(e.currency), max(e.currency)
      INTO n_entries, net_posted, net_pending, n_posted, n_held, n_released,
           currency_min, currency_max
      FROM (SELECT x.side, x.amount, x.pending, x.release,
                   (SELECT a.currency FROM ledger_account a WHERE a.id = x.account_id)
                       AS currency
              FROM ledger_entry x WHERE x.journal_id = NEW.id) e;
    IF n_entries < 2 THEN
        RAISE EXCEPTION 'ledger: journal % has % entries; at least two are required',
            NEW.id, n_entries USING ERRCODE = 'check_violation';
    END IF;
    IF currency_min IS DISTINCT FROM currency_max THEN
        IF EXISTS (
            SELECT 1 FROM ledger_entry x WHERE x.journal_id = NEW.id
             GROUP BY (SELECT a.currency FROM ledger_account a WHERE a.id = x.account_id),
                      x.pending
            HAVING sum(CASE WHEN x.side = 'debit' THEN x.amount ELSE -x.amount END) <> 0
        ) THEN
            RAISE EXCEPTION 'ledger: the entries of journal % do not balance', NEW.id
                USING ERRCODE = 'check_violation';
        END IF;
    ELSIF net_posted <> 0 OR net_pending <> 0 THEN
        RAISE EXCEPTION 'ledger: the entries of journal % do not balance', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.pending AND (n_posted > 0 OR n_released > 0) THEN
        RAISE EXCEPTION 'ledger: hold % may only hold', NEW.id USING ERRCODE = 'check_violation';
    END IF;
    IF NOT NEW.pending AND n_held > 0 THEN
        RAISE EXCEPTION 'ledger: journal % is not a hold but holds', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.resolves_id IS NULL AND n_released > 0 THEN
        RAISE EXCEPTION 'ledger: journal % releases a hold it does not resolve', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.resolves_id IS NOT NULL THEN
        IF NOT coalesce((SELECT pending FROM ledger_journal WHERE id = NEW.resolves_id), false)
        THEN
            RAISE EXCEPTION 'ledger: journal % resolves journal %, which is not a hold',
                NEW.id, NEW.resolves_id USING ERRCODE = 'check_violation';
        END IF;
        IF EXISTS (
            SELECT 1 FROM (
                SELECT account_id, side, amount AS v FROM ledger_entry
                 WHERE journal_id = NEW.resolves_id
                UNION ALL
                SELECT account_id, side, -amount FROM ledger_entry
                 WHERE journal_id = NEW.id AND release
            ) m GROUP BY account_id, side HAVING sum(v) <> 0
        ) THEN
            RAISE EXCEPTION 'ledger: journal % does not release exactly hold %',
                NEW.id, NEW.resolves_id USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.resolution = 'void' AND n_posted > 0 THEN
            RAISE EXCEPTION 'ledger: void % posts something', NEW.id
                USING ERRCODE = 'check_violation';
        END IF;
        IF EXISTS (
            SELECT 1 FROM ledger_entry WHERE journal_id = NEW.id
             GROUP BY account_id, side
            HAVING sum(CASE WHEN pending THEN 0 ELSE amount END)
                 > sum(CASE WHEN release THEN amount ELSE 0 END)
        ) THEN
            RAISE EXCEPTION 'ledger: journal % posts more than hold % held',
                NEW.id, NEW.resolves_id USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF NEW.reverses_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM (
            SELECT account_id, side, amount AS v FROM ledger_entry
             WHERE journal_id = NEW.reverses_id AND NOT pending
            UNION ALL
            SELECT account_id, CASE side WHEN 'debit' THEN 'credit' ELSE 'debit' END, -amount
              FROM ledger_entry WHERE journal_id = NEW.id
        ) m GROUP BY account_id, side HAVING sum(v) <> 0
    ) THEN
        RAISE EXCEPTION 'ledger: journal % does not mirror journal %', NEW.id, NEW.reverses_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION ledger_limit_breached(p_account_id bigint) RETURNS bigint
LANGUAGE plpgsql STRICT AS $$
BEGIN
    RAISE EXCEPTION 'ledger: account % would breach its limit, or does not exist',
        p_account_id USING ERRCODE = 'LE001', DETAIL = p_account_id::text;
END
$$;

DROP FUNCTION IF EXISTS ledger_change_balances(bigint[], bigint[], bigint[], bigint[], bigint[]);
"""


def _change_balances_sql() -> str:
    sql = previous.PG_FORWARD
    return sql[: sql.index("DROP FUNCTION IF EXISTS ledger_apply_balances")]


PG_REVERSE = (
    check_0003.PG_FORWARD
    + _change_balances_sql()
    + "\nDROP FUNCTION IF EXISTS ledger_limit_breached(bigint);\n"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_one_statement_writes")]

    operations = [migrations.RunPython(forward, reverse)]
