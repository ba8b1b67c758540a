"""The journal check looks up each entry's currency by primary key.

0002 joined the journal's entries to ledger_account; PL/pgSQL caches a generic plan for
that query, and on a busy ledger the planner chose a hash join that scanned every account
(0.7 ms per journal at 1,000 accounts, growing with the chart). A scalar subquery per entry
keeps it two index lookups, whatever the size of the chart. Same rules, same messages.
"""

from django.db import migrations

PG_FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_check_journal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n_entries bigint;
    n_unbalanced bigint;
    n_posted bigint;
    n_held bigint;
    n_released bigint;
BEGIN
    SELECT coalesce(sum(g.n), 0), count(*) FILTER (WHERE g.net <> 0),
           coalesce(sum(g.posted), 0), coalesce(sum(g.held), 0), coalesce(sum(g.released), 0)
      INTO n_entries, n_unbalanced, n_posted, n_held, n_released
      FROM (SELECT count(*) AS n,
                   sum(CASE WHEN e.side = 'debit' THEN e.amount ELSE -e.amount END) AS net,
                   count(*) FILTER (WHERE NOT e.pending) AS posted,
                   count(*) FILTER (WHERE e.pending AND NOT e.release) AS held,
                   count(*) FILTER (WHERE e.release) AS released
              FROM ledger_entry e
             WHERE e.journal_id = NEW.id
             GROUP BY (SELECT a.currency FROM ledger_account a WHERE a.id = e.account_id),
                      e.pending) g;
    IF n_entries < 2 THEN
        RAISE EXCEPTION 'ledger: journal % has % entries; at least two are required',
            NEW.id, n_entries USING ERRCODE = 'check_violation';
    END IF;
    IF n_unbalanced > 0 THEN
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
"""

PG_REVERSE = r"""
CREATE OR REPLACE FUNCTION ledger_check_journal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n_entries bigint;
    n_unbalanced bigint;
    n_posted bigint;
    n_held bigint;
    n_released bigint;
BEGIN
    SELECT coalesce(sum(g.n), 0), count(*) FILTER (WHERE g.net <> 0),
           coalesce(sum(g.posted), 0), coalesce(sum(g.held), 0), coalesce(sum(g.released), 0)
      INTO n_entries, n_unbalanced, n_posted, n_held, n_released
      FROM (SELECT count(*) AS n,
                   sum(CASE WHEN e.side = 'debit' THEN e.amount ELSE -e.amount END) AS net,
                   count(*) FILTER (WHERE NOT e.pending) AS posted,
                   count(*) FILTER (WHERE e.pending AND NOT e.release) AS held,
                   count(*) FILTER (WHERE e.release) AS released
              FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id
             WHERE e.journal_id = NEW.id
             GROUP BY a.currency, e.pending) g;
    IF n_entries < 2 THEN
        RAISE EXCEPTION 'ledger: journal % has % entries; at least two are required',
            NEW.id, n_entries USING ERRCODE = 'check_violation';
    END IF;
    IF n_unbalanced > 0 THEN
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
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_database_invariants")]

    operations = [migrations.RunPython(forward, reverse)]
