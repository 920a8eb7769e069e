"""Reads of payout plans for the pages, the API and the finance home card: the plans, their stored totals
checked against the lines, the lines filtered, and where the county stands in the payout calendar.
QuerySets and small values; no writes here (pensions.services)."""

from __future__ import annotations

import calendar
import datetime
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from registry import access
from registry.access import Action
from registry.models import Bank, OrgUnit
from registry.months import PensionMonth, first_open_month
from registry.selectors import in_unit_order, unit_sort_key

from ..errors import PlanError
from ..models import PayoutLine, PayoutPlan, PlanTotal, PlanTransition
from ..preparers import plan_prepared_by_q
from ..services import plan_totals_check

# Who may open the plan pages at all: the clerks who prepare, the reviewers who approve, the auditors who
# read. Township staff work with people, not with the county's payout.
PLAN_VIEWER_ACTIONS = (Action.PREPARE_PAYMENTS, Action.APPROVE_PAYMENTS, Action.VIEW_AUDIT)

_ID_PREFIX = re.compile(r"^\d{4,17}[\dXx]?$")


def can_view_plans(user: Any) -> bool:
    return any(access.can(user, action) for action in PLAN_VIEWER_ACTIONS)


def plan_list() -> QuerySet[PayoutPlan]:
    """Every plan, the newest month first, with the people who made, submitted and approved it."""
    return PayoutPlan.objects.select_related("created_by", "submitted_by", "approved_by").order_by("-month")


def plan_get(*, pk: int) -> PayoutPlan:
    """One plan (PayoutPlan.DoesNotExist when there is none)."""
    return plan_list().get(pk=pk)


def plan_get_or_404(*, pk: int) -> PayoutPlan:
    """The plan for a page or an endpoint: 404 when there is none."""
    try:
        return plan_get(pk=pk)
    except PayoutPlan.DoesNotExist:
        raise Http404 from None


def plan_for_month(*, month: PensionMonth) -> PayoutPlan | None:
    return plan_list().filter(month=month.number).first()


def plan_transitions(*, plan: PayoutPlan) -> QuerySet[PlanTransition]:
    return plan.transitions.select_related("by").order_by("at", "id")


@dataclass(frozen=True)
class TotalRow:
    """One subtotal (a bank or a township) as stored with the plan."""

    key_id: int | None
    name: str
    line_count: int
    regular_total: Any
    arrears_total: Any
    deduction_total: Any
    withheld_total: Any
    net_total: Any
    # Townships are listed in the unit tree's order (registry.selectors.units), not by name.
    unit_key: tuple[bool, int, str] = (True, 0, "")


@dataclass(frozen=True)
class PlanTotalsView:
    banks: list[TotalRow]
    townships: list[TotalRow]
    # True when the stored totals (overall, per bank, per township) equal the lines added up again now.
    matches_lines: bool
    mismatch: str = ""


def _row(
    total: PlanTotal, name: str, key_id: int | None, unit_key: tuple[bool, int, str] = (True, 0, "")
) -> TotalRow:
    return TotalRow(
        key_id=key_id,
        name=name,
        line_count=total.line_count,
        regular_total=total.regular_total,
        arrears_total=total.arrears_total,
        deduction_total=total.deduction_total,
        withheld_total=total.withheld_total,
        net_total=total.net_total,
        unit_key=unit_key,
    )


# How long the plan page trusts a check of its totals against the lines (docs/page-speed.md).
TOTALS_CHECK_SECONDS = 600


def plan_totals(*, plan: PayoutPlan, reuse_check: bool = False) -> PlanTotalsView:
    """The stored subtotals per bank and per township, and whether they (and the plan's overall totals)
    still equal the lines: the same check the services make before submission and approval.

    With `reuse_check` (the plan page), a check made in the last TOTALS_CHECK_SECONDS of the same stored
    totals (the plan row and every subtotal, so any service that changes a total makes a new check) is shown
    instead of adding a million lines up again on every view; submission, approval and export check again
    whatever the page showed."""
    rows = list(PlanTotal.objects.filter(plan=plan).select_related("bank", "township").order_by("id"))
    banks: list[TotalRow] = []
    townships: list[TotalRow] = []
    for total in rows:
        if total.kind == PlanTotal.Kind.BANK:
            name = total.bank.name if total.bank else str(_("(无当前账户)"))
            banks.append(_row(total, name, total.bank_id))
        else:
            township = total.township
            name = township.name if township else ""
            townships.append(_row(total, name, total.township_id, unit_sort_key(township)))
    banks.sort(key=lambda row: (row.key_id is None, row.name))
    townships.sort(key=lambda row: row.unit_key)
    key = _totals_check_key(plan, rows) if reuse_check else None
    mismatch = cache.get(key) if key is not None else None
    if mismatch is None:
        try:
            plan_totals_check(plan=plan)
            mismatch = ""
        except PlanError as error:
            mismatch = str(error.message)
        if key is not None:
            cache.set(key, mismatch, TOTALS_CHECK_SECONDS)
    return PlanTotalsView(banks=banks, townships=townships, matches_lines=not mismatch, mismatch=mismatch)


def _totals_check_key(plan: PayoutPlan, rows: list[PlanTotal]) -> str:
    """The plan's stored totals as they are now, read fresh (not from the instance the view holds)."""
    fields = ("status", "generated_at", "line_count", *_PLAN_TOTAL_FIELDS, "withheld_count")
    stored = [list(PayoutPlan.objects.filter(pk=plan.pk).values_list(*fields).get())]
    stored += [
        [
            row.kind,
            row.bank_id,
            row.township_id,
            row.line_count,
            *(getattr(row, f) for f in _PLAN_TOTAL_FIELDS),
        ]
        for row in rows
    ]
    digest = hashlib.sha256(repr(stored).encode()).hexdigest()
    return f"plan-totals-check:{plan.pk}:{digest}"


_PLAN_TOTAL_FIELDS = ("regular_total", "arrears_total", "deduction_total", "withheld_total", "net_total")


# Lines ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineFilters:
    q: str = ""
    township_id: int | None = None
    bank_id: int | None = None
    withheld_only: bool = False
    has_arrears: bool = False
    has_deduction: bool = False


def name_or_id_prefix(q: str, *, id_field: str, name_fields: tuple[str, ...]) -> Q | None:
    """What a line list's search box asks for: an ID prefix (4+ digits, a final X in either case) on
    `id_field`, or else the start of a name in any of `name_fields`; None for an empty box."""
    q = q.strip()
    if not q:
        return None
    if _ID_PREFIX.match(q):
        return Q(**{f"{id_field}__startswith": q.upper()})
    found = Q()
    for name in name_fields:
        found |= Q(**{f"{name}__startswith": q})
    return found


def plan_lines(*, plan: PayoutPlan, filters: LineFilters) -> QuerySet[PayoutLine]:
    """A plan's lines in line order, filtered. `q` is an ID prefix (4+ digits, a final X in either case) or
    the start of a name; both are searched on the snapshot the line was made with."""
    lines = PayoutLine.objects.filter(plan=plan).select_related("bank", "township", "community")
    # A page is a LIMIT in id order, for which the planner walks the primary key and expects this plan's
    # lines spread evenly over it; they are one run after every earlier month's, so the walk passed all of
    # those first (0.23 s for the newest of two plans of 965,000 lines, seconds after a year). The plan's
    # first line id (min() is read off the (plan, id) index in a fraction of a millisecond; a subquery, so
    # the queryset stays lazy) starts the walk there.
    first_id = RawSQL("SELECT min(id) FROM pensions_payoutline WHERE plan_id = %s", (plan.pk,))  # noqa: S611
    lines = lines.filter(id__gte=first_id)
    if filters.township_id is not None:
        lines = lines.filter(township_id=filters.township_id)
    if filters.bank_id is not None:
        lines = lines.filter(bank_id=filters.bank_id)
    if filters.withheld_only:
        lines = lines.filter(is_withheld=True)
    if filters.has_arrears:
        lines = lines.filter(arrears__gt=0)
    if filters.has_deduction:
        lines = lines.filter(deduction__gt=0)
    search = name_or_id_prefix(filters.q, id_field="id_number", name_fields=("name", "holder_name"))
    if search is not None:
        lines = lines.filter(search)
    return lines.order_by("id")


# A filter the stored subtotals cannot answer (a search, withheld only, with arrears or deduction) is counted
# up to this many lines; past it the page says "more than" and pages on (docs/page-speed.md).
LINE_COUNT_CAP = 10_000


@dataclass(frozen=True)
class LineCount:
    count: int
    capped: bool  # more lines than `count` match; they were not counted


def plan_line_count(*, plan: PayoutPlan, filters: LineFilters, lines: QuerySet[PayoutLine]) -> LineCount:
    """How many lines `lines` (plan_lines(plan, filters)) holds, without counting a million rows: the plan's
    stored line counts (overall, per bank, per township; plan_totals checks they equal the lines) when the
    filter is only a township or a bank, else a count that stops at LINE_COUNT_CAP."""
    narrowed = filters.q.strip() or filters.withheld_only or filters.has_arrears or filters.has_deduction
    if not narrowed:
        if filters.township_id is None and filters.bank_id is None:
            return LineCount(count=plan.line_count, capped=False)
        if filters.township_id is None or filters.bank_id is None:
            kind, key = (
                (PlanTotal.Kind.TOWNSHIP, {"township_id": filters.township_id})
                if filters.bank_id is None
                else (PlanTotal.Kind.BANK, {"bank_id": filters.bank_id})
            )
            stored = PlanTotal.objects.filter(plan=plan, kind=kind, **key).values_list(
                "line_count", flat=True
            )
            return LineCount(count=sum(stored), capped=False)
    counted = lines.order_by()[: LINE_COUNT_CAP + 1].count()
    return LineCount(count=min(counted, LINE_COUNT_CAP), capped=counted > LINE_COUNT_CAP)


def plan_line_townships(*, plan: PayoutPlan) -> QuerySet[OrgUnit]:
    """The townships that have lines in the plan (from its stored subtotals), for the filter."""
    ids = PlanTotal.objects.filter(plan=plan, kind=PlanTotal.Kind.TOWNSHIP).values("township_id")
    return in_unit_order(OrgUnit.objects.filter(id__in=ids))


def plan_line_banks(*, plan: PayoutPlan) -> QuerySet[Bank]:
    ids = PlanTotal.objects.filter(plan=plan, kind=PlanTotal.Kind.BANK, bank__isnull=False).values("bank_id")
    return Bank.objects.filter(id__in=ids).order_by("code")


# The payout calendar ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    kind: str  # "plan", "funding", "credit"
    label: str
    date: datetime.date
    is_next: bool
    is_past: bool


@dataclass(frozen=True)
class PayoutCalendar:
    """The month whose deadline comes next, its plan (None before it is drafted) and its three deadlines:
    the plan is made before day P, funds reach the banks before day F, retirees before day C."""

    today: datetime.date
    month: PensionMonth
    plan: PayoutPlan | None
    deadlines: list[Deadline] = field(default_factory=list)
    next_deadline: Deadline | None = None
    days_remaining: int = 0
    # The month a clerk drafts now (registry.months.first_open_month), which the draft form proposes.
    open_month: PensionMonth | None = None


def _day_in(month: PensionMonth, day: int) -> datetime.date:
    # Day 31 in a 30-day month (or 29 in February) is the month's last day.
    last = calendar.monthrange(month.year, month.month)[1]
    return datetime.date(month.year, month.month, min(day, last))


def _deadlines_of(month: PensionMonth) -> list[tuple[str, str, datetime.date]]:
    return [
        ("plan", str(_("计划编制截止")), _day_in(month, settings.PAYOUT_PLAN_DAY)),
        ("funding", str(_("资金拨付截止")), _day_in(month, settings.PAYOUT_FUNDING_DAY)),
        ("credit", str(_("到账截止")), _day_in(month, settings.PAYOUT_CREDIT_DAY)),
    ]


def payout_calendar(*, today: datetime.date) -> PayoutCalendar:
    """Where the county stands in the payout calendar on `today`. A deadline day itself is already too late
    ("before day P", as registry.months.first_open_month counts it), so the next deadline is the first one
    after today; after this month's credit day it is next month's plan day."""
    month = PensionMonth.of(today)
    if all(date <= today for _kind, _label, date in _deadlines_of(month)):
        month = month.next()
    dates = _deadlines_of(month)
    next_date = min(date for _kind, _label, date in dates if date > today)
    deadlines = [
        Deadline(kind=kind, label=label, date=date, is_next=date == next_date, is_past=date <= today)
        for kind, label, date in dates
    ]
    upcoming = next(deadline for deadline in deadlines if deadline.is_next)
    return PayoutCalendar(
        today=today,
        month=month,
        plan=plan_for_month(month=month),
        deadlines=deadlines,
        next_deadline=upcoming,
        days_remaining=(upcoming.date - today).days,
        open_month=first_open_month(today, settings.PAYOUT_PLAN_DAY),
    )


def plans_awaiting(*, user: Any) -> QuerySet[PayoutPlan]:
    """Submitted plans this reviewer may approve: none they prepared (the rule plan_approve enforces). Plans
    are county-wide, so there is no further scope."""
    if not access.can(user, Action.APPROVE_PAYMENTS):
        return PayoutPlan.objects.none()
    return (
        PayoutPlan.objects.filter(status=PayoutPlan.Status.SUBMITTED)
        .exclude(plan_prepared_by_q(user.pk))
        .order_by("submitted_at", "id")
    )
