"""The money panels of the plan page (funding, bank files, failed lines): `{% money_panels %}` in
pensions/plan_detail.html, so the plan view stays as it is and a refusal can hand back its bound forms."""

from __future__ import annotations

from typing import Any

from django import template

from ..views.money import money_context

register = template.Library()


@register.inclusion_tag("pensions/money/panels.html", takes_context=True)
def money_panels(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    return {
        **money_context(request.user, context["plan"], context.get("money_overrides")),
        "csrf_token": context.get("csrf_token"),
        # A refusal's message, shown again inside the dialog that was refused (it opens on load).
        "action_error": context.get("action_error"),
        "request": request,
    }
