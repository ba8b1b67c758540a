"""What the management commands share."""

from datetime import date

from django.core.management.base import CommandError


def as_of_date(text: str) -> date:
    """argparse `type` of an --as-of option: an ISO date, or the command's error."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--as-of wants YYYY-MM-DD, not {text!r}") from exc
