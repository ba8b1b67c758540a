from django.contrib import admin

from reports.models import IssuedStatement


@admin.register(IssuedStatement)
class IssuedStatementAdmin(admin.ModelAdmin):
    """Read only: an issued statement is a record of what was printed."""

    list_display = ("code", "kind", "status", "rows", "pages", "issued_at", "issued_by")
    list_filter = ("kind", "status")
    search_fields = ("code", "data_digest", "pdf_digest")
    exclude = ("pdf", "data")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
