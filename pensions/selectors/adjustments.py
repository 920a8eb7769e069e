"""Reading the annual adjustment: parameters in force and their history, runs, lines, and the months a rise
is owed for (docs/annual-adjustment.md)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from registry import access
from registry.access import Action
from registry.models import ArrearsItem, ChangeRequest, FlagKind, OrgUnit, PensionRate, Retiree, RetireeFlag
from registry.months import PensionMonth
from registry.selectors.changes import as_month
from registry.sql import with_names

from ..models import AdjustmentLine, AdjustmentParameters, AdjustmentRun, PayoutLine, PayoutPlan

Status = AdjustmentRun.Status
# Plans that have paid (or withheld) their month: approved or later.
PAID_PLAN_STATUSES = (
    PayoutPlan.Status.APPROVED,
    PayoutPlan.Status.FUNDED,
    PayoutPlan.Status.EXPORTED,
    PayoutPlan.Status.RECONCILED,
)
OPEN_RUN_STATUSES = (
    Status.QUEUED,
    Status.RUNNING,
    Status.COMPUTED,
    Status.SUBMITTED,
    Status.APPROVED,
    Status.APPLYING,
)


def parameters_in_force(year: int) -> AdjustmentParameters | None:
    """The newest parameters of `year`, or None when the admin has not entered any."""
    return (
        AdjustmentParameters.objects.filter(year=year)
        .select_related("set_by")
        .order_by("-set_at", "-id")
        .first()
    )


def parameters_history(year: int) -> QuerySet[AdjustmentParameters]:
    return AdjustmentParameters.objects.filter(year=year).select_related("set_by").order_by("-set_at", "-id")


def parameter_years() -> list[int]:
    """Every year with parameters, newest first."""
    return sorted(set(AdjustmentParameters.objects.values_list("year", flat=True)), reverse=True)


def year_is_applied(year: int) -> bool:
    """Whether a run of `year` has been applied: its parameters are then fixed."""
    return AdjustmentRun.objects.filter(year=year, status=Status.APPLIED).exists()


def applied_parameters() -> list[AdjustmentParameters]:
    """The parameters of every applied year (the ones its newest applied run used), by effective month."""
    found: dict[int, AdjustmentParameters] = {}
    for run in (
        AdjustmentRun.objects.filter(status=Status.APPLIED)
        .select_related("parameters")
        .order_by("year", "-applied_at", "-id")
    ):
        found.setdefault(run.year, run.parameters)
    return sorted(found.values(), key=lambda parameters: as_month(parameters.effective_month))


def open_run(year: int) -> AdjustmentRun | None:
    """The run of `year` in flight (at most one, the database says so)."""
    return AdjustmentRun.objects.filter(year=year, status__in=OPEN_RUN_STATUSES).first()


def runs_of(year: int) -> QuerySet[AdjustmentRun]:
    return AdjustmentRun.objects.filter(year=year).select_related(
        "prepared_by", "approved_by", "applied_by", "parameters"
    )


def last_paid_month() -> PensionMonth | None:
    """The newest month whose plan is approved or later: a rise is owed as arrears up to it."""
    month = (
        PayoutPlan.objects.filter(status__in=PAID_PLAN_STATUSES)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    return as_month(month) if month is not None else None


def lines_of(run: AdjustmentRun) -> QuerySet[AdjustmentLine]:
    return AdjustmentLine.objects.filter(run=run).select_related("retiree", "township")


def exceptions_of(run: AdjustmentRun) -> QuerySet[AdjustmentLine]:
    return lines_of(run).exclude(problem="").order_by("problem", "township__sort_order", "retiree__id_number")


# The months a person has been paid (or withheld) at the old rate, from the effective month up to the last
# paid month and never after the death month: a line of an approved (or later) plan, or an arrears item that
# paid a month before intake or a month owed before death (neither has a line). Those two sources never hold
# the same month for a person; were they to, the arrears table's unique index refuses the second item.
COVERED_MONTHS = with_names(
    """
SELECT line.{line.retiree} AS retiree_id, plan.{plan.month} AS month
  FROM {line} line
  JOIN {plan} plan ON plan.{plan.id} = line.{line.plan}
  JOIN {retiree} person ON person.{retiree.id} = line.{line.retiree}
 WHERE plan.{plan.status} IN %(paid_statuses)s
   AND plan.{plan.month} BETWEEN %(from_month)s AND %(to_month)s
   AND (person.{retiree.died_on} IS NULL
        OR plan.{plan.month} <= extract(year FROM person.{retiree.died_on}) * 100
                                + extract(month FROM person.{retiree.died_on}))
UNION ALL
SELECT item.{arrears.retiree}, item.{arrears.month}
  FROM {arrears} item
  JOIN {retiree} person ON person.{retiree.id} = item.{arrears.retiree}
 WHERE item.{arrears.reason} IN %(covering_reasons)s
   AND item.{arrears.month} BETWEEN %(from_month)s AND %(to_month)s
   AND (person.{retiree.died_on} IS NULL
        OR item.{arrears.month} <= extract(year FROM person.{retiree.died_on}) * 100
                                  + extract(month FROM person.{retiree.died_on}))
""",
    line=PayoutLine,
    plan=PayoutPlan,
    retiree=Retiree,
    arrears=ArrearsItem,
)


def covered_months_params(from_month: PensionMonth, to_month: PensionMonth) -> dict[str, Any]:
    return {
        "paid_statuses": tuple(str(status) for status in PAID_PLAN_STATUSES),
        "covering_reasons": (str(ArrearsItem.Reason.INTAKE), str(ArrearsItem.Reason.DUE_BEFORE_DEATH)),
        "from_month": from_month.number,
        "to_month": to_month.number,
    }


# Everyone the run considers, with what the calculation reads. Eligibility by status and cut-off is here, in
# SQL; a person already adjusted for the year (a rate of the year's adjustment in its effective month) is
# left out, so a later run is a supplementary one.
RUN_PEOPLE = with_names(
    """
WITH base AS (
    SELECT DISTINCT ON (r.{rate.retiree}) r.{rate.retiree} AS retiree_id, r.{rate.amount} AS amount
      FROM {rate} r
     WHERE r.{rate.effective_month} <= %(month)s
     ORDER BY r.{rate.retiree}, r.{rate.effective_month} DESC, r.{rate.revision} DESC
),
later AS (
    SELECT DISTINCT r.{rate.retiree} AS retiree_id FROM {rate} r WHERE r.{rate.effective_month} > %(month)s
),
adjusted AS (
    SELECT DISTINCT r.{rate.retiree} AS retiree_id FROM {rate} r
     WHERE r.{rate.effective_month} = %(month)s AND r.{rate.reason} = %(adjustment_reason)s
),
pending AS (
    SELECT DISTINCT c.{change.retiree} AS retiree_id FROM {change} c
     WHERE c.{change.status} = %(pending)s AND c.{change.field} IN %(amount_fields)s
),
flags AS (
    SELECT f.{flag.retiree} AS retiree_id, array_agg(k.{flag_kind.code} ORDER BY k.{flag_kind.code}) AS codes
      FROM {flag} f JOIN {flag_kind} k ON k.{flag_kind.id} = f.{flag.kind}
     WHERE f.{flag.removed_at} IS NULL
     GROUP BY f.{flag.retiree}
),
covered AS (
    SELECT retiree_id, count(*) AS months FROM ({covered}) c GROUP BY retiree_id
)
SELECT p.{retiree.id}, community.{unit.parent}, p.{retiree.status}, p.{retiree.died_on},
       p.{retiree.birth_date}, p.{retiree.contribution_months}, base.amount,
       later.retiree_id IS NOT NULL, pending.retiree_id IS NOT NULL, coalesce(flags.codes, '{{}}'),
       coalesce(covered.months, 0)
  FROM {retiree} p
  JOIN {unit} community ON community.{unit.id} = p.{retiree.community}
  LEFT JOIN base ON base.retiree_id = p.{retiree.id}
  LEFT JOIN later ON later.retiree_id = p.{retiree.id}
  LEFT JOIN pending ON pending.retiree_id = p.{retiree.id}
  LEFT JOIN flags ON flags.retiree_id = p.{retiree.id}
  LEFT JOIN covered ON covered.retiree_id = p.{retiree.id}
 WHERE p.{retiree.retirement_date} <= %(retired_by)s
   AND (p.{retiree.status} = 'active'
        OR (p.{retiree.status} = 'suspended' AND %(include_suspended)s)
        OR (p.{retiree.status} = 'deceased' AND %(include_deceased)s
            AND p.{retiree.died_on} >= %(month_start)s))
   AND NOT EXISTS (SELECT 1 FROM adjusted WHERE adjusted.retiree_id = p.{retiree.id})
 ORDER BY p.{retiree.id}
""".replace("{covered}", "{{covered}}"),
    rate=PensionRate,
    retiree=Retiree,
    unit=OrgUnit,
    change=ChangeRequest,
    flag=RetireeFlag,
    flag_kind=FlagKind,
)


def may_view_adjustments(user: object) -> bool:
    """Who sees the adjustment pages: those who prepare or approve payments, the admin who sets the
    parameters, and the auditor (read only). Township staff do not."""
    actions = access.actions_of(user)
    return bool(
        actions
        & {Action.PREPARE_PAYMENTS, Action.APPROVE_PAYMENTS, Action.MANAGE_SETTINGS, Action.VIEW_AUDIT}
    )
