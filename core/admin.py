from django.contrib import admin

from core.models import IdempotencyRecord


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    """Read-only: a stored response is evidence of what a client was told."""

    list_display = ["created_at", "principal", "key", "method", "path", "state", "response_status"]
    list_filter = ["state", "method"]
    search_fields = ["key", "principal", "path"]
    exclude = ["response_body"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
