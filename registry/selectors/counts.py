"""Head counts for the home pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from ..access import retirees_visible_to, visible_townships, visible_units
from ..models import OrgUnit, Retiree, Staff
from .units import in_unit_order


def county_name() -> str:
    """The county bureau's name, for the login page."""
    county = OrgUnit.objects.filter(kind=OrgUnit.Kind.COUNTY).order_by("sort_order", "code").first()
    return county.name if county else ""


def status_counts(*, user: Staff) -> dict[str, int]:
    rows = retirees_visible_to(user).values("status").annotate(n=Count("id")).order_by()
    counts = {status: 0 for status in Retiree.Status.values}
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def community_counts(*, user: Staff) -> QuerySet[OrgUnit]:
    """The communities in the user's scope with head counts by status (township staff's home page)."""
    status = Retiree.Status
    return (
        visible_units(user)
        .filter(kind=OrgUnit.Kind.COMMUNITY)
        .annotate(
            total=Count("retirees"),
            active=Count("retirees", filter=Q(retirees__status=status.ACTIVE)),
            suspended=Count("retirees", filter=Q(retirees__status=status.SUSPENDED)),
            deceased=Count("retirees", filter=Q(retirees__status=status.DECEASED)),
            terminated=Count("retirees", filter=Q(retirees__status=status.TERMINATED)),
        )
        .order_by("sort_order", "code")
    )


def township_counts(*, user: Staff) -> list[dict[str, Any]]:
    """Per visible township: retirees by status, for the home page table."""
    townships: list[OrgUnit] = list(in_unit_order(visible_townships(user)))
    rows = (
        retirees_visible_to(user).values("community__parent_id", "status").annotate(n=Count("id")).order_by()
    )
    table: dict[int, dict[str, int]] = {t.id: dict.fromkeys(Retiree.Status.values, 0) for t in townships}
    for row in rows:
        if row["community__parent_id"] in table:
            table[row["community__parent_id"]][row["status"]] = row["n"]
    return [{"township": t, "counts": table[t.id], "total": sum(table[t.id].values())} for t in townships]
