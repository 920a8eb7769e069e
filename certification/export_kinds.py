"""The certification app's background exports (docs/exports.md): the missing list as PDF and as xlsx, made
by the worker when the list is long. Registered in CertificationConfig.ready."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.exports import ExportKind, ExportRequest, ExportResult, register_export
from registry.jobs import job_beating
from registry.models import ExportJob, OrgUnit, Staff
from registry.selectors.exports import XLSX_CONTENT_TYPE

from .pdfs.missing_list import missing_filename, missing_pdf_counted, missing_xlsx
from .selectors.progress import progress_unit

MISSING_PDF = "certification.missing_pdf"
MISSING_XLSX = "certification.missing_xlsx"


def missing_parameters(*, year: int, unit: OrgUnit, today: datetime.date) -> dict[str, Any]:
    # The day the list is "as of" is the day it was asked for, so the file is the list the page showed.
    return {"year": year, "unit": unit.pk, "unit_name": unit.name, "today": today.isoformat()}


def _unit(user: Staff, parameters: dict[str, Any]) -> OrgUnit | None:
    try:
        return progress_unit(user=user, unit_id=int(parameters["unit"]))
    except (OrgUnit.DoesNotExist, KeyError, TypeError, ValueError):
        return None


def _allowed(user: Staff, parameters: dict[str, Any]) -> bool:
    return access.can(user, Action.VIEW_REGISTRY) and _unit(user, parameters) is not None


def _label(parameters: dict[str, Any]) -> str:
    values = {"year": parameters.get("year"), "unit": parameters.get("unit_name", "")}
    return _("%(year)s年度未认证人员名单(%(unit)s)") % values


def _arguments(request: ExportRequest) -> tuple[int, OrgUnit, datetime.date]:
    unit = _unit(request.user, request.parameters)
    if unit is None:  # allowed() was checked just before: only a unit deleted in between
        raise OrgUnit.DoesNotExist
    return int(request.parameters["year"]), unit, datetime.date.fromisoformat(request.parameters["today"])


def _write_pdf(request: ExportRequest) -> ExportResult:
    year, unit, today = _arguments(request)
    printed = missing_pdf_counted(
        user=request.user,
        year=year,
        unit=unit,
        today=today,
        numbers=request.numbers,
        # Reading the rows is the short part; the layout after it (two thirds, by measure) reports nothing.
        progress=lambda done, total: request.progress(done, 3 * total),
        # WeasyPrint lays the whole list out in one call: a side thread beats for it.
        laying_out=lambda: job_beating(ExportJob, request.job_id),
    )
    request.target.write(printed.pdf)
    return ExportResult(
        rows=printed.count,
        filename=missing_filename(unit=unit, year=year, extension="pdf"),
        content_type="application/pdf",
    )


def _write_xlsx(request: ExportRequest) -> ExportResult:
    year, unit, today = _arguments(request)
    count = missing_xlsx(
        user=request.user,
        year=year,
        unit=unit,
        today=today,
        target=request.target,
        numbers=request.numbers,
        progress=request.progress,
    )
    return ExportResult(
        rows=count,
        filename=missing_filename(unit=unit, year=year, extension="xlsx"),
        content_type=XLSX_CONTENT_TYPE,
    )


def register() -> None:
    # The same names as the inline downloads' records (certification.views.progress), so the personal-data
    # log reads one way whichever path made the file.
    register_export(
        ExportKind(
            key=MISSING_PDF, label=_label, write=_write_pdf, allowed=_allowed, sensitive_name=MISSING_PDF
        )
    )
    register_export(
        ExportKind(
            key=MISSING_XLSX, label=_label, write=_write_xlsx, allowed=_allowed, sensitive_name=MISSING_XLSX
        )
    )
