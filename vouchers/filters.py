"""Query-string filters of the list endpoints (django-filter validates them: bad input is
`invalid`, never a database error)."""

import django_filters

from accounts.models import ServiceCategory
from vouchers import codes
from vouchers.models import Application, Claim, Programme, Voucher


class ProgrammeFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter()
    region_code = django_filters.CharFilter(max_length=6)

    class Meta:
        model = Programme
        fields = ["year", "region_code"]


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Application.Status.choices)
    programme = django_filters.CharFilter(field_name="programme__code", max_length=32)

    class Meta:
        model = Application
        fields = ["status", "programme"]


class VoucherFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Voucher.Status.choices)
    programme = django_filters.CharFilter(field_name="programme__code", max_length=32)

    class Meta:
        model = Voucher
        fields = ["status", "programme"]


class ClaimFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Claim.Status.choices)
    programme = django_filters.CharFilter(field_name="programme__code", max_length=32)
    voucher = django_filters.CharFilter(method="filter_voucher", max_length=64)
    category = django_filters.ChoiceFilter(choices=ServiceCategory.choices)
    frozen = django_filters.BooleanFilter()

    class Meta:
        model = Claim
        fields = ["status", "programme", "voucher", "category", "frozen"]

    def filter_voucher(self, queryset, name, value):
        return queryset.filter(voucher__code=codes.normalise(value) or "-")
