from django.db import migrations

from audit.chain import GENESIS_HASH
from core.append_only import append_only_operations


def create_head(apps, schema_editor):
    apps.get_model("audit", "AuditChainHead").objects.get_or_create(
        pk=1, defaults={"seq": 0, "hash": GENESIS_HASH}
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        *append_only_operations("audit_auditevent"),
        migrations.RunPython(create_head, migrations.RunPython.noop),
    ]
