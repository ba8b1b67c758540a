from django.contrib import admin

from audit.models import AuditEvent
from core.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "lane", "seq", "occurred_at", "actor", "action", "object_type",
                    "object_id"]
    list_filter = ["action", "object_type", "lane"]
    search_fields = ["object_id", "actor"]
