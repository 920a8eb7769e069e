"""Small formatting helpers the registry pages share: money, ages, status badges, role checks."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from registry import formats
from registry.access import Action
from registry.models import Retiree

register = template.Library()

# Bootstrap "subtle" colours: green is paid, amber is money withheld, grey means no more payments.
_STATUS_COLOURS: dict[str, str] = {
    Retiree.Status.ACTIVE: "success",
    Retiree.Status.SUSPENDED: "warning",
    Retiree.Status.DECEASED: "secondary",
    Retiree.Status.TERMINATED: "dark",
}


@register.filter
def yuan(value: Decimal | None) -> str:
    """¥2,650.00 (registry.formats.yuan, the one money format of pages, messages and PDFs)."""
    return formats.yuan(value)


@register.filter
def thousands(value: int | None) -> str:
    """29,574: head counts grouped by thousands (Django's zh-hans number format does not group)."""
    return formats.thousands(value)


@register.filter
def age(birth_date: datetime.date | None) -> int | str:
    """Whole years on today's date in the bureau's time zone."""
    if birth_date is None:
        return ""
    today = timezone.localdate()
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


@register.simple_tag
def status_badge(status: str) -> SafeString:
    colour = _STATUS_COLOURS.get(status, "secondary")
    label = Retiree.Status(status).label if status in Retiree.Status.values else status
    return format_html(
        '<span class="badge rounded-pill status-badge bg-{0}-subtle text-{0}-emphasis '
        'border border-{0}-subtle">{1}</span>',
        colour,
        label,
    )


@register.filter
def allows(role_actions: Collection[str], action_name: str) -> bool:
    """`{% if role_actions|allows:"MANAGE_SETTINGS" %}`. Templates cannot use `Action.X` from the context:
    the template engine calls classes, and calling the Action enum without a value fails silently to ""."""
    return Action[action_name].value in role_actions


@register.filter
def timedelta_minutes(value: datetime.timedelta) -> int:
    return int(value.total_seconds() // 60)
