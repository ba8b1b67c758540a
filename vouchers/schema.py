"""drf-spectacular: describe RatioField as the string clients send and receive."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension


class RatioFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "vouchers.serializers.RatioField"

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "string",
            "pattern": r"^(0(\.\d{1,4})?|1(\.0{1,4})?)$",
            "example": "0.40",
            "description": "Subsidy ratio between 0 and 1, as a string.",
        }
