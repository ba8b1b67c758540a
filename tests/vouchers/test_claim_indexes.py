"""The indexes of vouchers_claim (and the unique keys that replaced `unique=True`).

Every claim UPDATE maintains every index of the table, so it has none it does not need
(vouchers migration 0002): the programme, provider and enterprise foreign keys have no
index of their own and rely on the (x, status) indexes, which lead with the same column.
"""

import pytest
from django.db import connection

from audit.models import AuditEvent
from ledger.models import Journal
from vouchers.models import Claim

pytestmark = pytest.mark.django_db


def _constraints(model):
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, model._meta.db_table)


def test_every_claim_foreign_key_leads_an_index():
    """Lookups by a foreign key, and PostgreSQL's checks of PROTECT, need an index on it."""
    leading = {c["columns"][0] for c in _constraints(Claim).values()
               if (c["index"] or c["unique"]) and c["columns"]}
    fk_columns = {f.column for f in Claim._meta.concrete_fields if f.is_relation}
    assert fk_columns <= leading, fk_columns - leading
    single = {c["columns"][0] for c in _constraints(Claim).values()
              if c["index"] and not c["unique"] and len(c["columns"]) == 1}
    assert not single & {"programme_id", "provider_id", "enterprise_id"}


@pytest.mark.parametrize("model, column, name", [
    (Claim, "invoice_number_normalised", "vouchers_claim_invoice_number_normalised_key"),
    (Journal, "idempotency_key", "ledger_journal_idempotency_key_key"),
    (AuditEvent, "hash", "audit_auditevent_hash_key"),
])
def test_equality_only_keys_are_unique_with_no_like_index(model, column, name):
    constraints = _constraints(model)
    on_column = {n: c for n, c in constraints.items() if c["columns"] == [column]}
    assert [n for n, c in on_column.items() if c["unique"]], on_column
    if connection.vendor == "postgresql":
        # the name the services match on (vouchers.services.claims: duplicate_invoice)
        assert on_column[name]["unique"]
        assert list(on_column) == [name], "only the unique index: no varchar_pattern_ops one"
    else:
        assert not [n for n, c in on_column.items() if not c["unique"]]
