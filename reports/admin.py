from django.contrib import admin

from core.admin import ReadOnlyAdmin
from reports.models import IssuedStatement


@admin.register(IssuedStatement)
class IssuedStatementAdmin(ReadOnlyAdmin):
    """Read only: an issued statement is a record of what was printed."""

    list_display = ("code", "kind", "status", "rows", "pages", "issued_at", "issued_by")
    list_filter = ("kind", "status")
    search_fields = ("code", "data_digest", "pdf_digest")
    exclude = ("pdf", "data")
