"""Reads of death registrations, scoped to the retirees the user may see (registry.access)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from registry import access
from registry.access import Action
from registry.models import Retiree

from ..models import DeathRegistration, SurvivorClaim

Status = DeathRegistration.Status


def may_see_registrations(user: Any) -> bool:
    """The registrations list and pages: who records (clerk), who confirms (reviewer), who audits. A
    township officer follows only what they reported (reports_of)."""
    return any(
        access.can(user, action)
        for action in (Action.EDIT_REGISTRY, Action.APPROVE_CHANGES, Action.VIEW_AUDIT)
    )


def registrations_visible_to(user: Any) -> QuerySet[DeathRegistration]:
    return DeathRegistration.objects.filter(retiree__in=access.retirees_visible_to(user)).select_related(
        "retiree__community__parent", "reported_by", "recorded_by", "decided_by", "corrected_by"
    )


def registration_list(
    *, user: Any, status: str = "", township_id: int | None = None
) -> QuerySet[DeathRegistration]:
    """Newest first, optionally of one status and one township."""
    queryset = registrations_visible_to(user)
    if status:
        queryset = queryset.filter(status=status)
    if township_id:
        queryset = queryset.filter(retiree__community__parent_id=township_id)
    return queryset.order_by("-id")


def registration_get(*, user: Any, pk: int) -> DeathRegistration:
    """One registration whose retiree the user may see (DeathRegistration.DoesNotExist otherwise)."""
    return registrations_visible_to(user).get(pk=pk)


def registrations_awaiting(*, user: Any) -> QuerySet[DeathRegistration]:
    """Pending registrations this reviewer may confirm, oldest first: APPROVE_CHANGES, in scope, not
    recorded by them (the rule benefits.services.death_registration_confirm enforces)."""
    if not access.can(user, Action.APPROVE_CHANGES):
        return DeathRegistration.objects.none()
    return (
        registrations_visible_to(user)
        .filter(status=Status.PENDING)
        .exclude(recorded_by=user.pk)
        .order_by("recorded_at", "id")
    )


def reports_of(*, user: Any) -> QuerySet[DeathRegistration]:
    """What this township officer reported, newest first, with the claim when there is one."""
    return (
        registrations_visible_to(user)
        .filter(reported_by=user.pk)
        .select_related("claim")
        .order_by("-reported_at", "-id")
    )


def registrations_of(*, retiree: Retiree) -> list[DeathRegistration]:
    """Every registration of one retiree (the death tab), newest first."""
    return list(
        DeathRegistration.objects.filter(retiree=retiree)
        .select_related("recorded_by", "decided_by", "corrected_by", "reported_by", "recovery")
        .order_by("-id")
    )


def claim_of(registration: DeathRegistration) -> SurvivorClaim | None:
    """The family's claim of this registration, if one was made."""
    return SurvivorClaim.objects.filter(registration=registration).first()


def open_registration_of(*, retiree: Retiree) -> DeathRegistration | None:
    return (
        DeathRegistration.objects.filter(
            retiree=retiree, status__in=(Status.REPORTED, Status.PENDING, Status.CONFIRMED)
        )
        .order_by("-id")
        .first()
    )
