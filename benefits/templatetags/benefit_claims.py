"""`{% claim_of registration as claim %}` and `{% may_prepare_claim registration as may %}` for the claim
button on the death registration's page (templates/benefits/_claim_button.html)."""

from __future__ import annotations

from typing import Any

from django import template

from registry import access
from registry.access import Action

from ..models import DeathRegistration, SurvivorClaim

register = template.Library()


@register.simple_tag
def claim_of(registration: DeathRegistration) -> SurvivorClaim | None:
    return SurvivorClaim.objects.filter(registration_id=registration.pk).first()


@register.simple_tag(takes_context=True)
def may_prepare_claim(context: Any, registration: DeathRegistration) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    return (
        access.can(user, Action.EDIT_REGISTRY) and registration.status == DeathRegistration.Status.CONFIRMED
    )
