"""The certification app's background exports (docs/exports.md): the missing list as PDF and as xlsx, made
by the worker when the list is long. Registered in CertificationConfig.ready."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.exports import ExportKind, ExportRecord, ExportRequest, ExportResult, register_export
from registry.jobs import job_beating
from registry.models import ExportJob, OrgUnit, Staff
from registry.selectors.exports import XLSX_CONTENT_TYPE

from .models import RemoteBatch
from .pdfs.missing_list import missing_filename, missing_pdf_counted, missing_xlsx
from .selectors.progress import progress_unit
from .selectors.remote import remote_batch_get
from .selectors.remote_export import remote_upload_filename, upload_csv, upload_xlsx
from .services.remote import remote_export_record

MISSING_PDF = "certification.missing_pdf"
MISSING_XLSX = "certification.missing_xlsx"
REMOTE_UPLOAD = "certification.remote_upload"
UPLOAD_CONTENT_TYPES = {"xlsx": XLSX_CONTENT_TYPE, "csv": "text/csv; charset=gb18030"}


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


def remote_upload_parameters(*, batch: RemoteBatch, fmt: str) -> dict[str, Any]:
    return {"batch": batch.pk, "year": batch.year, "fmt": fmt}


def _remote_batch(user: Staff, parameters: dict[str, Any]) -> RemoteBatch | None:
    try:
        return remote_batch_get(user=user, pk=int(parameters["batch"]))
    except (RemoteBatch.DoesNotExist, KeyError, TypeError, ValueError):
        return None


def _may_take_upload(user: Staff, parameters: dict[str, Any]) -> bool:
    # The batch pages' rule (remote_clerk): the registry and the full numbers, and the batch in scope.
    return (
        access.can(user, Action.EDIT_REGISTRY)
        and access.can(user, Action.VIEW_SENSITIVE)
        and parameters.get("fmt") in UPLOAD_CONTENT_TYPES
        and _remote_batch(user, parameters) is not None
    )


def _upload_label(parameters: dict[str, Any]) -> str:
    return _("%(year)s年度异地退管系统上传文件(批次 %(pk)s,%(fmt)s)") % {
        "year": parameters.get("year", ""),
        "pk": parameters.get("batch", ""),
        "fmt": parameters.get("fmt", ""),
    }


def _write_upload(request: ExportRequest) -> ExportResult:
    batch = RemoteBatch.objects.get(pk=request.parameters["batch"])
    fmt = request.parameters["fmt"]
    write = upload_xlsx if fmt == "xlsx" else upload_csv
    count = write(user=request.user, batch=batch, target=request.target, progress=request.progress)
    return ExportResult(
        rows=count, filename=remote_upload_filename(batch, fmt), content_type=UPLOAD_CONTENT_TYPES[fmt]
    )


def _record_upload(record: ExportRecord) -> None:
    # The same record as the inline download: one SensitiveView per person in scope and the export row.
    batch = RemoteBatch.objects.get(pk=record.parameters["batch"])
    remote_export_record(
        batch=batch, by=record.by, what=f"upload_{record.parameters['fmt']}", rows=record.rows
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
    register_export(
        ExportKind(
            key=REMOTE_UPLOAD,
            label=_upload_label,
            write=_write_upload,
            allowed=_may_take_upload,
            sensitive_name=REMOTE_UPLOAD,
            record=_record_upload,
        )
    )
