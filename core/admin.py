from django.contrib import admin

from core.models import IdempotencyRecord


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that are history or evidence: they change only through services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    """Read-only: a stored response is evidence of what a client was told."""

    list_display = ["created_at", "principal", "key", "method", "path", "state", "response_status"]
    list_filter = ["state", "method"]
    search_fields = ["key", "principal", "path"]
    exclude = ["response_body"]

    def has_delete_permission(self, request, obj=None):
        # An operator may release a key stuck `in_progress` by a crash (ADR 0007).
        return request.user.is_superuser and (obj is None or obj.state != obj.State.DONE)
