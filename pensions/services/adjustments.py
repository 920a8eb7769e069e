"""The annual adjustment (调待): parameters, the dry run, approval by someone else, and the apply
(docs/annual-adjustment.md).

The dry run reads everyone eligible in one query, computes each rise in Python with the one calculation
(pensions.adjustment_rules) and writes the lines with COPY. The apply is one transaction and a few set-based
statements: the people still as the dry run saw them go into a temporary table, and the registry writes
their rates and one arrears item per person and month already paid (registry.services.rates).
"""

from __future__ import annotations

import datetime
import io
import logging
import threading
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pghistory
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.adjustments import AdjustedRate, PersonFacts, RateEntry
from registry.jobs import job_first_fields, job_heartbeat, job_start_fields
from registry.models import ChangeRequest, FlagKind, PensionRate, Retiree, Staff
from registry.months import PensionMonth
from registry.selectors.changes import AMOUNT_FIELDS, as_month
from registry.services.rates import annual_adjustment_write
from registry.sql import with_names

from ..adjustment_rules import (
    PARAMETER_FIELDS,
    Person,
    age_tiers_checked,
    flag_extras_checked,
    rise_of,
    rules_of,
    year_bands_checked,
)
from ..errors import AdjustmentError
from ..models import AdjustmentLine, AdjustmentParameters, AdjustmentRun
from ..selectors.adjustment_figures import run_figures
from ..selectors.adjustments import (
    COVERED_MONTHS,
    RUN_PEOPLE,
    applied_parameters,
    covered_months_params,
    last_paid_month,
    open_run,
    parameters_in_force,
    year_is_applied,
)
from .locks import plan_generation_lock

logger = logging.getLogger("pensions.adjustments")
Status = AdjustmentRun.Status
Problem = AdjustmentLine.Problem
_CENT = Decimal("0.01")
# Rows per COPY chunk and per progress beat of the dry run.
_CHUNK = 20_000


# Parameters -------------------------------------------------------------------------------------------------


def _amount(value: Any, *, field: str, label: str) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0").strip())
    except ArithmeticError:
        raise AdjustmentError(_("%(label)s应为金额,例如 50.00。") % {"label": label}, field=field) from None
    if not amount.is_finite() or amount < 0:
        raise AdjustmentError(_("%(label)s不能为负数。") % {"label": label}, field=field)
    if amount != amount.quantize(_CENT):
        raise AdjustmentError(_("%(label)s最多两位小数(分)。") % {"label": label}, field=field)
    if amount >= Decimal("100000"):
        raise AdjustmentError(_("%(label)s过大,请核对。") % {"label": label}, field=field)
    return amount.quantize(_CENT)


def _percent(value: Any) -> Decimal:
    try:
        percent = Decimal(str(value if value not in (None, "") else "0").strip())
    except ArithmeticError:
        raise AdjustmentError(_("挂钩比例应为百分数,例如 1.5。"), field="pension_percent") from None
    if not percent.is_finite() or not Decimal(0) <= percent <= Decimal(100):
        raise AdjustmentError(_("挂钩比例应在 0 到 100 之间。"), field="pension_percent")
    if percent != percent.quantize(Decimal("0.0001")):
        raise AdjustmentError(_("挂钩比例最多四位小数。"), field="pension_percent")
    return percent


def parameters_checked(*, year: int, values: dict[str, Any]) -> dict[str, Any]:
    """The parameters as they would be stored, or AdjustmentError naming the first thing wrong. Writes
    nothing; `values` holds PARAMETER_FIELDS (bands, tiers and flag extras as lists of dicts)."""
    if not 2000 <= year <= 2100:
        raise AdjustmentError(_("调整年度不正确。"), field="year")
    month = values.get("effective_month")
    if not isinstance(month, PensionMonth) or month.year != year:
        raise AdjustmentError(
            _("调整起始月份应在 %(year)d 年内(通常为 1 月)。") % {"year": year}, field="effective_month"
        )
    retired_by = values.get("retired_by")
    if not isinstance(retired_by, datetime.date):
        raise AdjustmentError(_("请填写退休时间截止日(通常为上年 12 月 31 日)。"), field="retired_by")
    if retired_by >= month.next().first_day:
        raise AdjustmentError(_("退休时间截止日应早于调整起始月份结束。"), field="retired_by")
    bands = year_bands_checked(values.get("year_bands"))
    tiers = age_tiers_checked(values.get("age_tiers"))
    known = frozenset(FlagKind.objects.values_list("code", flat=True))
    extras = flag_extras_checked(values.get("flag_extras"), known=known)
    checked = {
        "effective_month": month,
        "retired_by": retired_by,
        "include_suspended": bool(values.get("include_suspended")),
        "include_deceased": bool(values.get("include_deceased")),
        "flat_amount": _amount(values.get("flat_amount"), field="flat_amount", label=_("定额调整")),
        "pension_percent": _percent(values.get("pension_percent")),
        "year_counting": values.get("year_counting") or AdjustmentParameters.YearCounting.WHOLE,
        "year_bands": [{"up_to": band.up_to, "per_year": str(band.per_year)} for band in bands],
        "years_minimum": _amount(values.get("years_minimum"), field="years_minimum", label=_("年限挂钩最低")),
        "age_tiers": [{"age": tier.age, "amount": str(tier.amount)} for tier in tiers],
        "flag_extras": [{"flag": code, "amount": str(amount)} for code, amount in extras],
        "minimum_rise": _amount(values.get("minimum_rise"), field="minimum_rise", label=_("最低增加额")),
        "announcement": str(values.get("announcement") or "").strip()[:200],
    }
    if checked["year_counting"] not in AdjustmentParameters.YearCounting.values:
        raise AdjustmentError(_("请选择缴费年限计算方法。"), field="year_counting")
    nothing = (
        checked["flat_amount"] == 0
        and checked["pension_percent"] == 0
        and not any(band.per_year > 0 for band in bands)
        and checked["years_minimum"] == 0
        and not any(tier.amount > 0 for tier in tiers)
        and not any(amount > 0 for _code, amount in extras)
        and checked["minimum_rise"] == 0
    )
    if nothing:
        raise AdjustmentError(_("各项调整金额都为 0,请至少填写一项。"), field="flat_amount")
    return checked


@transaction.atomic
def adjustment_parameters_set(
    *, year: int, values: dict[str, Any], note: str = "", by: Staff
) -> AdjustmentParameters:
    """The admin enters (or corrects) a year's parameters: a new row, the previous ones kept as history.
    Refused once a run of the year has been applied: the money already moved on those figures."""
    access.require(by, Action.MANAGE_SETTINGS)
    if year_is_applied(year):
        raise AdjustmentError(_("%(year)d 年度调待已执行,参数不能再修改。") % {"year": year}, field="year")
    checked = parameters_checked(year=year, values=values)
    return AdjustmentParameters.objects.create(
        year=year, note=(note or "").strip()[:200], set_by=by, set_at=timezone.now(), **checked
    )


def adjustment_parameters_copy(*, from_year: int, to_year: int, by: Staff) -> AdjustmentParameters:
    """ "Copy last year's": `from_year`'s parameters in force as `to_year`'s first version, the effective
    month moved to the same month of `to_year` and the cut-off to the end of the year before it."""
    access.require(by, Action.MANAGE_SETTINGS)
    source = parameters_in_force(from_year)
    if source is None:
        raise AdjustmentError(_("%(year)d 年没有调待参数,无法复制。") % {"year": from_year}, field="year")
    if parameters_in_force(to_year) is not None:
        raise AdjustmentError(_("%(year)d 年已有调待参数,请直接修改。") % {"year": to_year}, field="year")
    month = PensionMonth(to_year, as_month(source.effective_month).month)
    values = {name: getattr(source, name) for name in PARAMETER_FIELDS}
    values.update(
        effective_month=month,
        retired_by=datetime.date(to_year - 1, 12, 31),
        announcement="",
    )
    return adjustment_parameters_set(
        year=to_year, values=values, note=_("复制 %(year)d 年参数") % {"year": from_year}, by=by
    )


# Runs: start, dry run --------------------------------------------------------------------------------------


def _queue_dry_run(run: AdjustmentRun) -> None:
    from ..tasks import adjustment_dry_run_task  # noqa: PLC0415

    transaction.on_commit(lambda: adjustment_dry_run_task.delay(run.pk))


@transaction.atomic
def adjustment_run_start(*, year: int, by: Staff) -> AdjustmentRun:
    """A clerk starts a dry run of `year` with the parameters in force: a background job (progress on the
    page). After an apply, a new run is a supplementary one: only people not yet adjusted."""
    access.require(by, Action.PREPARE_PAYMENTS)
    parameters = parameters_in_force(year)
    if parameters is None:
        raise AdjustmentError(
            _("%(year)d 年还没有调待参数,请系统管理员先录入。") % {"year": year}, field="year"
        )
    if (existing := open_run(year)) is not None:
        raise AdjustmentError(
            _("%(year)d 年已有一次试算(编号 %(pk)d,%(status)s),请处理完毕或作废后再试算。")
            % {"year": year, "pk": existing.pk, "status": existing.get_status_display()},
            field="year",
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            run = AdjustmentRun.objects.create(
                parameters=parameters,
                year=year,
                status=Status.QUEUED,
                prepared_by=by,
                prepared_at=now,
                **job_first_fields(now),
            )
    except IntegrityError:
        raise AdjustmentError(_("%(year)d 年已有一次试算正在进行。") % {"year": year}, field="year") from None
    _queue_dry_run(run)
    return run


@transaction.atomic
def adjustment_run_restart(*, run: AdjustmentRun, by: Staff) -> AdjustmentRun:
    """Run a failed or interrupted dry run again (the lines of the attempt that died were never kept), or
    an interrupted apply (its transaction never committed: nothing was written)."""
    access.require(by, Action.PREPARE_PAYMENTS)
    locked = AdjustmentRun.objects.select_for_update().select_related("parameters").get(pk=run.pk)
    if locked.status == Status.INTERRUPTED and locked.approved_by_id is not None:
        locked.status = Status.APPROVED
        locked.save(update_fields=["status"])
        return adjustment_apply_start(run=locked, by=by)
    if locked.status not in (Status.FAILED, Status.INTERRUPTED):
        raise AdjustmentError(
            _("该试算%(status)s,不能重新运行。") % {"status": locked.get_status_display()}, field="status"
        )
    if (existing := open_run(locked.year)) is not None:
        raise AdjustmentError(
            _("%(year)d 年已有一次试算(编号 %(pk)d),请处理完毕或作废后再试算。")
            % {"year": locked.year, "pk": existing.pk},
            field="status",
        )
    for name, value in job_start_fields(locked).items():
        setattr(locked, name, value)
    locked.status, locked.progress, locked.error = Status.QUEUED, 0, ""
    locked.save(
        update_fields=["status", "progress", "error", "job_started_at", "job_heartbeat_at", "job_attempts"]
    )
    _queue_dry_run(locked)
    return locked


def _claim(run_id: int, *, from_status: str, to_status: str) -> AdjustmentRun | None:
    """Move the run from `from_status` to `to_status` if it is still there (a redelivered message finds it
    moved on and does nothing)."""
    with transaction.atomic():
        locked = AdjustmentRun.objects.select_for_update().filter(pk=run_id).first()
        if locked is None or locked.status != from_status:
            return None
        locked.status = to_status
        locked.job_heartbeat_at = timezone.now()
        locked.save(update_fields=["status", "job_heartbeat_at"])
        return locked


_NULL = "\\N"
_YEARS_PLACES = Decimal("0.0001")
_PART_PLACES = Decimal("0.000001")
_NO_ARREARS = Decimal("0.00")


def _copy_line(
    run_id: int, row: tuple[Any, ...], rise_result: Any, *, problem: str, old: Decimal | None, covered: int
) -> str:
    """One line as COPY text. Formatted by one f-string (a Decimal formats as str() does): this runs once per
    person, and a tuple joined through str() per value took twice as long (bench/annual_adjustment.py)."""
    retiree_id, township_id, status, died_on, _birth, months = row[:6]
    rise = rise_result.rise if not problem else None
    if rise is None:
        rise_text = new_text = _NULL
        arrears_months: int = 0
        arrears = _NO_ARREARS
    else:
        rise_text = rise
        new_text = (old + rise) if old is not None else _NULL
        arrears_months, arrears = covered, rise * covered
    return (
        f"{run_id}\t{retiree_id}\t{township_id}\t{status}\t{died_on.isoformat() if died_on else _NULL}\t"
        f"{rise_result.age}\t{months}\t{rise_result.contribution_years.quantize(_YEARS_PLACES)}\t"
        f"{old if old is not None else _NULL}\t{rise_result.flat_part.quantize(_PART_PLACES)}\t"
        f"{rise_result.pension_part.quantize(_PART_PLACES)}\t{rise_result.years_part.quantize(_PART_PLACES)}\t"
        f"{rise_result.age_part.quantize(_PART_PLACES)}\t{rise_result.flag_part.quantize(_PART_PLACES)}\t"
        f"{rise_result.minimum_part.quantize(_PART_PLACES)}\t{rise_text}\t{new_text}\t{arrears_months}\t"
        f"{arrears}\t{problem}\n"
    )


_LINE_COLUMNS = (
    "run_id",
    "retiree_id",
    "township_id",
    "status",
    "died_on",
    "age",
    "contribution_months",
    "contribution_years",
    "old_amount",
    "flat_part",
    "pension_part",
    "years_part",
    "age_part",
    "flag_part",
    "minimum_part",
    "rise",
    "new_amount",
    "arrears_months",
    "arrears_amount",
    "problem",
)


def adjustment_dry_run(*, run_id: int) -> AdjustmentRun | None:
    """The dry run (the task's body): every eligible person's line, then the figures. Lines and figures are
    written in one transaction that ends by marking the run computed, so a worker that dies leaves no lines
    (the sweeper marks the run interrupted). Returns the run, or None when it was not queued."""
    run = _claim(run_id, from_status=Status.QUEUED, to_status=Status.RUNNING)
    if run is None:
        return None
    try:
        _compute(run)
    except Exception as error:
        logger.exception("adjustment dry run %s failed", run_id)
        AdjustmentRun.objects.filter(pk=run_id, status=Status.RUNNING).update(
            status=Status.FAILED, error=str(error)[:2000]
        )
        raise
    run.refresh_from_db()
    return run


def _compute(run: AdjustmentRun) -> None:
    rules = rules_of(run.parameters)
    month = rules.effective_month
    to_month = last_paid_month()
    params: dict[str, Any] = {
        "month": month.number,
        "month_start": month.first_day,
        "adjustment_reason": PensionRate.Reason.ANNUAL_ADJUSTMENT,
        "pending": ChangeRequest.Status.PENDING,
        "amount_fields": tuple(str(field) for field in AMOUNT_FIELDS),
        "retired_by": rules.retired_by,
        "include_suspended": rules.include_suspended,
        "include_deceased": rules.include_deceased,
    }
    covered_sql = COVERED_MONTHS
    if to_month is None or to_month < month:
        # No month of the adjustment's has been paid yet: nothing is owed as arrears.
        covered_sql = "SELECT NULL::bigint AS retiree_id, NULL::integer AS month WHERE false"
    else:
        params.update(covered_months_params(month, to_month))
    query = RUN_PEOPLE.replace("{covered}", covered_sql)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(f"SELECT count(*) FROM ({query}) people", params)  # noqa: S608
            total = cursor.fetchone()[0] or 0
        done = 0
        run_id = run.pk
        no_flags: frozenset[str] = frozenset()
        pending_change, later_rate = str(Problem.PENDING_CHANGE), str(Problem.LATER_RATE)
        with connection.chunked_cursor() as cursor:
            cursor.execute(query, params)
            while rows := cursor.fetchmany(_CHUNK):
                buffer = io.StringIO()
                write = buffer.write
                for row in rows:
                    (_id, _township, _status, _died, birth, months, base, later, pending, codes, covered) = (
                        row
                    )
                    # Most people carry no flag: one shared empty set rather than one per person.
                    flags = frozenset(codes) if codes else no_flags
                    result = rise_of(
                        rules, Person(birth_date=birth, contribution_months=months, flag_codes=flags), base
                    )
                    problem = pending_change if pending else later_rate if later else result.problem
                    write(_copy_line(run_id, row, result, problem=problem, old=base, covered=covered))
                buffer.seek(0)
                with connection.cursor() as writer:
                    writer.copy_expert(
                        f"COPY {AdjustmentLine._meta.db_table} ({', '.join(_LINE_COLUMNS)}) FROM STDIN",
                        buffer,
                    )
                done += len(rows)
                # The beat's own connection is not this transaction's: it is committed at once.
                _beat(run.pk, progress=min(99, done * 100 // max(total, 1)))
        figures = run_figures(run)
        AdjustmentRun.objects.filter(pk=run.pk).update(
            status=Status.COMPUTED,
            progress=100,
            computed_at=timezone.now(),
            arrears_to_month=to_month.number if to_month is not None else None,
            figures=figures,
            job_heartbeat_at=timezone.now(),
        )


def _beat(run_id: int, **fields: Any) -> None:
    """Progress from inside the dry run's transaction: written from a short thread, which has a connection
    of its own (Django's are per thread), so it commits at once and the page sees it."""

    def write() -> None:
        try:
            job_heartbeat(AdjustmentRun, run_id, **fields)
        finally:
            connections.close_all()  # this thread's connection only

    thread = threading.Thread(target=write, name=f"adjustment-progress-{run_id}", daemon=True)
    thread.start()
    thread.join()


# Runs: submit, approve, reject, discard ---------------------------------------------------------------------


def _locked(run: AdjustmentRun) -> AdjustmentRun:
    return AdjustmentRun.objects.select_for_update().select_related("parameters").get(pk=run.pk)


def _require_status(run: AdjustmentRun, *allowed: str) -> None:
    if run.status not in allowed:
        raise AdjustmentError(
            _("该试算%(status)s,不能进行此操作。") % {"status": run.get_status_display()}, field="status"
        )


def stale_reason(run: AdjustmentRun) -> str:
    """Why the run no longer says what would happen ("" when it still does): the parameters were changed
    after it, or a later month's plan has been approved since (its arrears would miss that month)."""
    newest = parameters_in_force(run.year)
    if newest is not None and newest.pk != run.parameters_id:
        return _("试算后调待参数已修改(%(at)s),请作废本次试算后重新试算。") % {
            "at": timezone.localtime(newest.set_at).strftime("%Y-%m-%d %H:%M")
        }
    paid = last_paid_month()
    computed_to = as_month(run.arrears_to_month) if run.arrears_to_month else None
    if paid != computed_to:
        return _("试算后又审批了 %(month)s 的发放计划,补发月份已变化,请作废本次试算后重新试算。") % {
            "month": paid
        }
    return ""


def _refuse_if_stale(run: AdjustmentRun) -> None:
    if reason := stale_reason(run):
        raise AdjustmentError(reason, field="status")


@transaction.atomic
def adjustment_submit(*, run: AdjustmentRun, by: Staff) -> AdjustmentRun:
    """The clerk hands the computed dry run to a reviewer (it appears in the approvals inbox)."""
    access.require(by, Action.PREPARE_PAYMENTS)
    locked = _locked(run)
    _require_status(locked, Status.COMPUTED)
    _refuse_if_stale(locked)
    if not locked.figures.get("adjusted"):
        raise AdjustmentError(_("试算结果中没有可调整的人员,不能提交。"), field="status")
    locked.status, locked.submitted_at = Status.SUBMITTED, timezone.now()
    locked.decision_comment = ""
    locked.save(update_fields=["status", "submitted_at", "decision_comment"])
    return locked


@transaction.atomic
def adjustment_approve(*, run: AdjustmentRun, by: Staff, comment: str = "") -> AdjustmentRun:
    """A reviewer who did not run the dry run approves it (the database refuses the preparer too)."""
    access.require(by, Action.APPROVE_PAYMENTS)
    locked = _locked(run)
    _require_status(locked, Status.SUBMITTED)
    if locked.prepared_by_id == by.pk:
        raise AdjustmentError(_("不能审核自己试算的年度调待,请由其他审核人员审核。"), field="approved_by")
    _refuse_if_stale(locked)
    comment = (comment or "").strip()
    if len(comment) > 300:
        raise AdjustmentError(_("审核意见最多 300 个字。"), field="comment")
    locked.status, locked.approved_by, locked.approved_at = Status.APPROVED, by, timezone.now()
    locked.decision_comment = comment
    locked.save(update_fields=["status", "approved_by", "approved_at", "decision_comment"])
    return locked


@transaction.atomic
def adjustment_reject(*, run: AdjustmentRun, by: Staff, comment: str) -> AdjustmentRun:
    """A reviewer sends the dry run back, saying why; the clerk discards it and runs again."""
    access.require(by, Action.APPROVE_PAYMENTS)
    locked = _locked(run)
    _require_status(locked, Status.SUBMITTED)
    if locked.prepared_by_id == by.pk:
        raise AdjustmentError(_("不能审核自己试算的年度调待,请由其他审核人员审核。"), field="approved_by")
    comment = (comment or "").strip()
    if not comment:
        raise AdjustmentError(_("退回时请填写审核意见,说明退回原因。"), field="comment")
    if len(comment) > 300:
        raise AdjustmentError(_("审核意见最多 300 个字。"), field="comment")
    locked.status, locked.decision_comment = Status.REJECTED, comment
    locked.save(update_fields=["status", "decision_comment"])
    return locked


@transaction.atomic
def adjustment_discard(*, run: AdjustmentRun, by: Staff) -> AdjustmentRun:
    """The clerk drops a dry run that will not be applied (stale, wrong parameters, failed)."""
    access.require(by, Action.PREPARE_PAYMENTS)
    locked = _locked(run)
    _require_status(
        locked, Status.COMPUTED, Status.SUBMITTED, Status.APPROVED, Status.FAILED, Status.INTERRUPTED
    )
    locked.status = Status.DISCARDED
    locked.save(update_fields=["status"])
    return locked


# Apply ------------------------------------------------------------------------------------------------------


@transaction.atomic
def adjustment_apply_start(*, run: AdjustmentRun, by: Staff) -> AdjustmentRun:
    """The clerk applies an approved run: a background job (one transaction, see adjustment_apply). Refused
    now, before queueing, when the run has gone stale."""
    access.require(by, Action.PREPARE_PAYMENTS)
    locked = _locked(run)
    _require_status(locked, Status.APPROVED)
    _refuse_if_stale(locked)
    for name, value in job_start_fields(locked).items():
        setattr(locked, name, value)
    locked.status, locked.applied_by, locked.error, locked.progress = Status.APPLYING, by, "", 0
    locked.save(
        update_fields=[
            "status",
            "applied_by",
            "error",
            "progress",
            "job_started_at",
            "job_heartbeat_at",
            "job_attempts",
        ]
    )
    from ..tasks import adjustment_apply_task  # noqa: PLC0415

    transaction.on_commit(lambda: adjustment_apply_task.delay(locked.pk))
    return locked


# Everyone of the run's lines who is still as the dry run saw them: the same base rate in force in the
# effective month, no later rate, still eligible, not adjusted since (an intake or a back-dated change may
# have done it). The rest are left for a supplementary run and counted on the run.
_APPLY_PEOPLE = with_names(
    """
CREATE TEMPORARY TABLE adjustment_apply_people ON COMMIT DROP AS
SELECT l.{line.retiree} AS retiree_id, l.{line.new_amount} AS new_amount, l.{line.rise} AS rise
  FROM {line} l
  JOIN {retiree} p ON p.{retiree.id} = l.{line.retiree}
  JOIN (SELECT DISTINCT ON (r.{rate.retiree}) r.{rate.retiree} AS retiree_id, r.{rate.amount} AS amount
          FROM {rate} r WHERE r.{rate.effective_month} <= %(month)s
         ORDER BY r.{rate.retiree}, r.{rate.effective_month} DESC, r.{rate.revision} DESC) base
    ON base.retiree_id = l.{line.retiree} AND base.amount = l.{line.old_amount}
 WHERE l.{line.run} = %(run)s AND l.{line.problem} = ''
   AND (p.{retiree.status} = 'active'
        OR (p.{retiree.status} = 'suspended' AND %(include_suspended)s)
        OR (p.{retiree.status} = 'deceased' AND %(include_deceased)s
            AND p.{retiree.died_on} >= %(month_start)s))
   AND NOT EXISTS (SELECT 1 FROM {rate} later
                    WHERE later.{rate.retiree} = l.{line.retiree}
                      AND later.{rate.effective_month} > %(month)s)
   AND NOT EXISTS (SELECT 1 FROM {rate} done
                    WHERE done.{rate.retiree} = l.{line.retiree} AND done.{rate.effective_month} = %(month)s
                      AND done.{rate.reason} = %(adjustment_reason)s)
""",
    line=AdjustmentLine,
    retiree=Retiree,
    rate=PensionRate,
)


def adjustment_apply(*, run_id: int) -> AdjustmentRun | None:
    """Apply an approved run (the task's body), in one transaction: new rates for everyone still as the dry
    run saw them, one arrears item per person and month already paid at the old rate, the run marked
    applied. Applying again changes nothing (the run is no longer "applying"). Draft plans are made again
    after the commit; a submitted plan is refused at approval until it is made again
    (pensions.services.transitions)."""
    from ..tasks import redraft_payout_plans  # noqa: PLC0415

    with transaction.atomic():
        run = (
            AdjustmentRun.objects.select_for_update(of=("self",))
            .select_related("parameters", "applied_by")
            .filter(pk=run_id)
            .first()
        )
        if run is None or run.status != Status.APPLYING:
            return None
        # Plans read rates and unreleased arrears; none is made while this writes them.
        plan_generation_lock()
        if reason := stale_reason(run):
            run.status, run.error = Status.APPROVED, reason
            run.save(update_fields=["status", "error"])
            return run
        rules = rules_of(run.parameters)
        month = rules.effective_month
        by = run.applied_by
        if by is None:  # adjustment_apply_start always sets it
            raise AdjustmentError(_("执行人未记录,不能执行。"), field="applied_by")
        params: dict[str, Any] = {
            "run": run.pk,
            "month": month.number,
            "month_start": month.first_day,
            "include_suspended": rules.include_suspended,
            "include_deceased": rules.include_deceased,
            "adjustment_reason": PensionRate.Reason.ANNUAL_ADJUSTMENT,
        }
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(_APPLY_PEOPLE, params)
            cursor.execute("ANALYZE adjustment_apply_people")
        to_month = as_month(run.arrears_to_month) if run.arrears_to_month else None
        if to_month is not None and to_month >= month:
            covered, covered_params = COVERED_MONTHS, covered_months_params(month, to_month)
        else:
            covered, covered_params = (
                "SELECT NULL::bigint AS retiree_id, NULL::integer AS month WHERE false",
                {},
            )
        note = _("%(year)d 年度养老金调整(调待)") % {"year": run.year}
        with pghistory.context(source="annual_adjustment", adjustment_run=run.pk, user=by.pk):
            written = annual_adjustment_write(
                people="adjustment_apply_people",
                covered_months=covered,
                params=covered_params,
                year=run.year,
                effective_month=month,
                note=note,
                by=by,
            )
        run.status, run.applied_at, run.progress = Status.APPLIED, timezone.now(), 100
        run.rates_written, run.arrears_written, run.arrears_total = (
            written.rates,
            written.arrears,
            written.arrears_total,
        )
        run.save(
            update_fields=[
                "status",
                "applied_at",
                "progress",
                "rates_written",
                "arrears_written",
                "arrears_total",
            ]
        )
        transaction.on_commit(redraft_payout_plans.delay)
    return run


# One person, outside the batch (registry.adjustments) ------------------------------------------------------


def adjustments_recomputed_for(
    facts: PersonFacts, rates: Sequence[RateEntry], from_month: PensionMonth
) -> list[AdjustedRate]:
    """The registry's recalculator: every applied adjustment with an effective month from `from_month` on,
    computed for one person over `rates` with the same calculation as the dry run, in month order, each on
    the base the previous one left. A year the person is not eligible for, or would be an exception in (no
    contribution months, no rate, a later rate hiding the rise), gives no rate: the dry run would not have
    adjusted them either."""
    entries = [entry for entry in rates if not (entry.is_adjustment and entry.month >= from_month)]
    person = Person(
        birth_date=facts.birth_date,
        contribution_months=facts.contribution_months,
        flag_codes=facts.flag_codes,
    )
    found: list[AdjustedRate] = []
    for parameters in applied_parameters():
        rules = rules_of(parameters)
        month = rules.effective_month
        if month < from_month:
            continue
        if not rules.eligible(
            retirement_date=facts.retirement_date, status=facts.status, died_on=facts.died_on
        ):
            continue
        if any(entry.month > month and not entry.is_adjustment for entry in entries):
            continue
        # The newest entry by month, and within a month the later one in the sequence (revision order).
        in_force = [
            (entry.month, index, entry) for index, entry in enumerate(entries) if entry.month <= month
        ]
        if not in_force:
            continue
        base = max(in_force, key=lambda item: (item[0], item[1]))[2].amount
        result = rise_of(rules, person, base)
        if result.rise is None:
            continue
        found.append(
            AdjustedRate(
                year=rules.year,
                month=month,
                amount=base + result.rise,
                rise=result.rise,
                note=_("%(year)d 年度养老金调整(调待),重新计算") % {"year": rules.year},
            )
        )
        entries.append(RateEntry(month=month, amount=base + result.rise, is_adjustment=True))
    return found
