"""Reads of certification imports and the deaths review list. Who sees what follows registry.access: imports
are county work (EDIT_REGISTRY and CERTIFY), death matches are those of retirees the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, Max, OuterRef, QuerySet, Subquery, Value, When
from django.http import Http404

from pensions.models import PayoutLine, PayoutPlan
from registry import access
from registry.access import Action
from registry.fields import PensionMonthField

from ..models import CertificationImport, DeathMatch

# Plans whose lines were sent to the banks (or are about to be): a line there is a month paid.
_PAID_PLAN_STATUSES = (
    PayoutPlan.Status.APPROVED,
    PayoutPlan.Status.FUNDED,
    PayoutPlan.Status.EXPORTED,
    PayoutPlan.Status.RECONCILED,
)


def may_import(user: Any) -> bool:
    return access.can(user, Action.EDIT_REGISTRY) and access.can(user, Action.CERTIFY)


def may_review_deaths(user: Any) -> bool:
    return access.can(user, Action.EDIT_REGISTRY)


def imports_visible_to(user: Any) -> QuerySet[CertificationImport]:
    """A county clerk sees every import; anyone else with the role, those uploaded in their unit's subtree."""
    imports = CertificationImport.objects.select_related("uploaded_by", "confirmed_by")
    if not may_import(user):
        return imports.none()
    if access.sees_whole_county(user):
        return imports
    return imports.filter(uploaded_by__org_unit__in=access.visible_units(user))


def get_visible_import_or_404(user: Any, pk: int) -> CertificationImport:
    try:
        return imports_visible_to(user).get(pk=pk)
    except CertificationImport.DoesNotExist:
        raise Http404 from None


def death_matches_visible_to(user: Any, *, status: str | None = None) -> QuerySet[DeathMatch]:
    """Pending first, then the newest; each with the registry record and the last month paid to the person
    (the latest non-withheld line of an approved plan), to weigh against the reported date of death."""
    if not may_review_deaths(user):
        return DeathMatch.objects.none()
    last_paid = (
        PayoutLine.objects.filter(
            retiree_id=OuterRef("retiree_id"),
            is_withheld=False,
            net__gt=0,
            plan__status__in=_PAID_PLAN_STATUSES,
        )
        .values("retiree_id")
        .annotate(last=Max("plan__month"))
        .values("last")
    )
    matches = (
        DeathMatch.objects.filter(retiree__in=access.retirees_visible_to(user))
        .select_related("retiree__community__parent", "source_import", "decided_by")
        .annotate(
            pending_first=Case(
                When(status=DeathMatch.Status.PENDING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            last_paid_month=Subquery(last_paid, output_field=PensionMonthField()),
        )
        .order_by("pending_first", "-id")
    )
    if status:
        matches = matches.filter(status=status)
    return matches


def get_visible_death_match_or_404(user: Any, pk: int) -> DeathMatch:
    try:
        return death_matches_visible_to(user).get(pk=pk)
    except DeathMatch.DoesNotExist:
        raise Http404 from None


def pending_death_match_count(user: Any) -> int:
    """For the navigation badge: matches waiting for a decision that this user could take."""
    if not may_review_deaths(user):
        return 0
    return DeathMatch.objects.filter(
        status=DeathMatch.Status.PENDING, retiree__in=access.retirees_visible_to(user)
    ).count()
