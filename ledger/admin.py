"""Read-only admin: the ledger changes only through ledger.services."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from ledger.models import Account, Entry, Journal


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "normal_side", "debits_posted", "credits_posted",
                    "debits_pending", "credits_pending", "version"]
    search_fields = ["code", "owner_ref", "name"]


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ["account", "side", "amount", "pending", "release"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Journal)
class JournalAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "effective_date", "pending", "resolution", "actor",
                    "idempotency_key", "created_at"]
    list_filter = ["kind", "pending", "resolution"]
    search_fields = ["idempotency_key", "memo"]
    inlines = [EntryInline]
