"""The payouts' background exports (docs/exports.md): a plan's lines and an adjustment run's lines as xlsx,
made by the worker when the list is long. Registered in PensionsConfig.ready."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from django.utils.translation import gettext as _

from registry.exports import ExportKind, ExportRequest, ExportResult, register_export
from registry.models import Staff
from registry.selectors.exports import XLSX_CONTENT_TYPE

from . import selectors
from .models import AdjustmentComparison, AdjustmentRun, PayoutPlan
from .selectors.adjustment_comparisons import differences_xlsx
from .selectors.adjustment_runs import run_lines_xlsx
from .selectors.adjustments import may_view_adjustments
from .selectors.exports import plan_lines_xlsx

PLAN_LINES = "pensions.plan_lines"
ADJUSTMENT_LINES = "pensions.adjustment_lines"
# The same name the inline download records (pensions.views.recovery_follow_up.recovery_aging_export).
RECOVERY_AGING = "pensions.recovery_aging"
# The same name as the inline download (pensions.views.adjustment_comparisons.comparison_export).
COMPARISON_DIFFERENCES = "pensions.adjustment_comparison"


def plan_lines_parameters(*, plan: PayoutPlan, filters: selectors.LineFilters) -> dict[str, Any]:
    return {"plan": plan.pk, "month": str(plan.month), **dataclasses.asdict(filters)}


def _filters(parameters: dict[str, Any]) -> selectors.LineFilters:
    names = {field.name for field in dataclasses.fields(selectors.LineFilters)}
    return selectors.LineFilters(**{key: value for key, value in parameters.items() if key in names})


def _allowed(user: Staff, parameters: dict[str, Any]) -> bool:
    plan_id = parameters.get("plan")
    return (
        isinstance(plan_id, int)
        and selectors.can_view_plans(user)
        and PayoutPlan.objects.filter(pk=plan_id).exists()
    )


def _label(parameters: dict[str, Any]) -> str:
    return _("%(month)s 发放明细") % {"month": parameters.get("month", "")}


def _write(request: ExportRequest) -> ExportResult:
    plan = PayoutPlan.objects.get(pk=request.parameters["plan"])
    count = plan_lines_xlsx(
        user=request.user,
        plan=plan,
        filters=_filters(request.parameters),
        target=request.target,
        numbers=request.numbers,
        progress=request.progress,
    )
    filename = _("发放明细-%(month)s.xlsx") % {"month": plan.month}
    return ExportResult(rows=count, filename=filename, content_type=XLSX_CONTENT_TYPE)


def _may_see_run(user: Staff, parameters: dict[str, Any]) -> bool:
    run_id = parameters.get("run")
    return (
        isinstance(run_id, int)
        and may_view_adjustments(user)
        and AdjustmentRun.objects.filter(pk=run_id).exists()
    )


def _run_label(parameters: dict[str, Any]) -> str:
    return _("%(year)s 年度调待试算明细(编号 %(pk)s)") % {
        "year": parameters.get("year", ""),
        "pk": parameters.get("run", ""),
    }


def _write_run_lines(request: ExportRequest) -> ExportResult:
    run = AdjustmentRun.objects.get(pk=request.parameters["run"])
    count = run_lines_xlsx(
        user=request.user,
        run=run,
        target=request.target,
        numbers=request.numbers,
        progress=request.progress,
    )
    filename = _("调待试算明细-%(year)d-%(pk)d.xlsx") % {"year": run.year, "pk": run.pk}
    return ExportResult(rows=count, filename=filename, content_type=XLSX_CONTENT_TYPE)


def recovery_aging_parameters(*, reason: str | None, today: datetime.date) -> dict[str, Any]:
    # `today` is the day the page showed: the file is that day's aging, even when the worker runs later.
    return {"reason": reason or "", "today": today.isoformat()}


def _may_see_recoveries(user: Staff, _parameters: dict[str, Any]) -> bool:
    return selectors.can_view_plans(user)


def _aging_label(parameters: dict[str, Any]) -> str:
    return _("追回账龄 %(day)s") % {"day": parameters.get("today", "")}


def _write_recovery_aging(request: ExportRequest) -> ExportResult:
    today = datetime.date.fromisoformat(request.parameters["today"])
    count = selectors.recovery_aging_xlsx(
        user=request.user,
        target=request.target,
        reason=request.parameters.get("reason") or None,
        today=today,
        numbers=request.numbers,
        progress=request.progress,
    )
    filename = _("追回账龄-%(day)s.xlsx") % {"day": today.isoformat()}
    return ExportResult(rows=count, filename=filename, content_type=XLSX_CONTENT_TYPE)


def comparison_parameters(comparison: AdjustmentComparison) -> dict[str, Any]:
    return {"comparison": comparison.pk, "run": comparison.run_id}


def _may_see_comparison(user: Staff, parameters: dict[str, Any]) -> bool:
    comparison_id = parameters.get("comparison")
    return (
        isinstance(comparison_id, int)
        and may_view_adjustments(user)
        and AdjustmentComparison.objects.filter(pk=comparison_id).exists()
    )


def _comparison_label(parameters: dict[str, Any]) -> str:
    return _("调待省厅结果比对差异 %(pk)s") % {"pk": parameters.get("comparison", "")}


def _write_differences(request: ExportRequest) -> ExportResult:
    comparison = AdjustmentComparison.objects.get(pk=request.parameters["comparison"])
    count = differences_xlsx(
        comparison, target=request.target, numbers=request.numbers, progress=request.progress
    )
    filename = _("调待比对差异-试算%(run)d-%(pk)d.xlsx") % {"run": comparison.run_id, "pk": comparison.pk}
    return ExportResult(rows=count, filename=filename, content_type=XLSX_CONTENT_TYPE)


def register() -> None:
    # The same record name as the inline download (pensions.views.plans.plan_export).
    register_export(
        ExportKind(key=PLAN_LINES, label=_label, write=_write, allowed=_allowed, sensitive_name=PLAN_LINES)
    )
    # An adjustment run's lines (pensions.views.adjustment_runs.adjustment_run_export records the same name).
    register_export(
        ExportKind(
            key=ADJUSTMENT_LINES,
            label=_run_label,
            write=_write_run_lines,
            allowed=_may_see_run,
            sensitive_name=ADJUSTMENT_LINES,
        )
    )
    register_export(
        ExportKind(
            key=RECOVERY_AGING,
            label=_aging_label,
            write=_write_recovery_aging,
            allowed=_may_see_recoveries,
            sensitive_name=RECOVERY_AGING,
        )
    )
    register_export(
        ExportKind(
            key=COMPARISON_DIFFERENCES,
            label=_comparison_label,
            write=_write_differences,
            allowed=_may_see_comparison,
            sensitive_name=COMPARISON_DIFFERENCES,
        )
    )
