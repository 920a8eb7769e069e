"""The navigation's certification menu: the deaths review list's pending count for its badge."""

from __future__ import annotations

from typing import Any

from django import template

from certification.selectors import pending_death_match_count

register = template.Library()


@register.simple_tag
def pending_death_matches(user: Any) -> int:
    return pending_death_match_count(user)
