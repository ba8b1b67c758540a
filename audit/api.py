from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAuditor
from audit.models import AuditEvent
from audit.services import audit_verify


class AuditEventSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="seq")

    class Meta:
        model = AuditEvent
        fields = ["id", "seq", "occurred_at", "actor_id", "actor", "action", "object_type",
                  "object_id", "before", "after", "prev_hash", "hash"]


class AuditEventListApi(ListAPIView):
    permission_classes = [IsAuditor]
    serializer_class = AuditEventSerializer
    queryset = AuditEvent.objects.order_by("seq")
    filterset_fields = ["object_type", "object_id", "action"]


class AuditVerifyOutput(serializers.Serializer):
    ok = serializers.BooleanField()
    checked = serializers.IntegerField()
    first_bad = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()


class AuditVerifyApi(APIView):
    permission_classes = [IsAuditor]

    @extend_schema(responses=AuditVerifyOutput)
    def get(self, request):
        report = audit_verify()
        return Response(AuditVerifyOutput(report).data)
