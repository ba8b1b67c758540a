from django import template
from django.urls import reverse

from core.money import format_fen
from web.decorators import member_refusal
from web.navigation import ACTION_PAGES, ROLE_LINKS

register = template.Library()


@register.filter
def fen(value) -> str:
    """Integer fen as yuan with two decimals: 1500000 -> 15000.00."""
    return "" if value is None else format_fen(value)


@register.filter
def can_act(user) -> bool:
    """Staff, or a member of an active organisation."""
    return user.is_authenticated and member_refusal(user) is None


@register.simple_tag
def role_links(user) -> list[tuple[str, str]]:
    """The pages of the user's role (without the acting ones while they may not act)."""
    if not user.is_authenticated:
        return []
    acting = can_act(user)
    return [(reverse(name), label) for name, label in ROLE_LINKS.get(user.role, [])
            if acting or name not in ACTION_PAGES]
