"""DRF fields for the API's money format. Serializers use these, never DecimalField."""

from rest_framework import serializers

from core.money import MoneyFormatError, format_fen, parse_yuan


class MoneyField(serializers.Field):
    """Amount in yuan as a string with two decimals outside, integer fen inside."""

    default_error_messages = {
        "min": "amount must be at least {min}",
        "max": "amount must be at most {max}",
    }

    def __init__(self, *, allow_negative=False, min_fen=None, max_fen=None, **kwargs):
        self.allow_negative = allow_negative
        self.min_fen = min_fen
        self.max_fen = max_fen
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> int:
        try:
            fen = parse_yuan(data, allow_negative=self.allow_negative)
        except MoneyFormatError as exc:
            raise serializers.ValidationError(str(exc)) from exc
        if self.min_fen is not None and fen < self.min_fen:
            self.fail("min", min=format_fen(self.min_fen))
        if self.max_fen is not None and fen > self.max_fen:
            self.fail("max", max=format_fen(self.max_fen))
        return fen

    def to_representation(self, value) -> str:
        return format_fen(int(value))


def positive_money(**kwargs) -> MoneyField:
    return MoneyField(min_fen=1, **kwargs)
