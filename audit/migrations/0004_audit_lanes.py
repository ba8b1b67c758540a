"""Lanes (ADR 0008): the audit trail becomes 16 independent hash chains.

The existing head row becomes lane 0 and the existing events lane 0 (their seq, links and
hashes are lane 0's chain as they stand); lanes 1..15 get heads at genesis. `seq` becomes
unique per lane, and events are listed in `id` order.

On SQLite, altering the event table rebuilds it, and the rebuild drops its append-only
triggers (core.append_only). The last operation therefore drops whatever triggers are
left and creates them again, on both databases, so the table ends armed exactly as
migration 0002 left it (on PostgreSQL ALTER TABLE keeps triggers; re-creating them is
harmless). Going back re-arms it the same way, after the reverse rebuild.
"""

from django.db import migrations, models
from django.db.migrations.exceptions import IrreversibleError

from core.append_only import append_only_operations

GENESIS_HASH = "0" * 64
LANES = 16  # audit.chain.AUDIT_LANES when this was written; changing it needs a migration
EVENTS = "audit_auditevent"


def arm_triggers(apps, schema_editor):
    """Drop the event table's append-only triggers if present, then create them."""
    for operation in append_only_operations(EVENTS):
        operation.reverse_code(apps, schema_editor)
        operation.code(apps, schema_editor)


def create_lane_heads(apps, schema_editor):
    head_model = apps.get_model("audit", "AuditChainHead")
    # AddField gave the existing head row (id 1, from 0002) lane 0. Head ids are lane + 1,
    # given explicitly: 0002 gave id 1 explicitly too, so PostgreSQL's id sequence never
    # moved and would hand out 1 again.
    for lane in range(LANES):
        head_model.objects.get_or_create(lane=lane, defaults={
            "id": lane + 1, "seq": 0, "hash": GENESIS_HASH, "prev_hash": GENESIS_HASH,
        })


def remove_lane_heads(apps, schema_editor):
    if apps.get_model("audit", "AuditEvent").objects.filter(lane__gt=0).exists():
        raise IrreversibleError("audit events in lanes 1..15 cannot become one chain again")
    apps.get_model("audit", "AuditChainHead").objects.filter(lane__gt=0).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0003_chain_head_prev_hash"),
    ]

    operations = [
        # Reversed last: re-arm the triggers the reverse rebuild dropped.
        migrations.RunPython(migrations.RunPython.noop, arm_triggers),
        migrations.AlterModelOptions(
            name="auditevent",
            options={"ordering": ["id"]},
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="lane",
            field=models.SmallIntegerField(default=0, unique=True),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="lane",
            field=models.SmallIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("lane", "seq"), name="audit_event_lane_seq_unique"
            ),
        ),
        migrations.RunPython(create_lane_heads, remove_lane_heads),
        migrations.RunPython(arm_triggers, migrations.RunPython.noop),
    ]
