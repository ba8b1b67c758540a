"""Input shapes and output representations for the accounts API.

Inputs check only shape and type; the domain rules (check characters, percentages, what
each kind must carry) are in accounts.services. Outputs never carry identity numbers or
their digests.
"""

from rest_framework import serializers

from accounts.models import Organization, Role, ServiceCategory
from accounts.percent import format_percent
from accounts.regions import region_name
from core.serializers import represent


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers: percents and codes travel as JSON strings."""

    default_error_messages = {"not_a_string": "Must be a JSON string, e.g. \"30.00\"."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class ShareholdingInput(serializers.Serializer):
    holder = serializers.CharField(max_length=32)
    percent = StrictCharField(max_length=8)


class BankAccountInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    bank = serializers.CharField(max_length=200)
    number = StrictCharField(max_length=64)


class OrganizationRegisterInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Organization.Kind.choices)
    name = serializers.CharField(max_length=200)
    uscc = StrictCharField(max_length=32)
    region_code = StrictCharField(max_length=6)
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    legal_representative_id = StrictCharField(max_length=32)
    actual_controller = StrictCharField(
        max_length=32, required=False, allow_blank=True, allow_null=True, default=""
    )
    shareholdings = ShareholdingInput(many=True, required=False, default=list)
    sme_tech_number = serializers.CharField(
        max_length=64, required=False, allow_blank=True, allow_null=True, default=""
    )
    sme_tech_year = serializers.IntegerField(required=False, allow_null=True, default=None)
    high_tech_certificate = serializers.CharField(
        max_length=64, required=False, allow_blank=True, allow_null=True, default=""
    )
    high_tech_valid_until = serializers.DateField(required=False, allow_null=True, default=None)
    bank_account = BankAccountInput(required=False, allow_null=True, default=None)
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=ServiceCategory.choices),
        required=False,
        allow_null=True,
        default=list,
    )

    def validate(self, attrs):
        # null and "" mean "not given" for the optional text fields.
        for field in ("actual_controller", "sme_tech_number", "high_tech_certificate"):
            attrs[field] = attrs.get(field) or ""
        attrs["categories"] = attrs.get("categories") or []
        return attrs


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class TokenInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenOutput(serializers.Serializer):
    token = serializers.CharField(source="key")


class BankAccountOutput(serializers.Serializer):
    name = serializers.CharField(source="bank_account_name")
    bank = serializers.CharField(source="bank_name")
    number = serializers.CharField(source="bank_account_number")


class OrganizationBriefOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "kind", "name", "uscc", "region_code", "status"]


class ShareholdingOutput(serializers.Serializer):
    holder_type = serializers.SerializerMethodField()
    holder = serializers.SerializerMethodField()
    percent = serializers.SerializerMethodField()

    def get_holder_type(self, obj) -> str:
        return "organization" if obj.holder_ref.startswith("uscc:") else "person"

    def get_holder(self, obj) -> str | None:
        # A person is shown only as "a person": the digest stays inside.
        return obj.holder_ref.removeprefix("uscc:") if obj.holder_ref.startswith("uscc:") else None

    def get_percent(self, obj) -> str:
        return format_percent(obj.percent_hundredths)


class OrganizationOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    region_name = serializers.SerializerMethodField()
    has_actual_controller = serializers.SerializerMethodField()
    shareholdings = ShareholdingOutput(many=True, read_only=True)
    bank_account = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = [
            "id",
            "kind",
            "name",
            "uscc",
            "region_code",
            "region_name",
            "status",
            "status_reason",
            "has_actual_controller",
            "shareholdings",
            "sme_tech_number",
            "sme_tech_year",
            "high_tech_certificate",
            "high_tech_valid_until",
            "bank_account",
            "categories",
            "created_at",
            "updated_at",
        ]

    def get_region_name(self, obj) -> str:
        return region_name(obj.region_code)

    def get_has_actual_controller(self, obj) -> bool:
        return bool(obj.actual_controller_ref)

    def get_bank_account(self, obj) -> dict | None:
        if obj.kind != Organization.Kind.PROVIDER:
            return None
        return represent(BankAccountOutput, obj)


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    email = serializers.EmailField()
    organization = OrganizationBriefOutput(allow_null=True)
