"""The "导出完整号码" button and its purpose dialog, the same on every page that exports personal numbers:
`{% full_numbers_export url query dialog_id %}`. Shown only to roles with Action.VIEW_SENSITIVE; the plain
export link beside it gives the masked file to everyone else (docs/personal-data.md)."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict

from registry import access
from registry.access import Action
from registry.models import SensitiveExport

register = template.Library()

# The dialog's own fields: never copied from the page's query into hidden inputs.
_OWN_FIELDS = frozenset({"purpose", "purpose_note", "page"})


@register.inclusion_tag("registry/_full_numbers_export.html", takes_context=True)
def full_numbers_export(
    context: dict[str, Any], url: str, query: str = "", dialog_id: str = "full-export", label: str = ""
) -> dict[str, Any]:
    """A GET form to `url` carrying the page's filters (`query`, urlencoded) as hidden fields, with the
    purpose to choose and an explanation for "other"."""
    request = context.get("request")
    user = getattr(request, "user", None)
    filters = QueryDict(query or "")
    return {
        "allowed": access.can(user, Action.VIEW_SENSITIVE),
        "url": url,
        "label": label,
        "dialog_id": dialog_id,
        "hidden": [
            (key, value) for key, values in filters.lists() if key not in _OWN_FIELDS for value in values
        ],
        "purposes": [
            (value, label)
            for value, label in SensitiveExport.Purpose.choices
            if value != SensitiveExport.Purpose.REMOTE_CERTIFICATION
        ],
    }
