"""The county-wide audit log (/audit/): read-only, for the auditor and the bureau admin (Action.VIEW_AUDIT).
Filters and "下一页" are plain GET links; pages are cut by keyset and never counted
(registry.selectors.audit_log). The xlsx file holds the same filtered rows, numbers masked."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from typing import IO, cast

from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ..access import Action
from ..export_kinds import AUDIT_LOG, audit_log_parameters
from ..forms_audit import AuditLogFilterForm
from ..replica import replica_reads_view
from ..selectors import audit_log as log
from ..selectors.exports import XLSX_CONTENT_TYPE, xlsx_table
from .common import StaffRequest, export_in_background, requires

# Up to settings.EXPORT_INLINE_MAX_ROWS rows the file is made inside the request (20,000 rows took about 6 s
# on a loaded test machine, docs/personal-data.md); a longer log is made by the worker (docs/exports.md), up
# to this many rows, under the sheet's limit of 1,048,576: a longer period is exported in parts.
EXPORT_MAX_ROWS = 1_000_000


@replica_reads_view
@requires(Action.VIEW_AUDIT)
@require_GET
def audit_log(request: StaffRequest) -> HttpResponse:
    form = AuditLogFilterForm(request.GET or None)
    filters = form.filters()
    page = log.audit_log_page(filters=filters, cursor=request.GET.get("after", ""), page_size=log.PAGE_SIZE)
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "registry/audit_log.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "is_first_page": not request.GET.get("after"),
            "export_max_rows": EXPORT_MAX_ROWS,
        },
    )


@replica_reads_view
@requires(Action.VIEW_AUDIT)
@require_GET
def audit_log_export(request: StaffRequest) -> HttpResponse:
    filters = AuditLogFilterForm(request.GET or None).filters()
    # The first rows are read once: up to the limit they are the file; one more and the worker makes it.
    limit = settings.EXPORT_INLINE_MAX_ROWS
    first = list(log.audit_log_rows(filters=filters, limit=limit + 1))
    if len(first) > limit:
        return export_in_background(
            request,
            kind=AUDIT_LOG,
            parameters=audit_log_parameters(filters),
            message=_("记录较多,正在后台生成,完成后可在“我的导出”下载。"),
        )
    target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
    audit_log_xlsx(target=target, rows=first)
    target.seek(0)
    response = FileResponse(
        target, as_attachment=True, filename=audit_log_filename(), content_type=XLSX_CONTENT_TYPE
    )
    return cast(HttpResponse, response)


def audit_log_filename() -> str:
    return _("审计日志-%(date)s.xlsx") % {"date": timezone.localdate().strftime("%Y%m%d")}


def audit_log_xlsx(*, target: IO[bytes], rows: Iterable[log.AuditLogRow]) -> int:
    """The rows as the audit log's sheet (numbers already masked by the selector); returns how many."""
    return xlsx_table(
        target=target,
        title=_("审计日志"),
        headers=[
            _("时间"),
            _("类别"),
            _("经办人"),
            _("操作"),
            _("内容"),
            _("退休人员"),
            _("人数"),
            _("说明"),
        ],
        widths=(20, 16, 12, 20, 40, 28, 8, 40),
        text_columns=frozenset({5}),
        rows=(
            [
                timezone.localtime(row.at).strftime("%Y-%m-%d %H:%M:%S"),
                row.kind_label,
                row.who,
                row.action,
                row.subject,
                row.retiree,
                row.count,
                row.note,
            ]
            for row in rows
        ),
    )
