"""The ledger's invariants, enforced by the database itself (PostgreSQL and SQLite).

- journals and entries are append-only (no UPDATE, DELETE, TRUNCATE; core.append_only);
- a journal has at least two entries, which balance per currency and per bucket
  (posted / pending); a hold posts nothing; only a resolution releases a hold, and it
  releases exactly that hold and posts no more than it held (a void posts nothing);
  a reversal mirrors exactly the posted entries of the journal it reverses;
- entries can be added only in the transaction that creates their journal;
- limit flags, non-negative counters and the currencies of accounts and entries are CHECK
  constraints on the rows (migration 0001); each pending journal is resolved, and each
  journal reversed, at most once (partial unique indexes, migration 0001).

PostgreSQL: a deferred constraint trigger checks each journal once, at commit, in one pass
over its entries (each entry carries its currency, so no account row is read; several
currencies, not possible today, fall back to a check per currency); an after-statement
trigger on entries compares the journal's `created_txid` (a column the ORM does not know,
defaulting to txid_current()) with the inserting transaction's. The write statement changes
the balances itself (a CTE locks the touched accounts in ascending id order, the UPDATE joins
it); `ledger_limit_breached(id)` raises SQLSTATE LE001 (DETAIL = the account id) when an
account's UPDATE matched nothing (limit, or no such account), so the whole statement fails.

SQLite has no deferred triggers: the journal row is written *after* its entries and its
insert trigger checks them (the row seals the journal); an entry for a journal that already
exists is refused; an entry whose journal never arrives fails the deferred foreign key at
commit. SQLite alters a table by rebuilding it, which drops the table's triggers: a later
migration that alters ledger_journal or ledger_entry must drop these triggers before and
create them again after.
"""

from django.db import migrations

from core.append_only import append_only_operations

PG_FORWARD = r"""
ALTER TABLE ledger_journal ADD COLUMN created_txid bigint NOT NULL DEFAULT txid_current();

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
    -- One pass over the journal's entries (index on journal_id). Several currencies (not
    -- possible today: accounts and entries are CNY) fall back to a check per currency.
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
      FROM ledger_entry e WHERE e.journal_id = NEW.id;
    IF n_entries < 2 THEN
        RAISE EXCEPTION 'ledger: journal % has % entries; at least two are required',
            NEW.id, n_entries USING ERRCODE = 'check_violation';
    END IF;
    IF currency_min IS DISTINCT FROM currency_max THEN
        IF EXISTS (
            SELECT 1 FROM ledger_entry x WHERE x.journal_id = NEW.id
             GROUP BY x.currency, x.pending
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

CREATE CONSTRAINT TRIGGER ledger_journal_balanced
    AFTER INSERT ON ledger_journal DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_journal();

CREATE OR REPLACE FUNCTION ledger_entry_in_open_journal() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM ledger_new_entries n
          LEFT JOIN ledger_journal j ON j.id = n.journal_id
         WHERE j.id IS NULL OR j.created_txid <> txid_current()
    ) THEN
        RAISE EXCEPTION 'ledger: entries can only be added in the transaction that creates '
                        'their journal' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER ledger_entry_in_open_journal
    AFTER INSERT ON ledger_entry REFERENCING NEW TABLE AS ledger_new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entry_in_open_journal();

CREATE OR REPLACE FUNCTION ledger_limit_breached(p_account_id bigint) RETURNS bigint
LANGUAGE plpgsql STRICT AS $$
BEGIN
    RAISE EXCEPTION 'ledger: account % would breach its limit, or does not exist',
        p_account_id USING ERRCODE = 'LE001', DETAIL = p_account_id::text;
END
$$;

"""

PG_REVERSE = r"""
DROP FUNCTION IF EXISTS ledger_limit_breached(bigint);
DROP TRIGGER IF EXISTS ledger_entry_in_open_journal ON ledger_entry;
DROP FUNCTION IF EXISTS ledger_entry_in_open_journal();
DROP TRIGGER IF EXISTS ledger_journal_balanced ON ledger_journal;
DROP FUNCTION IF EXISTS ledger_check_journal();
ALTER TABLE ledger_journal DROP COLUMN IF EXISTS created_txid;
"""

SQLITE_FORWARD = [
    r"""
CREATE TRIGGER ledger_entry_in_open_journal BEFORE INSERT ON ledger_entry
WHEN EXISTS (SELECT 1 FROM ledger_journal WHERE id = NEW.journal_id)
BEGIN
    SELECT RAISE(ABORT, 'ledger: entries can only be added in the transaction that creates their journal');
END;
""",
    r"""
CREATE TRIGGER ledger_journal_balanced BEFORE INSERT ON ledger_journal
BEGIN
    SELECT RAISE(ABORT, 'ledger: a journal needs at least two entries')
     WHERE (SELECT count(*) FROM ledger_entry WHERE journal_id = NEW.id) < 2;
    SELECT RAISE(ABORT, 'ledger: the entries of the journal do not balance')
     WHERE EXISTS (
        SELECT 1 FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id
         WHERE e.journal_id = NEW.id
         GROUP BY a.currency, e.pending
        HAVING sum(CASE WHEN e.side = 'debit' THEN e.amount ELSE -e.amount END) <> 0);
    SELECT RAISE(ABORT, 'ledger: a hold may only hold')
     WHERE NEW.pending AND EXISTS (
        SELECT 1 FROM ledger_entry WHERE journal_id = NEW.id AND (NOT pending OR release));
    SELECT RAISE(ABORT, 'ledger: a journal that is not a hold holds')
     WHERE NOT NEW.pending AND EXISTS (
        SELECT 1 FROM ledger_entry WHERE journal_id = NEW.id AND pending AND NOT release);
    SELECT RAISE(ABORT, 'ledger: a journal releases a hold it does not resolve')
     WHERE NEW.resolves_id IS NULL AND EXISTS (
        SELECT 1 FROM ledger_entry WHERE journal_id = NEW.id AND release);
    SELECT RAISE(ABORT, 'ledger: a resolution resolves a journal that is not a hold')
     WHERE NEW.resolves_id IS NOT NULL
       AND NOT coalesce((SELECT pending FROM ledger_journal WHERE id = NEW.resolves_id), 0);
    SELECT RAISE(ABORT, 'ledger: a resolution must release exactly its hold')
     WHERE NEW.resolves_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM (
            SELECT account_id, side, amount AS v FROM ledger_entry
             WHERE journal_id = NEW.resolves_id
            UNION ALL
            SELECT account_id, side, -amount FROM ledger_entry
             WHERE journal_id = NEW.id AND release
        ) GROUP BY account_id, side HAVING sum(v) <> 0);
    SELECT RAISE(ABORT, 'ledger: a void posts nothing')
     WHERE NEW.resolution = 'void' AND EXISTS (
        SELECT 1 FROM ledger_entry WHERE journal_id = NEW.id AND NOT pending);
    SELECT RAISE(ABORT, 'ledger: a post cannot exceed its hold')
     WHERE NEW.resolves_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM ledger_entry WHERE journal_id = NEW.id
         GROUP BY account_id, side
        HAVING sum(CASE WHEN pending THEN 0 ELSE amount END)
             > sum(CASE WHEN release THEN amount ELSE 0 END));
    SELECT RAISE(ABORT, 'ledger: a reversal must mirror the posted entries it reverses')
     WHERE NEW.reverses_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM (
            SELECT account_id, side, amount AS v FROM ledger_entry
             WHERE journal_id = NEW.reverses_id AND NOT pending
            UNION ALL
            SELECT account_id, CASE side WHEN 'debit' THEN 'credit' ELSE 'debit' END, -amount
              FROM ledger_entry WHERE journal_id = NEW.id
        ) GROUP BY account_id, side HAVING sum(v) <> 0);
END;
""",
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS ledger_entry_in_open_journal;",
    "DROP TRIGGER IF EXISTS ledger_journal_balanced;",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    else:
        for sql in SQLITE_FORWARD:
            schema_editor.execute(sql, params=None)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)
    else:
        for sql in SQLITE_REVERSE:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        *append_only_operations("ledger_journal"),
        *append_only_operations("ledger_entry"),
        migrations.RunPython(forward, reverse),
    ]
