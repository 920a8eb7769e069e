"""The figures of a dry run, aggregated once from its lines when it is computed and kept on the run: the
pages, the chart, the summary table and the API read them (docs/annual-adjustment.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection

from registry.models import OrgUnit
from registry.sql import with_names

from ..models import AdjustmentLine, AdjustmentRun

# Width of a bar of the distribution chart, in yuan of monthly rise.
HISTOGRAM_STEP = Decimal(10)

_TOTALS = with_names(
    """
SELECT count(*),
       count(*) FILTER (WHERE l.{line.problem} = ''),
       coalesce(sum(l.{line.old_amount}) FILTER (WHERE l.{line.problem} = ''), 0),
       coalesce(sum(l.{line.rise}), 0),
       coalesce(sum(l.{line.new_amount}), 0),
       coalesce(sum(l.{line.arrears_amount}), 0),
       coalesce(sum(l.{line.arrears_months}), 0),
       min(l.{line.rise}), percentile_disc(0.5) WITHIN GROUP (ORDER BY l.{line.rise}), max(l.{line.rise}),
       coalesce(sum(l.{line.flat_part}) FILTER (WHERE l.{line.problem} = ''), 0),
       coalesce(sum(l.{line.pension_part}) FILTER (WHERE l.{line.problem} = ''), 0),
       coalesce(sum(l.{line.years_part}) FILTER (WHERE l.{line.problem} = ''), 0),
       coalesce(sum(l.{line.age_part}) FILTER (WHERE l.{line.problem} = ''), 0),
       coalesce(sum(l.{line.flag_part}) FILTER (WHERE l.{line.problem} = ''), 0),
       coalesce(sum(l.{line.minimum_part}) FILTER (WHERE l.{line.problem} = ''), 0)
  FROM {line} l WHERE l.{line.run} = %(run)s
""",
    line=AdjustmentLine,
)

_PROBLEMS = with_names(
    """
SELECT l.{line.problem}, count(*) FROM {line} l
 WHERE l.{line.run} = %(run)s AND l.{line.problem} <> '' GROUP BY 1 ORDER BY 1
""",
    line=AdjustmentLine,
)

_BY_TOWNSHIP = with_names(
    """
SELECT t.{unit.id}, t.{unit.name}, count(*),
       count(*) FILTER (WHERE l.{line.problem} <> ''),
       coalesce(sum(l.{line.old_amount}) FILTER (WHERE l.{line.problem} = ''), 0),
       coalesce(sum(l.{line.rise}), 0), coalesce(sum(l.{line.new_amount}), 0),
       coalesce(sum(l.{line.arrears_amount}), 0)
  FROM {line} l JOIN {unit} t ON t.{unit.id} = l.{line.township}
 WHERE l.{line.run} = %(run)s
 GROUP BY t.{unit.id}, t.{unit.name}, t.{unit.sort_order}, t.{unit.code}
 ORDER BY t.{unit.sort_order}, t.{unit.code}
""",
    line=AdjustmentLine,
    unit=OrgUnit,
)

_HISTOGRAM = with_names(
    """
SELECT floor(l.{line.rise} / %(step)s)::int AS bucket, count(*)
  FROM {line} l WHERE l.{line.run} = %(run)s AND l.{line.problem} = ''
 GROUP BY 1 ORDER BY 1
""",
    line=AdjustmentLine,
)


def _money(value: Any) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def run_figures(run: AdjustmentRun) -> dict[str, Any]:
    """Counts, totals, the distribution of the rise, per township and per component. Money as strings
    (exact, JSON has no decimals); components are summed unrounded and shown to the fen."""
    params: dict[str, Any] = {"run": run.pk, "step": HISTOGRAM_STEP}
    with connection.cursor() as cursor:
        cursor.execute(_TOTALS, params)
        (
            people,
            adjusted,
            old_total,
            rise_total,
            new_total,
            arrears_total,
            arrears_months,
            rise_min,
            rise_median,
            rise_max,
            *components,
        ) = cursor.fetchone()
        cursor.execute(_PROBLEMS, params)
        problems = {code: count for code, count in cursor.fetchall()}
        cursor.execute(_BY_TOWNSHIP, params)
        townships = [
            {
                "township_id": township_id,
                "name": name,
                "people": count,
                "exceptions": exceptions,
                "old_total": _money(old),
                "rise_total": _money(rise),
                "new_total": _money(new),
                "arrears_total": _money(arrears),
            }
            for township_id, name, count, exceptions, old, rise, new, arrears in cursor.fetchall()
        ]
        cursor.execute(_HISTOGRAM, params)
        counts = dict(cursor.fetchall())
        # Every bar from the lowest to the highest, empty ones too, so the chart's axis reads as a scale.
        buckets = range(min(counts), max(counts) + 1) if counts else range(0)
        histogram = [
            {
                "from": _money(bucket * HISTOGRAM_STEP),
                "to": _money((bucket + 1) * HISTOGRAM_STEP),
                "count": counts.get(bucket, 0),
            }
            for bucket in buckets
        ]
    names = ("flat", "pension", "years", "age", "flag", "minimum")
    return {
        "people": people,
        "adjusted": adjusted,
        "exceptions": people - adjusted,
        "problems": problems,
        "old_total": _money(old_total),
        "rise_total": _money(rise_total),
        "new_total": _money(new_total),
        "arrears_total": _money(arrears_total),
        "arrears_months": int(arrears_months),
        "rise_min": _money(rise_min) if rise_min is not None else None,
        "rise_median": _money(rise_median) if rise_median is not None else None,
        "rise_max": _money(rise_max) if rise_max is not None else None,
        "components": {name: _money(value) for name, value in zip(names, components, strict=True)},
        "by_township": townships,
        "histogram": histogram,
    }
