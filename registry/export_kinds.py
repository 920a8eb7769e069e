"""The registry's own background exports (registered in RegistryConfig.ready, like every app's)."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Iterator
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from . import access
from .access import Action
from .exports import ExportKind, ExportRequest, ExportResult, register_export
from .models import Staff
from .selectors import audit_log as log
from .selectors.exports import XLSX_CONTENT_TYPE, retiree_list_xlsx
from .selectors.retirees import RetireeFilters

RETIREE_LIST = "registry.retiree_list"
AUDIT_LOG = "registry.audit_log"


def retiree_filters(parameters: dict[str, Any]) -> RetireeFilters:
    """The list's filters back from the JSON stored with the job (unknown keys ignored)."""
    names = {field.name for field in dataclasses.fields(RetireeFilters)}
    return RetireeFilters(**{key: value for key, value in parameters.items() if key in names})


def _write_retiree_list(request: ExportRequest) -> ExportResult:
    count = retiree_list_xlsx(
        user=request.user,
        filters=retiree_filters(request.parameters),
        target=request.target,
        numbers=request.numbers,
        progress=request.progress,
    )
    filename = _("退休人员名单-%(date)s.xlsx") % {"date": timezone.localdate().strftime("%Y%m%d")}
    return ExportResult(rows=count, filename=filename, content_type=XLSX_CONTENT_TYPE)


def _may_list(user: Staff, _parameters: dict[str, Any]) -> bool:
    return access.can(user, Action.VIEW_REGISTRY)


def audit_log_parameters(filters: log.AuditLogFilters) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, datetime.date) else value
        for key, value in dataclasses.asdict(filters).items()
    }


def audit_log_filters(parameters: dict[str, Any]) -> log.AuditLogFilters:
    def day(value: Any) -> datetime.date | None:
        return datetime.date.fromisoformat(value) if value else None

    return log.AuditLogFilters(
        kind=parameters.get("kind") or "",
        staff_id=parameters.get("staff_id"),
        date_from=day(parameters.get("date_from")),
        date_to=day(parameters.get("date_to")),
        retiree=parameters.get("retiree") or "",
    )


def _reported(
    rows: Iterator[log.AuditLogRow], progress: Callable[[int, int], None]
) -> Iterator[log.AuditLogRow]:
    # The log is not counted (its selectors avoid counts over the whole history): the total is given as 0,
    # unknown, so 我的导出 shows the rows written so far and the beats keep the job alive.
    done = 0
    for done, row in enumerate(rows, start=1):
        progress(done, 0)
        yield row
    progress(done, done)


def _write_audit_log(request: ExportRequest) -> ExportResult:
    from .views.audit_log import EXPORT_MAX_ROWS, audit_log_filename, audit_log_xlsx  # noqa: PLC0415 - the view imports this module

    rows = log.audit_log_rows(filters=audit_log_filters(request.parameters), limit=EXPORT_MAX_ROWS)
    count = audit_log_xlsx(target=request.target, rows=_reported(rows, request.progress))
    return ExportResult(rows=count, filename=audit_log_filename(), content_type=XLSX_CONTENT_TYPE)


def _may_audit(user: Staff, _parameters: dict[str, Any]) -> bool:
    return access.can(user, Action.VIEW_AUDIT)


def register() -> None:
    register_export(
        ExportKind(
            key=RETIREE_LIST,
            label=lambda _parameters: _("退休人员名单"),
            write=_write_retiree_list,
            allowed=_may_list,
            sensitive_name=RETIREE_LIST,
        )
    )
    # The log's numbers are masked by its selectors whoever exports it: nothing is recorded as a full export.
    register_export(
        ExportKind(
            key=AUDIT_LOG,
            label=lambda _parameters: _("审计日志"),
            write=_write_audit_log,
            allowed=_may_audit,
            sensitive_name=AUDIT_LOG,
        )
    )
