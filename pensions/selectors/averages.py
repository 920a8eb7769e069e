"""The county average monthly pension of a year (月人均基本养老金), from the system's own paid plans."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Sum

from registry.months import PensionMonth

from ..models import PayoutPlan

_CENT = Decimal("0.01")
_NOT_PAID = (PayoutPlan.Status.DRAFT, PayoutPlan.Status.SUBMITTED)


def county_average_monthly_pension(*, year: int) -> Decimal | None:
    """The regular amounts paid in `year` ÷ the person-months paid, rounded half up to the fen once; None when
    no plan of the year was approved. Paid means an approved (or later) plan's lines that were not withheld:
    regular_total − withheld_total over line_count − withheld_count, the totals each plan stores when it is
    made. Twelve rows, never the lines: a year of a million retirees is twelve million of them."""
    sums = (
        PayoutPlan.objects.filter(
            month__gte=PensionMonth(year, 1).number, month__lte=PensionMonth(year, 12).number
        )
        .exclude(status__in=_NOT_PAID)
        .aggregate(
            paid=Sum(F("regular_total") - F("withheld_total")),
            person_months=Sum(F("line_count") - F("withheld_count")),
        )
    )
    if not sums["person_months"]:
        return None
    average: Decimal = (Decimal(sums["paid"]) / sums["person_months"]).quantize(_CENT, rounding=ROUND_HALF_UP)
    return average
