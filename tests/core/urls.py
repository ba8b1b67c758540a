"""Test-only endpoints that exercise the API conventions in isolation."""

from django.urls import path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import audit_record
from core.errors import DomainError
from core.fields import MoneyField, positive_money


class EchoInput(serializers.Serializer):
    amount = positive_money()
    delta = MoneyField(allow_negative=True, required=False)


class MoneyEchoApi(APIView):
    """Counts calls in the audit trail so tests can see whether a replay ran the view."""

    permission_classes = [AllowAny]

    def post(self, request):
        data = EchoInput(data=request.data)
        data.is_valid(raise_exception=True)
        event = audit_record(actor=None, action="test.echo", object_type="echo", object_id=1,
                             after={"amount": data.validated_data["amount"]})
        return Response({"amount": EchoInput(data.validated_data).data["amount"],
                         "event": event.seq}, status=201)


class RefuseApi(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        raise DomainError("budget_exhausted", "Only 100.00 is available.", available="100.00")


urlpatterns = [
    path("echo/", MoneyEchoApi.as_view()),
    path("refuse/", RefuseApi.as_view()),
]
