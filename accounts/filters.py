import django_filters

from accounts.models import Organization


class OrganizationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Organization.Kind.choices)
    status = django_filters.ChoiceFilter(choices=Organization.Status.choices)
    region_code = django_filters.CharFilter()
    uscc = django_filters.CharFilter()

    class Meta:
        model = Organization
        fields = ["kind", "status", "region_code", "uscc"]
