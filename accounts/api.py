"""HTTP endpoints for sign-in, the current user and organisations (SPEC §5).

Each view: input serializer -> one service or selector -> output serializer.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle
from rest_framework.views import APIView

from accounts.filters import OrganizationFilter
from accounts.permissions import IsReviewer
from accounts.selectors import organization_get_visible, organizations_visible_to
from accounts.serializers import (
    MeOutput,
    OrganizationOutput,
    OrganizationRegisterInput,
    ReasonInput,
    TokenInput,
    TokenOutput,
)
from accounts.services import (
    organization_approve,
    organization_register,
    organization_suspend,
    user_token_obtain,
)
from core.serializers import represent


class TokenApi(APIView):
    """Exchange username and password for an API token."""

    authentication_classes: list = []  # a stale token header must not block signing in
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=TokenInput, responses={200: TokenOutput})
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        token = user_token_obtain(request=request, **data.validated_data)
        return Response(represent(TokenOutput, token))


class MeApi(APIView):
    """The signed-in user, even while their organisation is still pending."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MeOutput})
    def get(self, request):
        return Response(represent(MeOutput, request.user))


class OrganizationRegisterApi(APIView):
    """Register an organisation and its first user; the organisation starts `pending`."""

    permission_classes = [AllowAny]

    @extend_schema(request=OrganizationRegisterInput, responses={201: OrganizationOutput})
    def post(self, request):
        data = OrganizationRegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        organization = organization_register(**data.validated_data)
        return Response(represent(OrganizationOutput, organization), status=status.HTTP_201_CREATED)


class OrganizationListApi(ListAPIView):
    """Staff: every organisation (filter by kind, status, region_code). Members: their own."""

    permission_classes = [IsAuthenticated]
    serializer_class = OrganizationOutput
    filterset_class = OrganizationFilter

    def get_queryset(self):
        return organizations_visible_to(self.request.user).prefetch_related("shareholdings")


class OrganizationDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OrganizationOutput})
    def get(self, request, id):
        organization = organization_get_visible(user=request.user, public_id=id)
        return Response(represent(OrganizationOutput, organization))


class _OrganizationStatusApi(APIView):
    permission_classes = [IsReviewer]
    service = None

    @extend_schema(request=ReasonInput, responses={200: OrganizationOutput})
    def post(self, request, id):
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        organization = organization_get_visible(user=request.user, public_id=id)
        organization = type(self).service(
            organization=organization, actor=request.user, **data.validated_data
        )
        return Response(represent(OrganizationOutput, organization))


class OrganizationApproveApi(_OrganizationStatusApi):
    """pending (or suspended) -> active."""

    service = staticmethod(organization_approve)


class OrganizationSuspendApi(_OrganizationStatusApi):
    """active -> suspended; `reason` required."""

    service = staticmethod(organization_suspend)
