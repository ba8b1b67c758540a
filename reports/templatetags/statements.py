from django import template

from core.money import fen_to_chinese_capital, format_fen_display

register = template.Library()


@register.filter
def yuan(fen) -> str:
    """1234567 -> ¥12,345.67"""
    return "" if fen is None else format_fen_display(fen)


@register.filter
def capital(fen) -> str:
    """1500000 -> 壹万伍仟元整"""
    return "" if fen is None else fen_to_chinese_capital(fen)


@register.filter
def percent(value) -> str:
    return "—" if value is None else f"{value:.2f}%"


@register.filter
def get(mapping, key):
    return mapping.get(key, key)
