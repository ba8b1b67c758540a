"""Input and output shapes of the settlement API (SPEC §5). Amounts are yuan strings."""

from rest_framework import serializers

from core.fields import MoneyField
from settlement.models import (
    BankStatement,
    BankStatementLine,
    PaymentLine,
    PayoutBatch,
    ReconciliationException,
)
from settlement.services.exceptions import ACTIONS


class BatchInput(serializers.Serializer):
    programme = serializers.CharField(max_length=32, help_text="programme code, e.g. CS-2026")


class CancelInput(serializers.Serializer):
    """Why a batch is cancelled (required, unlike accounts.serializers.ReasonInput)."""

    reason = serializers.CharField(max_length=500)


class ResolveInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
    action = serializers.ChoiceField(
        choices=ACTIONS, default="acknowledge",
        help_text="acknowledge (books unchanged), settle or fail the payment line by hand")


class ClawbackInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
    blacklist = serializers.BooleanField(default=False,
                                         help_text="also blacklist the provider (科研失信)")


class StatementUploadInput(serializers.Serializer):
    file = serializers.FileField(help_text="the bank's CSV: date,reference,amount,account,"
                                           "status,note (UTF-8 or GBK)")


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


class PaymentLineOutput(serializers.ModelSerializer):
    provider = serializers.UUIDField(source="provider.public_id", read_only=True)
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    provider_uscc = serializers.CharField(source="provider.uscc", read_only=True)
    amount = MoneyField(read_only=True)
    claims = serializers.SerializerMethodField()

    class Meta:
        model = PaymentLine
        fields = ["reference", "provider", "provider_name", "provider_uscc", "payee_name",
                  "payee_account", "payee_bank", "amount", "status", "claims",
                  "failure_reason", "closed_at"]

    def get_claims(self, line) -> list[str]:
        return [str(item.claim.public_id) for item in line.items.all()]


class PayoutBatchOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    programme = serializers.CharField(source="programme.code", read_only=True)
    total = MoneyField(read_only=True)
    built_by = serializers.SerializerMethodField()
    approved_by = serializers.SerializerMethodField()
    sent_by = serializers.SerializerMethodField()
    lines = PaymentLineOutput(many=True, read_only=True)

    class Meta:
        model = PayoutBatch
        fields = ["id", "programme", "status", "total", "built_by", "approved_by", "sent_by",
                  "created_at", "approved_at", "sent_at", "due_on", "closed_at", "reason",
                  "file_exported_at", "lines"]

    def get_built_by(self, batch) -> str | None:
        return _username(batch.built_by)

    def get_approved_by(self, batch) -> str | None:
        return _username(batch.approved_by)

    def get_sent_by(self, batch) -> str | None:
        return _username(batch.sent_by)


class BankStatementOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    uploaded_by = serializers.SerializerMethodField()
    lines = serializers.IntegerField(source="line_count", read_only=True)

    class Meta:
        model = BankStatement
        fields = ["id", "filename", "encoding", "digest", "uploaded_by", "created_at", "lines",
                  "matched", "returned", "exceptions", "already_imported"]

    def get_uploaded_by(self, statement) -> str | None:
        return _username(statement.uploaded_by)


class ImportOutput(BankStatementOutput):
    duplicate = serializers.BooleanField(
        read_only=True, help_text="the same file was imported before: this is that import")
    missing_flagged = serializers.IntegerField(
        read_only=True, help_text="overdue sent lines without a bank line, reported now")

    class Meta(BankStatementOutput.Meta):
        fields = [*BankStatementOutput.Meta.fields, "duplicate", "missing_flagged"]


class BankLineOutput(serializers.ModelSerializer):
    statement = serializers.UUIDField(source="statement.public_id", read_only=True)
    amount = MoneyField(read_only=True)

    class Meta:
        model = BankStatementLine
        fields = ["statement", "line_number", "value_date", "reference", "amount", "account",
                  "status", "note"]


class ReconciliationExceptionOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    amount = MoneyField(read_only=True, allow_null=True)
    expected = MoneyField(read_only=True, allow_null=True)
    bank_line = BankLineOutput(read_only=True, allow_null=True)
    payment_line = serializers.CharField(source="payment_line.reference", read_only=True,
                                         allow_null=True, default=None)
    batch = serializers.UUIDField(source="payment_line.batch.public_id", read_only=True,
                                  allow_null=True, default=None)
    recovery = serializers.CharField(source="recovery.reference", read_only=True,
                                     allow_null=True, default=None)
    resolved_by = serializers.SerializerMethodField()

    class Meta:
        model = ReconciliationException
        fields = ["id", "kind", "status", "detail", "amount", "expected", "bank_line",
                  "payment_line", "batch", "recovery", "resolution", "reason", "resolved_by",
                  "created_at", "resolved_at"]

    def get_resolved_by(self, exception) -> str | None:
        return _username(exception.resolved_by)
