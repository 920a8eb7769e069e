"""Reads of the payouts: plans, their lines and totals, the calendar (plans); fundings, bank files and failed
lines (money)."""

from .money import plan_bank_files, plan_failed_lines, plan_fundings
from .plans import (
    PLAN_VIEWER_ACTIONS,
    Deadline,
    LineFilters,
    PayoutCalendar,
    PlanTotalsView,
    TotalRow,
    can_view_plans,
    payout_calendar,
    plan_for_month,
    plan_get,
    plan_line_banks,
    plan_line_townships,
    plan_lines,
    plan_list,
    plan_totals,
    plan_transitions,
)

__all__ = [
    "PLAN_VIEWER_ACTIONS",
    "Deadline",
    "LineFilters",
    "PayoutCalendar",
    "PlanTotalsView",
    "TotalRow",
    "can_view_plans",
    "payout_calendar",
    "plan_bank_files",
    "plan_failed_lines",
    "plan_for_month",
    "plan_fundings",
    "plan_get",
    "plan_line_banks",
    "plan_line_townships",
    "plan_lines",
    "plan_list",
    "plan_totals",
    "plan_transitions",
]
