"""The pending-change count in the nav (information changes)."""

from __future__ import annotations

from typing import Any

from django import template

from registry.access import Action, can
from registry.selectors.changes import pending_change_count

register = template.Library()


@register.simple_tag
def pending_changes(user: Any) -> int:
    """Pending requests in the user's queue; 0 for anyone who works with none."""
    if not (can(user, Action.APPROVE_CHANGES) or can(user, Action.EDIT_REGISTRY)):
        return 0
    return pending_change_count(user=user)
