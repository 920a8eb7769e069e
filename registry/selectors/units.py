"""The order of the unit tree, the one order in which townships and communities are listed everywhere.

The bureau numbers its townships (`OrgUnit.sort_order`, then the unit code): pages, filters, plan totals,
PDFs and exports list units in that order, never by name (Unicode order of Chinese names means nothing to a
clerk). Communities follow their township, then their own number.
"""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import OrgUnit

UNIT_ORDER: tuple[str, str] = ("sort_order", "code")


def unit_order(through: str = "") -> list[str]:
    """ORDER BY fields that list units in tree order. `through` is the path from the queried model to the
    unit, e.g. "township" or "retiree__community__parent"; empty for OrgUnit itself."""
    prefix = f"{through}__" if through else ""
    return [prefix + field for field in UNIT_ORDER]


def community_order(through: str = "") -> list[str]:
    """ORDER BY fields for communities (or what hangs under them): their township's place, then their own."""
    parent = f"{through}__parent" if through else "parent"
    return unit_order(parent) + unit_order(through)


def in_unit_order(units: QuerySet[OrgUnit]) -> QuerySet[OrgUnit]:
    return units.order_by(*UNIT_ORDER)


def unit_sort_key(unit: OrgUnit | None) -> tuple[bool, int, str]:
    """For lists sorted in Python: tree order, and rows without a unit last."""
    if unit is None:
        return (True, 0, "")
    return (False, unit.sort_order, unit.code)
