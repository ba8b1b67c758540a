from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAuditor
from audit.models import AuditEvent
from audit.services import audit_verify
from core.serializers import represent


class AuditEventSerializer(serializers.ModelSerializer):
    """`id` is the global order (gaps where transactions rolled back); `lane` and `seq` the
    event's place in its hash chain (ADR 0008)."""

    class Meta:
        model = AuditEvent
        fields = ["id", "lane", "seq", "occurred_at", "actor_id", "actor", "action", "object_type",
                  "object_id", "before", "after", "prev_hash", "hash"]


class AuditEventListApi(ListAPIView):
    permission_classes = [IsAuditor]
    serializer_class = AuditEventSerializer
    queryset = AuditEvent.objects.order_by("id")
    filterset_fields = ["object_type", "object_id", "action", "lane"]


class AuditVerifyOutput(serializers.Serializer):
    ok = serializers.BooleanField()
    checked = serializers.IntegerField()
    first_bad = serializers.IntegerField(allow_null=True, help_text="an audit event id")
    reason = serializers.CharField()
    lane = serializers.IntegerField(allow_null=True)


class AuditVerifyApi(APIView):
    permission_classes = [IsAuditor]

    @extend_schema(responses=AuditVerifyOutput)
    def get(self, request):
        report = audit_verify()
        return Response(represent(AuditVerifyOutput, report))
