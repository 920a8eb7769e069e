"""Pension rates written in bulk by another app's batch: the annual adjustment (pensions) asks the registry to
write its new rates and the arrears of the months already paid, set-based, rather than writing the tables
itself (docs/annual-adjustment.md)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from ..models import ArrearsItem, PensionRate, Staff
from ..months import PensionMonth
from ..sql import with_names


@dataclass(frozen=True)
class AdjustmentWritten:
    rates: int
    arrears: int
    arrears_total: Decimal


_RATES = """
INSERT INTO {rate} ({rate.retiree}, {rate.amount}, {rate.effective_month}, {rate.revision}, {rate.reason},
                    {rate.note}, {rate.created_by}, {rate.created_at})
SELECT people.retiree_id, people.new_amount, %(month)s, coalesce(taken.next_revision, 0), %(reason)s,
       %(note)s, %(by)s, %(now)s
  FROM __PEOPLE__ people
  LEFT JOIN (SELECT r.{rate.retiree} AS retiree_id, max(r.{rate.revision}) + 1 AS next_revision
               FROM {rate} r WHERE r.{rate.effective_month} = %(month)s GROUP BY r.{rate.retiree}) taken
         ON taken.retiree_id = people.retiree_id
"""

_ARREARS = """
WITH written AS (
    INSERT INTO {arrears} ({arrears.retiree}, {arrears.month}, {arrears.amount}, {arrears.reason},
                           {arrears.adjustment_year}, {arrears.note}, {arrears.created_by},
                           {arrears.created_at})
    SELECT people.retiree_id, covered.month, people.rise, %(reason)s, %(year)s, %(note)s, %(by)s, %(now)s
      FROM __PEOPLE__ people
      JOIN (__COVERED__) covered ON covered.retiree_id = people.retiree_id
     WHERE people.rise > 0
    RETURNING {arrears.amount}
)
SELECT count(*), coalesce(sum({arrears.amount}), 0) FROM written
"""


def annual_adjustment_write(
    *,
    people: str,
    covered_months: str,
    params: dict[str, Any],
    year: int,
    effective_month: PensionMonth,
    note: str,
    by: Staff,
) -> AdjustmentWritten:
    """Write `year`'s adjustment for everyone in `people`, in the caller's transaction:

    - one rate per person, `new_amount` from `effective_month`, as the next revision of that month (a person
      whose first rate starts in the effective month keeps it as the base, and the rise comes after it);
    - one arrears item per person and month for every month `covered_months` gives (the months already paid
      or withheld at the old rate), of `rise` each; the table's unique index refuses a second item for a
      person, year and month, so a month's rise is owed once.

    `people` names a relation (a temporary table the caller filled) with columns retiree_id, new_amount and
    rise; `covered_months` is a SELECT of (retiree_id, month) rows, with `params` its parameters. Two
    statements, set-based, nothing read back row by row."""
    values = {
        **params,
        "month": effective_month.number,
        "year": year,
        "note": note[:200],
        "by": by.pk,
        # The application's clock, as every other row's created_at (auto_now_add), not the database's.
        "now": timezone.now(),
        "reason": PensionRate.Reason.ANNUAL_ADJUSTMENT,
    }
    quoted_people = connection.ops.quote_name(people)
    with connection.cursor() as cursor:
        # The relation and the SELECT are the caller's SQL text; they go in after the names are formatted.
        cursor.execute(with_names(_RATES, rate=PensionRate).replace("__PEOPLE__", quoted_people), values)
        rates = cursor.rowcount
        values["reason"] = ArrearsItem.Reason.ANNUAL_ADJUSTMENT
        text = with_names(_ARREARS, arrears=ArrearsItem)
        cursor.execute(
            text.replace("__PEOPLE__", quoted_people).replace("__COVERED__", covered_months), values
        )
        count, total = cursor.fetchone()
    return AdjustmentWritten(
        rates=rates, arrears=count, arrears_total=Decimal(total).quantize(Decimal("0.01"))
    )
