"""The registry's own background exports (registered in RegistryConfig.ready, like every app's)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from . import access
from .access import Action
from .exports import ExportKind, ExportRequest, ExportResult, register_export
from .models import Staff
from .selectors.exports import XLSX_CONTENT_TYPE, retiree_list_xlsx
from .selectors.retirees import RetireeFilters

RETIREE_LIST = "registry.retiree_list"


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
