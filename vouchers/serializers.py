"""Input and output shapes of the voucher API (SPEC §5 names). No business rules here."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import ServiceCategory
from core.fields import MoneyField, positive_money
from core.money import MoneyFormatError, format_fen, parse_ratio
from core.serializers import represent
from vouchers.models import Application, Claim, Programme, Voucher
from vouchers.selectors import programme_budget, voucher_balance
from vouchers.services.claims import ratio_text

ENTERPRISE_CLASSES = ("high_tech", "sme_tech", "default")


class RatioField(serializers.Field):
    """A subsidy ratio as a string, "0.40" outside; basis points (4000) inside."""

    def to_internal_value(self, data) -> int:
        try:
            ratio = parse_ratio(data)
        except MoneyFormatError as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return int(ratio * 10000)

    def to_representation(self, value) -> str:
        return ratio_text(int(value))


class RatiosInput(serializers.Serializer):
    high_tech = RatioField()
    sme_tech = RatioField()
    default = RatioField()


class RatiosOutput(serializers.Serializer):
    high_tech = RatioField(source="ratio_high_tech_bp")
    sme_tech = RatioField(source="ratio_sme_tech_bp")
    default = RatioField(source="ratio_default_bp")


class BudgetOutput(serializers.Serializer):
    """funded = the sum of every other figure, to the fen."""

    funded = MoneyField()
    available = MoneyField()
    issued_unspent = MoneyField()
    held = MoneyField()
    approved_unpaid = MoneyField()
    in_payment = MoneyField()
    paid = MoneyField()
    clawback_receivable = MoneyField(help_text="clawbacks ordered, not yet repaid")
    recovered = MoneyField()
    lapsed_returned_to_treasury = MoneyField()


class ProgrammeInput(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=200)
    region_code = serializers.CharField(max_length=6)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    application_opens = serializers.DateField()
    application_closes = serializers.DateField()
    valid_until = serializers.DateField()
    claim_deadline = serializers.DateField()
    enterprise_annual_cap = positive_money()
    provider_annual_cap = positive_money()
    ratios = RatiosInput()
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=ServiceCategory.choices), allow_empty=False,
        max_length=len(ServiceCategory.values),
    )
    partner_regions = serializers.ListField(
        child=serializers.CharField(max_length=6), required=False, default=list, max_length=50
    )


class ProgrammeOutput(serializers.ModelSerializer):
    id = serializers.CharField(source="code", read_only=True)
    enterprise_annual_cap = MoneyField()
    provider_annual_cap = MoneyField()
    ratios = serializers.SerializerMethodField()
    budget = serializers.SerializerMethodField()

    class Meta:
        model = Programme
        fields = ["id", "code", "name", "region_code", "year", "application_opens",
                  "application_closes", "valid_until", "claim_deadline",
                  "enterprise_annual_cap", "provider_annual_cap", "ratios", "categories",
                  "partner_regions", "budget", "created_at"]

    @extend_schema_field(RatiosOutput)
    def get_ratios(self, obj):
        return represent(RatiosOutput, obj)

    @extend_schema_field(BudgetOutput)
    def get_budget(self, obj):
        return represent(BudgetOutput, programme_budget(obj))


class FundInput(serializers.Serializer):
    amount = positive_money()
    memo = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ExpireInput(serializers.Serializer):
    as_of = serializers.DateField(required=False, allow_null=True, default=None)


class ExpireOutput(serializers.Serializer):
    programme = serializers.CharField()
    as_of = serializers.DateField()
    expired = serializers.IntegerField(help_text="vouchers expired by this run")
    returned = MoneyField(help_text="moved back to the programme pool by this run")
    still_held = MoneyField(help_text="held by pending claims on the vouchers just expired")
    vouchers = serializers.ListField(child=serializers.CharField())
    budget = BudgetOutput()


class VoucherOutput(serializers.ModelSerializer):
    id = serializers.CharField(source="code", read_only=True)
    programme = serializers.CharField(source="programme.code", read_only=True)
    enterprise = serializers.UUIDField(source="enterprise.public_id", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    face_value = MoneyField()
    available = serializers.SerializerMethodField()
    held = serializers.SerializerMethodField()
    spent = serializers.SerializerMethodField()
    returned = MoneyField(help_text="returned to the programme pool after expiry")

    class Meta:
        model = Voucher
        fields = ["id", "code", "programme", "enterprise", "enterprise_name", "face_value",
                  "available", "held", "spent", "returned", "status", "issued_on",
                  "valid_until"]

    def _balance(self, obj):
        cache = getattr(obj, "_balance_cache", None)
        if cache is None:
            cache = obj._balance_cache = voucher_balance(obj)
        return cache

    def get_available(self, obj) -> str:
        return format_fen(self._balance(obj).available)

    def get_held(self, obj) -> str:
        return format_fen(self._balance(obj).held)

    def get_spent(self, obj) -> str:
        return format_fen(self._balance(obj).spent)


class ApplicationInput(serializers.Serializer):
    programme = serializers.CharField(max_length=32)
    amount = positive_money()
    purpose = serializers.CharField(max_length=1000, required=False, allow_blank=True,
                                    default="")


class ApplicationApproveInput(serializers.Serializer):
    amount = positive_money(required=False, allow_null=True, default=None)


class ReasonRequiredInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ReasonOptionalInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ApplicationOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    programme = serializers.CharField(source="programme.code", read_only=True)
    enterprise = serializers.UUIDField(source="enterprise.public_id", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    amount = MoneyField()
    approved_amount = MoneyField(allow_null=True)
    voucher = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = ["id", "programme", "enterprise", "enterprise_name", "amount",
                  "approved_amount", "purpose", "status", "reason", "voucher", "created_at",
                  "decided_at"]

    @extend_schema_field(VoucherOutput(allow_null=True))
    def get_voucher(self, obj):
        voucher = getattr(obj, "voucher", None) if obj.status == "approved" else None
        return represent(VoucherOutput, voucher) if voucher is not None else None


class ClaimInput(serializers.Serializer):
    voucher = serializers.CharField(max_length=64)
    category = serializers.ChoiceField(choices=ServiceCategory.choices)
    contract_number = serializers.CharField(max_length=100)
    contract_date = serializers.DateField()
    invoice_number = serializers.CharField(max_length=64)
    invoice_amount = positive_money()
    amount = positive_money()


class ClaimOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    voucher = serializers.CharField(source="voucher.code", read_only=True)
    programme = serializers.CharField(source="programme.code", read_only=True)
    provider = serializers.UUIDField(source="provider.public_id", read_only=True)
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    enterprise = serializers.UUIDField(source="enterprise.public_id", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    amount = MoneyField()
    invoice_amount = MoneyField()
    enterprise_share = MoneyField(read_only=True)
    ratio = RatioField(source="ratio_bp", read_only=True)
    clawback_reference = serializers.CharField(
        read_only=True, allow_null=True,
        help_text="after a clawback: the reference the provider's repayment must quote")

    class Meta:
        model = Claim
        fields = ["id", "status", "amount", "voucher", "programme", "provider",
                  "provider_name", "enterprise", "enterprise_name", "category",
                  "contract_number", "contract_date", "invoice_number", "invoice_amount",
                  "enterprise_share", "enterprise_class", "ratio", "frozen", "frozen_reason",
                  "reason", "clawback_reference", "created_at", "confirmed_at", "decided_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["clawback_reference"] = data["clawback_reference"] or None
        return data
