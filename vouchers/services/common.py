"""Helpers the voucher services share."""

from django.utils import timezone

from core.errors import DomainError

REASON_MAX_LENGTH = 500


class Errors:
    """Collects field errors, then raises one `invalid` problem with all of them."""

    def __init__(self):
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            field, messages = next(iter(self.fields.items()))
            raise DomainError("invalid", f"{field}: {messages[0]}", errors=self.fields)


def user_or_none(actor):
    """The actor as a user for a foreign key (None for 'system' and other labels)."""
    return actor if getattr(actor, "pk", None) else None


def actor_label(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return actor.get_username()


def clean_reason(reason: str | None, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise DomainError("invalid", "reason: give the reason.",
                          errors={"reason": ["This field is required."]})
    if len(reason) > REASON_MAX_LENGTH:
        raise DomainError("invalid", "reason: too long.",
                          errors={"reason": [f"At most {REASON_MAX_LENGTH} characters."]})
    return reason


def now():
    return timezone.now()
