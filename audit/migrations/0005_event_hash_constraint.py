"""audit_auditevent.hash: a UniqueConstraint instead of `unique=True`.

`unique=True` on a CharField also gives PostgreSQL a `varchar_pattern_ops` index for LIKE,
which nothing uses (hashes are compared by equality). The constraint keeps the name it had,
so in the database only the LIKE index goes; nothing is rebuilt. SQLite has no LIKE index
and its inline UNIQUE is the same constraint: nothing changes there, and the event table is
not rebuilt (a rebuild would drop its append-only triggers, see 0004).
"""

from django.db import migrations, models

LIKE_INDEX = "audit_auditevent_hash_d0c402da_like"


def drop_like_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {LIKE_INDEX}")


def create_like_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {LIKE_INDEX} ON audit_auditevent "
            "(hash varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_audit_lanes")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="hash",
                    field=models.CharField(max_length=64),
                ),
                migrations.AddConstraint(
                    model_name="auditevent",
                    constraint=models.UniqueConstraint(
                        fields=["hash"], name="audit_auditevent_hash_key"
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_like_index, create_like_index)],
        ),
    ]
