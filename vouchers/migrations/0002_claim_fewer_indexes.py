"""vouchers_claim: drop four indexes nothing needs (every claim UPDATE maintained them).

- `programme_id`, `provider_id`, `enterprise_id` each had an index of its own although the
  (x, status) indexes of `Claim.Meta.indexes` lead with the same column and serve lookups
  by it alone (filters, and PostgreSQL's checks of the PROTECT foreign keys).
- `invoice_number_normalised` was `unique=True`, which on PostgreSQL also creates a
  `varchar_pattern_ops` index for LIKE; the column is only ever compared by equality. It
  becomes a `UniqueConstraint` with the name the UNIQUE constraint already had: in the
  database only the LIKE index goes (the constraint stays, no index is rebuilt). SQLite
  has no LIKE index; its inline UNIQUE is the same constraint, so nothing changes there.
"""

from django.db import migrations, models

LIKE_INDEX = "vouchers_claim_invoice_number_normalised_d2deade6_like"


def drop_like_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {LIKE_INDEX}")


def create_like_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {LIKE_INDEX} ON vouchers_claim "
            "(invoice_number_normalised varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("vouchers", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="claim",
            name="programme",
            field=models.ForeignKey(
                db_index=False, on_delete=models.deletion.PROTECT, related_name="claims",
                to="vouchers.programme",
            ),
        ),
        migrations.AlterField(
            model_name="claim",
            name="provider",
            field=models.ForeignKey(
                db_index=False, on_delete=models.deletion.PROTECT, related_name="claims",
                to="accounts.organization",
            ),
        ),
        migrations.AlterField(
            model_name="claim",
            name="enterprise",
            field=models.ForeignKey(
                db_index=False, on_delete=models.deletion.PROTECT, related_name="+",
                to="accounts.organization",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="claim",
                    name="invoice_number_normalised",
                    field=models.CharField(max_length=64),
                ),
                migrations.AddConstraint(
                    model_name="claim",
                    constraint=models.UniqueConstraint(
                        fields=["invoice_number_normalised"],
                        name="vouchers_claim_invoice_number_normalised_key",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_like_index, create_like_index)],
        ),
    ]
