"""HTTP API of settlement (SPEC §5): payout batches, the payment file, bank statements,
reconciliation exceptions, clawback. Finance acts; auditors read."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import IsFinance, IsReviewer, role_required
from core.errors import DomainError
from core.serializers import represent, validated
from settlement import files, selectors, services
from settlement.filters import BatchFilter, ExceptionFilter
from settlement.models import BankStatement, PayoutBatch, ReconciliationException
from settlement.serializers import (
    BankStatementOutput,
    BatchInput,
    CancelInput,
    ClawbackInput,
    ImportOutput,
    PayoutBatchOutput,
    ReconciliationExceptionOutput,
    ResolveInput,
    StatementUploadInput,
)
from vouchers import selectors as voucher_selectors
from vouchers.serializers import ClaimOutput

FinanceReaders = role_required(Role.FINANCE, Role.AUDITOR)


class _FinanceWritesAuditorsRead:
    def get_permissions(self):
        if self.request.method == "POST":
            return [IsFinance()]
        return [FinanceReaders()]


class _ListApi(_FinanceWritesAuditorsRead, GenericAPIView):
    def list_response(self, queryset, output):
        page = self.paginate_queryset(self.filter_queryset(queryset))
        return self.get_paginated_response([represent(output, obj) for obj in page])


# --- payout batches --------------------------------------------------------------------


class PayoutBatchListApi(_ListApi):
    queryset = PayoutBatch.objects.none()
    filterset_class = BatchFilter
    serializer_class = PayoutBatchOutput

    @extend_schema(responses=PayoutBatchOutput(many=True))
    def get(self, request):
        return self.list_response(selectors.batches().order_by("-id"), PayoutBatchOutput)

    @extend_schema(request=BatchInput, responses={201: PayoutBatchOutput})
    def post(self, request):
        data = validated(BatchInput, request.data)
        programme = voucher_selectors.programme_get(data["programme"])
        batch = services.batch_build(programme=programme, actor=request.user)
        return Response(represent(PayoutBatchOutput, selectors.batch_get(batch.public_id)),
                        status=status.HTTP_201_CREATED)


class PayoutBatchDetailApi(_FinanceWritesAuditorsRead, APIView):
    @extend_schema(responses=PayoutBatchOutput)
    def get(self, request, id):
        return Response(represent(PayoutBatchOutput, selectors.batch_get(id)))


class _BatchActionApi(APIView):
    permission_classes = [IsFinance]
    input_class = None

    def post(self, request, id):
        data = validated(self.input_class, request.data) if self.input_class else {}
        batch = type(self).service(batch=selectors.batch_get(id), actor=request.user, **data)
        return Response(represent(PayoutBatchOutput, selectors.batch_get(batch.public_id)))


class PayoutBatchApproveApi(_BatchActionApi):
    """Approve a draft (four eyes: the builder cannot)."""

    service = staticmethod(services.batch_approve)

    @extend_schema(request=None, responses=PayoutBatchOutput)
    def post(self, request, id):
        return super().post(request, id)


class PayoutBatchSendApi(_BatchActionApi):
    """Mark an approved batch sent to the bank: its claims go `in_payment`."""

    service = staticmethod(services.batch_send)

    @extend_schema(request=None, responses=PayoutBatchOutput)
    def post(self, request, id):
        return super().post(request, id)


class PayoutBatchCancelApi(_BatchActionApi):
    """Discard a draft or approved batch; its claims are payable again."""

    service = staticmethod(services.batch_cancel)
    input_class = CancelInput

    @extend_schema(request=CancelInput, responses=PayoutBatchOutput)
    def post(self, request, id):
        return super().post(request, id)


class PaymentFileApi(APIView):
    """The CSV the bank imports (UTF-8 with a BOM), once the batch is approved."""

    permission_classes = [FinanceReaders]

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request, id):
        batch = selectors.batch_get(id)
        response = HttpResponse(services.batch_payment_file(batch=batch, actor=request.user),
                                content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="payment-{batch.programme.code}-{batch.public_id}.csv"')
        return response


# --- bank statements -------------------------------------------------------------------


class BankStatementListApi(_ListApi):
    queryset = BankStatement.objects.none()
    serializer_class = BankStatementOutput
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=BankStatementOutput(many=True))
    def get(self, request):
        return self.list_response(selectors.statements().order_by("-id"), BankStatementOutput)

    @extend_schema(request={"multipart/form-data": StatementUploadInput},
                   responses={201: ImportOutput, 200: ImportOutput})
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError("invalid", "file: upload the bank's CSV as the `file` field.",
                              errors={"file": ["This field is required."]})
        if upload.size > files.MAX_STATEMENT_BYTES:
            raise DomainError("invalid", "file: larger than a bank statement can be.",
                              errors={"file": ["The file is too large."]})
        result = services.bank_statement_import(content=upload.read(),
                                                filename=upload.name or "", actor=request.user)
        statement = result.statement
        statement.duplicate, statement.missing_flagged = result.duplicate, result.missing_flagged
        return Response(represent(ImportOutput, statement),
                        status=status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED)


class BankStatementDetailApi(_FinanceWritesAuditorsRead, APIView):
    @extend_schema(responses=BankStatementOutput)
    def get(self, request, id):
        return Response(represent(BankStatementOutput, selectors.statement_get(id)))


# --- reconciliation exceptions ---------------------------------------------------------


class ExceptionListApi(_ListApi):
    queryset = ReconciliationException.objects.none()
    filterset_class = ExceptionFilter
    serializer_class = ReconciliationExceptionOutput

    @extend_schema(responses=ReconciliationExceptionOutput(many=True))
    def get(self, request):
        return self.list_response(selectors.exceptions().order_by("id"),
                                  ReconciliationExceptionOutput)


class ExceptionDetailApi(_FinanceWritesAuditorsRead, APIView):
    @extend_schema(responses=ReconciliationExceptionOutput)
    def get(self, request, id):
        return Response(represent(ReconciliationExceptionOutput, selectors.exception_get(id)))


class ExceptionResolveApi(APIView):
    """Resolve by hand with a reason: acknowledge, or settle / fail the payment line."""

    permission_classes = [IsFinance]

    @extend_schema(request=ResolveInput, responses=ReconciliationExceptionOutput)
    def post(self, request, id):
        data = validated(ResolveInput, request.data)
        exception = services.exception_resolve(exception=selectors.exception_get(id),
                                               actor=request.user, **data)
        return Response(represent(ReconciliationExceptionOutput,
                                  selectors.exception_get(exception.public_id)))


# --- clawback --------------------------------------------------------------------------


class ClaimClawbackApi(APIView):
    """Order recovery of a paid claim (optionally blacklisting the provider); the claim
    then carries `clawback_reference`, which the provider's repayment must quote."""

    permission_classes = [IsReviewer]

    @extend_schema(request=ClawbackInput, responses=ClaimOutput)
    def post(self, request, id):
        data = validated(ClawbackInput, request.data)
        claim = voucher_selectors.get_by_public_id(
            voucher_selectors.claims_visible_to(request.user), id, what="claim")
        claim = services.claim_clawback(claim=claim, actor=request.user, **data)
        return Response(represent(ClaimOutput, voucher_selectors.get_by_public_id(
            voucher_selectors.claims_visible_to(request.user), claim.public_id, what="claim")))
