"""`ledger_limit_breached` reports the account it names (code, owner, limit, available).

Why: a caller that posts inside its own transaction without a savepoint (the voucher
services, to save two round trips per posting) cannot read the account after the refusal,
because PostgreSQL has aborted the transaction. The function runs after the failed UPDATE,
in a fresh snapshot (a VOLATILE PL/pgSQL function under READ COMMITTED), so `available`
is what the refused UPDATE saw. DETAIL is JSON; an unknown account gives {"id": n}.
"""

from django.db import migrations

PG_FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_limit_breached(p_account_id bigint) RETURNS bigint
LANGUAGE plpgsql STRICT AS $$
DECLARE
    a record;
    detail jsonb;
BEGIN
    SELECT * INTO a FROM ledger_account WHERE id = p_account_id;
    IF NOT FOUND THEN
        detail := jsonb_build_object('id', p_account_id);
    ELSE
        detail := jsonb_build_object(
            'id', a.id, 'code', a.code, 'owner_ref', a.owner_ref,
            'limit', CASE
                WHEN a.debits_must_not_exceed_credits THEN 'debits_must_not_exceed_credits'
                WHEN a.credits_must_not_exceed_debits THEN 'credits_must_not_exceed_debits'
                ELSE '' END,
            'available', CASE
                WHEN a.debits_must_not_exceed_credits
                    THEN a.credits_posted - a.debits_posted - a.debits_pending
                WHEN a.credits_must_not_exceed_debits
                    THEN a.debits_posted - a.credits_posted - a.credits_pending
                ELSE 0 END);
    END IF;
    RAISE EXCEPTION 'ledger: account % would breach its limit, or does not exist',
        p_account_id USING ERRCODE = 'LE001', DETAIL = detail::text;
END
$$;
"""

PG_REVERSE = r"""
CREATE OR REPLACE FUNCTION ledger_limit_breached(p_account_id bigint) RETURNS bigint
LANGUAGE plpgsql STRICT AS $$
BEGIN
    RAISE EXCEPTION 'ledger: account % would breach its limit, or does not exist',
        p_account_id USING ERRCODE = 'LE001', DETAIL = p_account_id::text;
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
