"""The demo county's payout history (docs/demo-county.md, "Payout history"): one plan per month from
DEMO_FIRST_MONTH up to the month before today, each drafted, submitted, approved, funded, exported and
reconciled, so the enquiry statements, the restoration of a suspended person and the plan pages show real
months.

Every figure is the product's own: the lines and totals come from plan_draft, the funding from
funding_record, the bank files from bank_files_export and the bank's answers from return_file_import, each
with the same checks as at the counter. The one step done here instead of through the service is submission
and approval: plan_submit and plan_approve refuse a plan whose lines disagree with today's statuses (a person
suspended this August was paid, rightly, in every month before it), which is right for a plan made in its own
month and wrong for a history made afterwards. That step writes what the services write (who, when, the
lines' hash, one PlanTransition per move) after the same totals check.

People: `clerk` drafts and exports and imports the return files, `clerk2` submits, `reviewer` approves and
records the funding: the reviewer never prepares what they approve. A second run finds every month planned
with one query and does nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pghistory
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.formats import yuan
from registry.models import OrgUnit, Staff
from registry.months import PensionMonth

from . import reasons
from .bankfiles import BankFileProfile, PaymentLine, RenderContext, render_return_file
from .models import AdjustmentParameters, BankFile, PayoutLine, PayoutPlan, PlanTransition
from .services import (
    bank_files_export,
    funding_banks,
    funding_record,
    payment_lines,
    plan_draft,
    plan_lines_digest,
    plan_mark_exported,
    plan_mark_reconciled,
    plan_totals_check,
    return_file_import,
)
from .services.adjustments import adjustment_parameters_set

Status = PayoutPlan.Status

# The demo's first paid month: the month the county "went live". A PAYOUT_FIRST_MONTH setting ("2025-01"),
# when there is one, moves it later, never earlier, so no demo plan lies before what the system may draft.
DEMO_FIRST_MONTH = PensionMonth(2025, 1)
DRAFTER, SUBMITTER, APPROVER = "clerk", "clerk2", "reviewer"


@dataclass(frozen=True)
class SeededMonth:
    month: PensionMonth
    line_count: int
    withheld_count: int
    net_total: str
    seconds: float


def demo_months(*, as_of: datetime.date) -> list[PensionMonth]:
    """The months the history covers: from the first month up to the one before `as_of`'s month."""
    first = DEMO_FIRST_MONTH
    configured = getattr(settings, "PAYOUT_FIRST_MONTH", None)
    if configured:
        setting = configured if isinstance(configured, PensionMonth) else PensionMonth.parse(str(configured))
        first = max(first, setting)
    last = PensionMonth.of(as_of).plus(-1)
    months: list[PensionMonth] = []
    month = first
    while month.number <= last.number:
        months.append(month)
        month = month.next()
    return months


def seed_demo_payouts(
    *, as_of: datetime.date, log: Callable[[str], None] = lambda _line: None
) -> list[SeededMonth]:
    """Plan, approve, fund, export and reconcile every month of the history that has no plan yet, oldest
    first (a month's arrears and recoveries are then settled in order). Returns what was made."""
    months = demo_months(as_of=as_of)
    if not months:
        return []
    planned = set(
        PayoutPlan.objects.filter(month__gte=months[0].number, month__lte=months[-1].number).values_list(
            "month", flat=True
        )
    )
    missing = [month for month in months if month not in planned and month.number not in planned]
    if not missing:
        return []
    staff = {s.username: s for s in Staff.objects.filter(username__in=[DRAFTER, SUBMITTER, APPROVER])}
    absent = sorted({DRAFTER, SUBMITTER, APPROVER} - staff.keys())
    if absent:
        log(_("缺少演示账号 %(names)s,未生成发放历史(请先运行 seed_demo)。") % {"names": ", ".join(absent)})
        return []
    county_code = (
        OrgUnit.objects.filter(kind=OrgUnit.Kind.COUNTY)
        .order_by("sort_order", "code")
        .values_list("code", flat=True)
        .first()
        or ""
    )
    seeded: list[SeededMonth] = []
    for month in missing:
        started = timezone.now()
        plan = _month(
            month,
            drafter=staff[DRAFTER],
            submitter=staff[SUBMITTER],
            approver=staff[APPROVER],
            county_code=county_code,
            today=as_of,
            # Only the latest month carries real bank and return files: rendering and reading 30,000 lines
            # per month in Python would take most of the seed's time for files nobody opens.
            with_files=month == months[-1],
        )
        seconds = (timezone.now() - started).total_seconds()
        withheld = plan.lines.filter(is_withheld=True).count()
        seeded.append(SeededMonth(month, plan.line_count, withheld, f"{plan.net_total:,.2f}", seconds))
        log(
            _("%(month)s:%(count)d 笔(暂停发放 %(withheld)d 笔),实发 %(net)s,用时 %(seconds).1f 秒")
            % {
                "month": month,
                "count": plan.line_count,
                "withheld": withheld,
                "net": yuan(plan.net_total),
                "seconds": seconds,
            }
        )
    return seeded


def _month(
    month: PensionMonth,
    *,
    drafter: Staff,
    submitter: Staff,
    approver: Staff,
    county_code: str,
    today: datetime.date,
    with_files: bool,
) -> PayoutPlan:
    """One month from draft to reconciled, in one transaction: a failure leaves no half-made month.
    `with_files`: write the bank files and import the banks' return files (the latest month), else the
    set-based equivalent (_exported_and_credited)."""
    with transaction.atomic():
        # Each person's status on the month's first day: suspended from August, withheld from August on.
        plan = plan_draft(month=month, by=drafter, status_on=month.first_day)
        _submit_and_approve(plan, submitter=submitter, approver=approver)
        funding_day = min(datetime.date(month.year, month.month, settings.PAYOUT_FUNDING_DAY), today)
        for _bank_id, total in sorted(funding_banks(plan=plan).items()):
            assert total.bank is not None  # noqa: S101  # funding_banks lists totals with a bank
            funding_record(
                plan=plan,
                bank=total.bank,
                amount=total.net_total,
                reference_number=f"CZ{month.year}{month.month:02d}-{total.bank.code}",
                transferred_on=funding_day,
                by=approver,
            )
        if with_files:
            files = bank_files_export(plan=plan, by=drafter)
            sent = payment_lines(plan=plan)
            for bank_file in sorted(files, key=lambda f: f.bank_id):
                _answer(bank_file, sent[bank_file.bank_id], plan=plan, by=drafter, county_code=county_code)
        else:
            _exported_and_credited(plan, by=drafter)
        plan.refresh_from_db()
        if plan.status != Status.RECONCILED:
            raise RuntimeError(f"demo plan {month} ended as {plan.status}")
    return plan


def _submit_and_approve(plan: PayoutPlan, *, submitter: Staff, approver: Staff) -> None:
    """What plan_submit and plan_approve write, without their comparison with today's statuses (see the
    module's docstring): the totals checked against the lines, who and when, the hash of the approved lines,
    a PlanTransition per move."""
    with pghistory.context(source="seed_demo_payouts", user=approver.pk):
        locked = PayoutPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status != Status.DRAFT:
            raise RuntimeError(f"demo plan {locked.month} is {locked.status}, not a draft")
        plan_totals_check(plan=locked)
        submitted_at = timezone.now()
        locked.status = Status.SUBMITTED
        locked.submitted_by, locked.submitted_at = submitter, submitted_at
        locked.save(update_fields=["status", "submitted_by", "submitted_at"])
        PlanTransition.objects.create(
            plan=locked, from_status=Status.DRAFT, to_status=Status.SUBMITTED, by=submitter, at=submitted_at
        )
        approved_at = timezone.now()
        locked.status = Status.APPROVED
        locked.approved_by, locked.approved_at = approver, approved_at
        locked.lines_hash = plan_lines_digest(plan=locked)
        locked.save(update_fields=["status", "approved_by", "approved_at", "lines_hash"])
        PlanTransition.objects.create(
            plan=locked,
            from_status=Status.SUBMITTED,
            to_status=Status.APPROVED,
            by=approver,
            at=approved_at,
            reason=reasons.DEMO_APPROVED,
        )
    plan.status = locked.status


# What return_file_import writes when a bank credits every payment: the result only, never an amount.
_CREDIT_ALL = """
UPDATE pensions_payoutline
   SET payment_status = %(paid)s, bank_reason = ''
 WHERE plan_id = %(plan)s AND NOT is_withheld AND net > 0 AND payment_status = %(pending)s
"""


def _exported_and_credited(plan: PayoutPlan, *, by: Staff) -> None:
    """A past month's files and answers without the files: the plan is marked exported (plan_mark_exported;
    the approved lines are frozen by the database), every payment is marked credited in one statement,
    and the plan is reconciled (plan_mark_reconciled, which checks no payment is left without an answer)."""
    plan_mark_exported(plan=plan, by=by, reason=reasons.DEMO_EXPORTED)
    with pghistory.context(source="seed_demo_payouts", user=by.pk), connection.cursor() as cursor:
        cursor.execute(
            _CREDIT_ALL,
            {
                "paid": PayoutLine.PaymentStatus.PAID,
                "pending": PayoutLine.PaymentStatus.PENDING,
                "plan": plan.pk,
            },
        )
    plan_mark_reconciled(plan=plan, by=by, reason=reasons.DEMO_RECONCILED)


def _answer(
    bank_file: BankFile, lines: list[PaymentLine], *, plan: PayoutPlan, by: Staff, county_code: str
) -> None:
    """The bank's return file for `bank_file` (every payment credited), imported as a clerk would."""
    profile = BankFileProfile.from_dict(bank_file.profile)
    context = RenderContext(
        county_code=county_code,
        month=str(plan.month).replace("-", ""),
        date=timezone.localdate(),
        batch=f"P{plan.pk}",
        bank_code=bank_file.bank.code,
    )
    returned = render_return_file(profile, lines, context=context)
    return_file_import(bank_file=bank_file, content=returned.content, by=by, name=returned.name)


# The annual adjustment's parameters (docs/annual-adjustment.md) ---------------------------------------------

DEMO_ADMIN = "admin"


def demo_adjustment_year(*, as_of: datetime.date) -> int:
    """The latest adjustment the demo's rates already carry: a year's adjustment counts from July, when it
    is announced (registry.demo_county)."""
    return as_of.year if as_of.month >= 7 else as_of.year - 1


def published_style_values(year: int) -> dict[str, Any]:
    """A year's parameters as provinces publish them: 定额 50.00; 挂钩 1.5 % of the pension; 1.00 per
    contribution year up to 15 years and 1.50 for each year above; 倾斜 +20 at 70+, +30 at 75+, +50 at 80+;
    effective January, retired by 31 December before. The demo's figures, and the tests' (computed by hand
    there)."""
    return {
        "effective_month": PensionMonth(year, 1),
        "retired_by": datetime.date(year - 1, 12, 31),
        "include_suspended": True,
        "include_deceased": True,
        "flat_amount": "50.00",
        "pension_percent": "1.5",
        "year_counting": AdjustmentParameters.YearCounting.WHOLE,
        "year_bands": [{"up_to": 15, "per_year": "1.00"}, {"up_to": None, "per_year": "1.50"}],
        "years_minimum": "0",
        "age_tiers": [
            {"age": 70, "amount": "20.00"},
            {"age": 75, "amount": "30.00"},
            {"age": 80, "amount": "50.00"},
        ],
        "flag_extras": [],
        "minimum_rise": "0",
        "announcement": "",
    }


def seed_demo_adjustment_parameters(*, as_of: datetime.date) -> AdjustmentParameters | None:
    """The latest announced year's parameters as the admin would have entered them (published-style figures),
    so "copy last year's" has a source and next year's dry run can be walked through. The demo's January
    rates of that year came with the county's seed, so a run of that year finds everyone adjusted already.
    None when the year has parameters or the admin account is missing."""
    year = demo_adjustment_year(as_of=as_of)
    if AdjustmentParameters.objects.filter(year=year).exists():
        return None
    admin = Staff.objects.filter(username=DEMO_ADMIN).first()
    if admin is None:
        return None
    values = published_style_values(year)
    values["announcement"] = _("示范:省人社厅 省财政厅关于调整退休人员基本养老金的通知(%(year)d 年)") % {
        "year": year
    }
    with pghistory.context(source="seed_demo"):
        return adjustment_parameters_set(year=year, values=values, note=_("示范县演示数据"), by=admin)
