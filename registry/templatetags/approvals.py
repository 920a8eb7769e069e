"""The approvals badge in the menu: how many items wait for the signed-in person (registry.approvals)."""

from __future__ import annotations

from typing import Any

from django import template

from registry import approvals

register = template.Library()


@register.simple_tag
def approvals_waiting(user: Any) -> int | None:
    """None for anyone who approves nothing (no menu item, no query); else the count across all kinds."""
    if not approvals.may_use_inbox(user):
        return None
    return approvals.waiting_count(user)
