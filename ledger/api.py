"""Read-only HTTP API of the ledger (SPEC §5): accounts with balances, the trial balance.

Finance and auditors only. Amounts are strings in yuan with two decimals.
"""

from datetime import date

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsFinanceOrAuditor
from core.errors import DomainError, invalid
from core.fields import MoneyField
from core.serializers import represent, represent_many
from ledger.models import Account
from ledger.selectors import Balance, balance, trial_balance

AS_OF = OpenApiParameter(
    "as_of", OpenApiTypes.DATE, description="Balance at the end of this date (YYYY-MM-DD)."
)


def _as_of(request) -> date | None:
    text = request.query_params.get("as_of")
    if not text:
        return None
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or len(text) != 10:
        raise invalid("as_of", "as_of must be a date such as 2026-06-30")
    return parsed


class BalanceOutput(serializers.Serializer):
    debits_posted = MoneyField()
    credits_posted = MoneyField()
    debits_pending = MoneyField()
    credits_pending = MoneyField()
    posted = MoneyField(allow_negative=True)
    pending = MoneyField(allow_negative=True)
    held = MoneyField()
    incoming = MoneyField()
    available = MoneyField(allow_negative=True)


class AccountOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    code = serializers.CharField()
    type = serializers.CharField()
    name = serializers.CharField()
    owner_ref = serializers.CharField()
    currency = serializers.CharField()
    normal_side = serializers.CharField()
    debits_must_not_exceed_credits = serializers.BooleanField()
    credits_must_not_exceed_debits = serializers.BooleanField()
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    as_of = serializers.DateField(allow_null=True)
    balance = BalanceOutput()

    def to_representation(self, instance):
        account, bal, as_of = instance
        data = super().to_representation(
            {**{f: getattr(account, f) for f in (
                "public_id", "code", "type", "name", "owner_ref", "currency", "normal_side",
                "debits_must_not_exceed_credits", "credits_must_not_exceed_debits",
                "version", "created_at",
            )}, "as_of": as_of, "balance": bal}
        )
        # The headline figures at the top level too, for clients that want them flat.
        for name in ("posted", "pending", "held", "available"):
            data[name] = data["balance"][name]
        return data


class AccountListApi(ListAPIView):
    """Ledger accounts with their current balances. Filters: `code_prefix`, `owner_ref`."""

    permission_classes = [IsFinanceOrAuditor]
    serializer_class = AccountOutput
    filter_backends: list = []

    def get_queryset(self):
        accounts = Account.objects.order_by("code")
        prefix = self.request.query_params.get("code_prefix")
        if prefix:
            accounts = accounts.filter(code__startswith=prefix)
        owner_ref = self.request.query_params.get("owner_ref")
        if owner_ref:
            accounts = accounts.filter(owner_ref=owner_ref)
        return accounts

    @extend_schema(
        parameters=[
            OpenApiParameter("code_prefix", str, description="e.g. pool: or voucher:CS2026"),
            OpenApiParameter("owner_ref", str),
        ],
        responses=AccountOutput(many=True),
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        data = represent_many(AccountOutput, [(a, Balance.of(a), None) for a in page])
        return self.get_paginated_response(data)


class AccountDetailApi(APIView):
    """One account and its balance, now or at the end of `as_of`."""

    permission_classes = [IsFinanceOrAuditor]

    @extend_schema(parameters=[AS_OF], responses=AccountOutput)
    def get(self, request, id):
        as_of = _as_of(request)
        try:
            account = Account.objects.get(public_id=id)
        except (Account.DoesNotExist, ValueError, DjangoValidationError):
            raise DomainError("not_found", "No such ledger account.") from None
        bal = Balance.of(account) if as_of is None else balance(account, as_of=as_of)
        return Response(represent(AccountOutput, (account, bal, as_of)))


class TypeTotalsOutput(serializers.Serializer):
    type = serializers.CharField()
    debits = MoneyField()
    credits = MoneyField()


class TrialBalanceOutput(serializers.Serializer):
    as_of = serializers.DateField(allow_null=True)
    total_debits = MoneyField()
    total_credits = MoneyField()
    total_debits_pending = MoneyField()
    total_credits_pending = MoneyField()
    balanced = serializers.BooleanField()
    by_type = TypeTotalsOutput(many=True)


class TrialBalanceApi(APIView):
    """Posted debits and credits by account type; equal in a sound ledger (not paginated)."""

    permission_classes = [IsFinanceOrAuditor]

    @extend_schema(parameters=[AS_OF], responses=TrialBalanceOutput)
    def get(self, request):
        as_of = _as_of(request)
        trial = trial_balance(as_of=as_of)
        return Response(
            represent(TrialBalanceOutput, {
                "as_of": as_of,
                "total_debits": trial.total_debits,
                "total_credits": trial.total_credits,
                "total_debits_pending": trial.total_debits_pending,
                "total_credits_pending": trial.total_credits_pending,
                "balanced": trial.balanced,
                "by_type": trial.by_type,
            })
        )
