"""Head counts for the home pages, from the kept counts (RetireeCount, kept by triggers on the registry):
a few hundred rows summed instead of a scan of every retiree (docs/page-speed.md)."""

from __future__ import annotations

from typing import Any

from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from ..access import Action, can, sees_whole_county, visible_community_ids, visible_townships, visible_units
from ..models import OrgUnit, Retiree, RetireeCount, Staff
from .units import in_unit_order


def county_name() -> str:
    """The county bureau's name, for the login page."""
    county = OrgUnit.objects.filter(kind=OrgUnit.Kind.COUNTY).order_by("sort_order", "code").first()
    return county.name if county else ""


def _kept_counts(user: Staff) -> QuerySet[RetireeCount]:
    """The kept counts of the retirees the user may see (the scope of access.retirees_visible_to)."""
    if not can(user, Action.VIEW_REGISTRY):
        return RetireeCount.objects.none()
    if sees_whole_county(user):
        return RetireeCount.objects.all()
    return RetireeCount.objects.filter(community_id__in=visible_community_ids(user))


def status_counts(*, user: Staff) -> dict[str, int]:
    rows = _kept_counts(user).values("status").annotate(n=Sum("n")).values_list("status", "n").order_by()
    counts = {status: 0 for status in Retiree.Status.values}
    for status, n in rows:
        counts[status] = int(n)
    return counts


def _community_status(status: str) -> Coalesce:
    kept = (
        RetireeCount.objects.filter(community_id=OuterRef("pk"), status=status)
        .order_by()
        .values("community_id")
        .annotate(n=Sum("n"))
        .values("n")
    )
    return Coalesce(Subquery(kept, output_field=IntegerField()), Value(0))


def community_counts(*, user: Staff) -> QuerySet[OrgUnit]:
    """The communities in the user's scope with head counts by status (township staff's home page)."""
    status = Retiree.Status
    return (
        visible_units(user)
        .filter(kind=OrgUnit.Kind.COMMUNITY)
        .annotate(
            active=_community_status(status.ACTIVE),
            suspended=_community_status(status.SUSPENDED),
            deceased=_community_status(status.DECEASED),
            terminated=_community_status(status.TERMINATED),
        )
        .annotate(total=F("active") + F("suspended") + F("deceased") + F("terminated"))
        .order_by("sort_order", "code")
    )


def township_counts(*, user: Staff) -> list[dict[str, Any]]:
    """Per visible township: retirees by status, for the home page table."""
    townships: list[OrgUnit] = list(in_unit_order(visible_townships(user)))
    parents = dict(
        OrgUnit.objects.filter(parent_id__in=[t.id for t in townships])
        .values_list("id", "parent_id")
        .order_by()
    )
    rows = (
        _kept_counts(user)
        .filter(community_id__in=list(parents))
        .values("community_id", "status")
        .annotate(n=Sum("n"))
        .values_list("community_id", "status", "n")
        .order_by()
    )
    table: dict[int, dict[str, int]] = {t.id: dict.fromkeys(Retiree.Status.values, 0) for t in townships}
    for community_id, status, n in rows:
        table[parents[community_id]][status] += int(n)
    return [{"township": t, "counts": table[t.id], "total": sum(table[t.id].values())} for t in townships]
