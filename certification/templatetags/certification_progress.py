"""The certification card on the home page: this year's certified / due / remaining for the user's scope.

A template tag, so the registry's home view never imports certification (registry imports no app)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from registry import access
from registry.access import Action

from ..selectors.progress import progress_total

register = template.Library()


@register.inclusion_tag("certification/_progress_card.html")
def certification_progress_card(user: Any) -> dict[str, Any]:
    """Empty for roles that do not certify."""
    if not access.can(user, Action.CERTIFY):
        return {"counts": None}
    today = timezone.localdate()
    found = progress_total(user=user, year=today.year, today=today)
    if found is None:
        return {"counts": None}
    unit, counts = found
    return {"counts": counts, "unit": unit, "year": today.year}
