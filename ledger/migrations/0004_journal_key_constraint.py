"""ledger_journal.idempotency_key: a UniqueConstraint instead of `unique=True`.

`unique=True` on a CharField also gives PostgreSQL a `varchar_pattern_ops` index for LIKE,
which nothing uses (keys are compared by equality, and the write's ON CONFLICT arbiter is
the UNIQUE constraint). The constraint keeps the name it had, so in the database only the
LIKE index goes; nothing is rebuilt. SQLite has no LIKE index and its inline UNIQUE is the
same constraint: nothing changes there, and in particular ledger_journal is not rebuilt
(a rebuild would drop the ledger's triggers, see 0002).
"""

from django.db import migrations, models

LIKE_INDEX = "ledger_journal_idempotency_key_d0d03436_like"


def drop_like_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {LIKE_INDEX}")


def create_like_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {LIKE_INDEX} ON ledger_journal "
            "(idempotency_key varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_limit_breach_detail")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="journal",
                    name="idempotency_key",
                    field=models.CharField(max_length=255),
                ),
                migrations.AddConstraint(
                    model_name="journal",
                    constraint=models.UniqueConstraint(
                        fields=["idempotency_key"], name="ledger_journal_idempotency_key_key"
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_like_index, create_like_index)],
        ),
    ]
