"""Read-only admin: programmes, vouchers and claims change only through vouchers.services
(ledger postings and audit events go with every change)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from core.money import format_fen
from vouchers.models import Application, Appropriation, Claim, Programme, ProviderProgramme, Voucher


def _yuan(field: str, label: str):
    def show(self, obj):
        return format_fen(getattr(obj, field))

    show.short_description = label
    show.admin_order_field = field
    return show


@admin.register(Programme)
class ProgrammeAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "region_code", "year", "application_opens",
                    "application_closes", "valid_until", "claim_deadline"]
    list_filter = ["year", "region_code"]
    search_fields = ["code", "name"]


@admin.register(Appropriation)
class AppropriationAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "programme", "amount_yuan", "funded_by", "created_at"]
    amount_yuan = _yuan("amount", "amount")


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "programme", "enterprise", "amount_yuan", "status",
                    "created_at", "decided_at"]
    list_filter = ["status", "programme"]
    search_fields = ["public_id", "enterprise__name", "enterprise__uscc"]
    amount_yuan = _yuan("amount", "amount")


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin):
    list_display = ["code", "programme", "enterprise", "face_value_yuan", "status", "issued_on",
                    "valid_until"]
    list_filter = ["status", "programme"]
    search_fields = ["code", "enterprise__name", "enterprise__uscc"]
    face_value_yuan = _yuan("face_value", "face value")


@admin.register(ProviderProgramme)
class ProviderProgrammeAdmin(ReadOnlyAdmin):
    list_display = ["programme", "provider", "approved_total_yuan", "payable_account"]
    approved_total_yuan = _yuan("approved_total", "approved total")


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "programme", "voucher", "provider", "amount_yuan", "status",
                    "frozen", "created_at"]
    list_filter = ["status", "frozen", "category", "programme"]
    search_fields = ["public_id", "invoice_number", "contract_number", "voucher__code",
                     "provider__name"]
    amount_yuan = _yuan("amount", "subsidy")
