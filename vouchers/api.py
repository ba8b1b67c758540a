"""HTTP API of programmes, applications, vouchers, claims and blacklisting (SPEC §5).

Each view checks the role, finds the object in the caller's scope (others' objects are
`not_found`), validates input with an input serializer, calls one service and serializes
the result.
"""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import IsEnterprise, IsFinance, IsProvider, IsReviewer, role_required
from accounts.selectors import organization_get_visible
from accounts.serializers import OrganizationOutput
from core.serializers import represent, validated
from vouchers import selectors, services
from vouchers.filters import ApplicationFilter, ClaimFilter, ProgrammeFilter, VoucherFilter
from vouchers.models import Application, Claim, Programme, Voucher
from vouchers.serializers import (
    ApplicationApproveInput,
    ApplicationInput,
    ApplicationOutput,
    ClaimInput,
    ClaimOutput,
    ExpireInput,
    ExpireOutput,
    FundInput,
    ProgrammeInput,
    ProgrammeOutput,
    ReasonOptionalInput,
    ReasonRequiredInput,
    VoucherOutput,
)

# Reads: members of an organisation that is not (or no longer) active may still look.
ReadersOfApplications = role_required(
    Role.ENTERPRISE, Role.REVIEWER, Role.FINANCE, Role.AUDITOR, Role.ADMIN, active_member=False
)
Readers = role_required(*Role.values, active_member=False)


def _valid(serializer_class, request):
    return validated(serializer_class, request.data)


class _ListApi(GenericAPIView):
    """A paginated list of what the caller may see, filtered by its FilterSet."""

    def list_response(self, queryset, output):
        page = self.paginate_queryset(self.filter_queryset(queryset))
        return self.get_paginated_response(output(page, many=True).data)


# --- programmes ------------------------------------------------------------------------


class ProgrammeListApi(_ListApi):
    queryset = Programme.objects.none()
    filterset_class = ProgrammeFilter
    serializer_class = ProgrammeOutput

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsReviewer()]
        return [IsAuthenticated()]

    @extend_schema(responses=ProgrammeOutput(many=True))
    def get(self, request):
        return self.list_response(Programme.objects.order_by("-year", "code"), ProgrammeOutput)

    @extend_schema(request=ProgrammeInput, responses={201: ProgrammeOutput})
    def post(self, request):
        data = _valid(ProgrammeInput, request)
        programme = services.programme_create(actor=request.user, **data)
        return Response(represent(ProgrammeOutput, programme), status=status.HTTP_201_CREATED)


class ProgrammeDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ProgrammeOutput)
    def get(self, request, code):
        return Response(represent(ProgrammeOutput, selectors.programme_get(code)))


class ProgrammeFundApi(APIView):
    permission_classes = [IsFinance]

    @extend_schema(request=FundInput, responses=ProgrammeOutput)
    def post(self, request, code):
        data = _valid(FundInput, request)
        programme = selectors.programme_get(code)
        services.programme_fund(programme=programme, actor=request.user, **data)
        return Response(represent(ProgrammeOutput, programme))


class ProgrammeExpireApi(APIView):
    permission_classes = [IsReviewer]

    @extend_schema(request=ExpireInput, responses=ExpireOutput)
    def post(self, request, code):
        data = _valid(ExpireInput, request)
        programme = selectors.programme_get(code)
        run = services.vouchers_expire(programme=programme, as_of=data["as_of"],
                                       actor=request.user)
        body = {
            "programme": programme.code,
            "as_of": run.as_of,
            "expired": run.expired,
            "returned": run.returned,
            "still_held": run.still_held,
            "vouchers": run.vouchers,
            "budget": selectors.programme_budget(programme),
        }
        return Response(represent(ExpireOutput, body))


# --- applications ----------------------------------------------------------------------


class ApplicationListApi(_ListApi):
    queryset = Application.objects.none()
    filterset_class = ApplicationFilter
    serializer_class = ApplicationOutput

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsEnterprise()]
        return [ReadersOfApplications()]

    @extend_schema(responses=ApplicationOutput(many=True))
    def get(self, request):
        return self.list_response(
            selectors.applications_visible_to(request.user).order_by("-id"), ApplicationOutput
        )

    @extend_schema(request=ApplicationInput, responses={201: ApplicationOutput})
    def post(self, request):
        data = _valid(ApplicationInput, request)
        programme = selectors.programme_get(data["programme"])
        application = services.application_submit(
            enterprise=request.user.organization, programme=programme, amount=data["amount"],
            purpose=data["purpose"], actor=request.user,
        )
        return Response(represent(ApplicationOutput, application), status=status.HTTP_201_CREATED)


def _application(request, id):
    return selectors.get_by_public_id(
        selectors.applications_visible_to(request.user), id, what="application"
    )


def _application_for_action(request, id):
    return selectors.get_for_action(
        selectors.applications_visible_to(request.user), id, what="application"
    )


class ApplicationDetailApi(APIView):
    permission_classes = [ReadersOfApplications]

    @extend_schema(responses=ApplicationOutput)
    def get(self, request, id):
        return Response(represent(ApplicationOutput, _application(request, id)))


class ApplicationApproveApi(APIView):
    """Approve (optionally a lower `amount`); the response carries the issued `voucher`."""

    permission_classes = [IsReviewer]

    @extend_schema(request=ApplicationApproveInput, responses=ApplicationOutput)
    def post(self, request, id):
        data = _valid(ApplicationApproveInput, request)
        application = services.application_approve(
            application=_application_for_action(request, id), actor=request.user,
            amount=data["amount"],
        )
        return Response(represent(ApplicationOutput, application))


class ApplicationRejectApi(APIView):
    permission_classes = [IsReviewer]

    @extend_schema(request=ReasonRequiredInput, responses=ApplicationOutput)
    def post(self, request, id):
        data = _valid(ReasonRequiredInput, request)
        application = services.application_reject(
            application=_application_for_action(request, id), actor=request.user,
            reason=data["reason"],
        )
        return Response(represent(ApplicationOutput, application))


# --- vouchers --------------------------------------------------------------------------


class VoucherListApi(_ListApi):
    queryset = Voucher.objects.none()
    filterset_class = VoucherFilter
    serializer_class = VoucherOutput
    permission_classes = [Readers]

    @extend_schema(responses=VoucherOutput(many=True))
    def get(self, request):
        return self.list_response(
            selectors.vouchers_visible_to(request.user).order_by("-id"), VoucherOutput
        )


class VoucherDetailApi(APIView):
    """By code, typed any way (case, spaces, dashes). Providers see a voucher only once
    they have claimed against it; before that it is `not_found` to them."""

    permission_classes = [Readers]

    @extend_schema(responses=VoucherOutput)
    def get(self, request, code):
        voucher = selectors.voucher_get_by_code(
            code, queryset=selectors.vouchers_visible_to(request.user)
        )
        return Response(represent(VoucherOutput, voucher))


# --- claims ----------------------------------------------------------------------------


class ClaimListApi(_ListApi):
    queryset = Claim.objects.none()
    filterset_class = ClaimFilter
    serializer_class = ClaimOutput

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsProvider()]
        return [Readers()]

    @extend_schema(responses=ClaimOutput(many=True))
    def get(self, request):
        return self.list_response(
            selectors.claims_visible_to(request.user).order_by("-id"), ClaimOutput
        )

    @extend_schema(request=ClaimInput, responses={201: ClaimOutput})
    def post(self, request):
        data = _valid(ClaimInput, request)
        claim = services.claim_submit(
            provider=request.user.organization, voucher_code=data.pop("voucher"),
            actor=request.user, **data,
        )
        return Response(represent(ClaimOutput, claim), status=status.HTTP_201_CREATED)


def _claim(request, id) -> Claim:
    return selectors.get_by_public_id(selectors.claims_visible_to(request.user), id,
                                      what="claim")


class ClaimDetailApi(APIView):
    permission_classes = [Readers]

    @extend_schema(responses=ClaimOutput)
    def get(self, request, id):
        return Response(represent(ClaimOutput, _claim(request, id)))


class _ClaimActionApi(APIView):
    input_class = ReasonOptionalInput
    service = None

    @extend_schema(request=ReasonOptionalInput, responses=ClaimOutput)
    def post(self, request, id):
        data = _valid(self.input_class, request)
        claim = selectors.claim_for_action(request.user, id)
        claim = type(self).service(claim=claim, actor=request.user, **self.arguments(data))
        return Response(represent(ClaimOutput, claim))

    def arguments(self, data) -> dict:
        return {"reason": data["reason"]}


class ClaimConfirmApi(_ClaimActionApi):
    """The voucher's enterprise confirms: the amount is held on the voucher."""

    permission_classes = [IsEnterprise]
    service = staticmethod(services.claim_confirm)

    def arguments(self, data) -> dict:
        return {}


class ClaimRefuseApi(_ClaimActionApi):
    permission_classes = [IsEnterprise]
    service = staticmethod(services.claim_refuse)


class ClaimWithdrawApi(_ClaimActionApi):
    permission_classes = [IsProvider]
    service = staticmethod(services.claim_withdraw)


class ClaimApproveApi(_ClaimActionApi):
    permission_classes = [IsReviewer]
    service = staticmethod(services.claim_approve)

    def arguments(self, data) -> dict:
        return {}


class ClaimRejectApi(_ClaimActionApi):
    permission_classes = [IsReviewer]
    input_class = ReasonRequiredInput
    service = staticmethod(services.claim_reject)

    @extend_schema(request=ReasonRequiredInput, responses=ClaimOutput)
    def post(self, request, id):
        return super().post(request, id)


class ClaimUnfreezeApi(_ClaimActionApi):
    """Release a claim frozen by blacklisting, once neither party is blacklisted."""

    permission_classes = [IsReviewer]
    input_class = ReasonRequiredInput
    service = staticmethod(services.claim_unfreeze)

    @extend_schema(request=ReasonRequiredInput, responses=ClaimOutput)
    def post(self, request, id):
        return super().post(request, id)


# --- blacklist -------------------------------------------------------------------------


class OrganizationBlacklistOutput(OrganizationOutput):
    frozen_claims = serializers.IntegerField(read_only=True,
                                             help_text="open claims frozen for review")

    class Meta(OrganizationOutput.Meta):
        fields = [*OrganizationOutput.Meta.fields, "frozen_claims"]


class OrganizationBlacklistApi(APIView):
    """Blacklist (科研失信) with a `reason`; the organisation's open claims are frozen in the
    same transaction."""

    permission_classes = [IsReviewer]

    @extend_schema(request=ReasonRequiredInput, responses=OrganizationBlacklistOutput)
    def post(self, request, id):
        data = _valid(ReasonRequiredInput, request)
        with transaction.atomic():
            organization = organization_get_visible(user=request.user, public_id=id)
            organization, frozen = services.organization_blacklist(
                organization=organization, reason=data["reason"], actor=request.user
            )
        organization.frozen_claims = frozen
        return Response(represent(OrganizationBlacklistOutput, organization))
