"""Query-string filters of the settlement lists."""

import django_filters

from settlement.models import PayoutBatch, ReconciliationException


class BatchFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PayoutBatch.Status.choices)
    programme = django_filters.CharFilter(field_name="programme__code", max_length=32)

    class Meta:
        model = PayoutBatch
        fields = ["status", "programme"]


class ExceptionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReconciliationException.Status.choices)
    kind = django_filters.ChoiceFilter(choices=ReconciliationException.Kind.choices)

    class Meta:
        model = ReconciliationException
        fields = ["status", "kind"]
