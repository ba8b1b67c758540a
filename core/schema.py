"""drf-spectacular extensions: the money format, and token auth under its usual name."""

from drf_spectacular.authentication import TokenScheme
from drf_spectacular.extensions import OpenApiSerializerFieldExtension


class MoneyFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "core.fields.MoneyField"

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "string",
            "pattern": r"^\d{1,12}(\.\d{1,2})?$",
            "example": "15000.00",
            "description": "Amount in yuan (CNY) as a string with two decimals.",
        }


class OrganisationTokenScheme(TokenScheme):
    target_class = "core.authentication.OrganisationTokenAuthentication"
