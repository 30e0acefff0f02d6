from django import template

from calculator.engine.units import format_bytes, format_rate

register = template.Library()


@register.filter(name="bytes")
def bytes_filter(value):
    return "–" if value is None else format_bytes(value)


@register.filter
def tok_s(value):
    return format_rate(value)


@register.filter
def get_item(mapping, key):
    return mapping.get(key)
