from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import Organization, Shareholding, User


class ShareholdingInline(admin.TabularInline):
    model = Shareholding
    extra = 0
    fields = ["holder_ref", "percent_hundredths"]
    readonly_fields = ["holder_ref"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "uscc", "region_code", "status", "created_at"]
    list_filter = ["kind", "status", "region_code"]
    search_fields = ["name", "uscc"]
    inlines = [ShareholdingInline]
    # Identity digests and status go through services (audit trail), not the admin form.
    readonly_fields = [
        "public_id",
        "uscc",
        "status",
        "status_reason",
        "legal_representative_ref",
        "actual_controller_ref",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["public_id", "kind", "name", "uscc", "region_code"]}),
        ("Status", {"fields": ["status", "status_reason"]}),
        ("Control", {"fields": ["legal_representative_ref", "actual_controller_ref"]}),
        (
            "Qualifications",
            {
                "fields": [
                    "sme_tech_number",
                    "sme_tech_year",
                    "high_tech_certificate",
                    "high_tech_valid_until",
                ]
            },
        ),
        (
            "Provider",
            {"fields": ["bank_account_name", "bank_name", "bank_account_number", "categories"]},
        ),
        (None, {"fields": ["created_at", "updated_at"]}),
    ]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "role", "organization", "is_active", "is_staff", "locked_until"]
    list_filter = ["role", "is_active", "is_staff"]
    list_select_related = ["organization"]
    raw_id_fields = ["organization"]
    readonly_fields = ["failed_logins", "last_login", "date_joined"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        ("Role", {"fields": ["role", "organization", "failed_logins", "locked_until"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "role", "organization", "password1", "password2"],
            },
        ),
    ]
