"""The county-wide audit log (/audit/): who revealed or exported personal numbers, who printed benefit
certificates (they carry the full ID number), who approved what, who changed which pension rates, merged
newest first from several tables.

registry imports no other app, so the tables of pensions (plan transitions, write-offs, bank-file downloads)
and of any later app come in through `register_audit_source`, called from that app's AppConfig.ready(). A
source is a queryset of rows with a time, an acting staff member and perhaps a retiree, plus a function that
turns one row into an AuditLogRow. Adding a kind of event touches only the app that owns its table.

Pages are cut by keyset, never by offset or count: the order is (time, source rank, id) descending and the
cursor is the last row shown, so each source reads the next `page_size + 1` rows along its (time, id) index
and nothing is counted (a count over every event did not answer within 120 s on a county of 30,000).
"""

from __future__ import annotations

import datetime
import heapq
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.apps import apps
from django.db.models import Model, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..formats import yuan
from ..id_numbers import mask_resident_id
from ..models import (
    CertificatePrint,
    ChangeRequest,
    PensionRate,
    Retiree,
    SensitiveExport,
    SensitiveView,
    Staff,
)

PAGE_SIZE = 50
# An ID prefix to filter by: digits, with a final X allowed (the check character).
_ID_PREFIX = re.compile(r"^\d{1,17}[\dXx]?$")
# Long digit runs in free text (a search typed into a filter, a note): shown masked like an ID or account.
_LONG_NUMBER = re.compile(r"\d{10,}[\dXx]?")


@dataclass(frozen=True)
class AuditLogFilters:
    kind: str = ""  # one source's kind, or every source
    staff_id: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None  # inclusive
    retiree: str = ""  # an ID prefix or the start of a name: only sources that concern one retiree


@dataclass(frozen=True)
class AuditLogRow:
    at: datetime.datetime
    kind: str
    kind_label: str
    pk: int
    who: str
    action: str
    subject: str
    retiree: str = ""  # name and masked ID
    count: int | None = None  # people in an exported file
    note: str = ""
    url: str = ""


@dataclass(frozen=True)
class AuditSource:
    """One table of the log. `queryset` holds every row of the kind (select_related as `row` needs);
    `time_field`, `staff_field` and `retiree_field` are lookups on it; `rank` orders rows of the same moment
    across sources and must be unique."""

    kind: str
    label: str | Promise
    rank: int
    queryset: Callable[[], QuerySet[Any]]
    time_field: str
    staff_field: str
    retiree_field: str | None
    row: Callable[[Any], AuditLogRow]


@dataclass(frozen=True)
class AuditLogPage:
    rows: list[AuditLogRow]
    next_cursor: str | None


_SOURCES: dict[str, AuditSource] = {}


def register_audit_source(source: AuditSource) -> None:
    """Add a kind of event to the log; registering the same kind again replaces it (a reloaded app)."""
    for other in _SOURCES.values():
        if other.rank == source.rank and other.kind != source.kind:
            raise ValueError(f"audit source rank {source.rank} is taken by {other.kind}")
    _SOURCES[source.kind] = source


def audit_sources() -> list[AuditSource]:
    return sorted(_SOURCES.values(), key=lambda source: source.rank)


# Reading ----------------------------------------------------------------------------------------------------


def audit_log_page(*, filters: AuditLogFilters, cursor: str = "", page_size: int = PAGE_SIZE) -> AuditLogPage:
    """One page of the log, newest first, after `cursor` (the previous page's next_cursor). The caller checks
    that the user may read the log (Action.VIEW_AUDIT)."""
    position = _parse_cursor(cursor)
    fetched: list[tuple[tuple[datetime.datetime, int, int], AuditSource, Any]] = []
    for source in _selected_sources(filters):
        queryset = _filtered(source, filters)
        if position is not None:
            queryset = queryset.filter(_after(source, position))
        # One more than a page from each source tells whether anything is left after this page.
        for obj in queryset.order_by(f"-{source.time_field}", "-pk")[: page_size + 1]:
            at = _time_of(obj, source)
            fetched.append(((at, source.rank, obj.pk), source, obj))
    fetched.sort(key=lambda item: item[0], reverse=True)
    page = fetched[:page_size]
    more = len(fetched) > page_size
    next_cursor = _cursor(page[-1][0]) if more and page else None
    rows = [source.row(obj) for _key, source, obj in page]
    return AuditLogPage(rows=rows, next_cursor=next_cursor)


def audit_log_rows(*, filters: AuditLogFilters, limit: int, chunk: int = 2000) -> Iterator[AuditLogRow]:
    """Every row of the filtered log, newest first, up to `limit` (for the xlsx file). Each source is read in
    chunks along its own (time, id) order and the sources are merged lazily, so only about the rows given out
    are loaded, not a page from every source for each page given."""
    streams = [_source_stream(source, filters, chunk) for source in _selected_sources(filters)]
    merged = heapq.merge(*streams, key=lambda item: item[0], reverse=True)
    for _key, source, obj in itertools.islice(merged, limit):
        yield source.row(obj)


def _source_stream(
    source: AuditSource, filters: AuditLogFilters, chunk: int
) -> Iterator[tuple[tuple[datetime.datetime, int, int], AuditSource, Any]]:
    queryset = _filtered(source, filters).order_by(f"-{source.time_field}", "-pk")
    position: tuple[datetime.datetime, int, int] | None = None
    while True:
        batch = queryset if position is None else queryset.filter(_after(source, position))
        objs = list(batch[:chunk])
        for obj in objs:
            position = (_time_of(obj, source), source.rank, obj.pk)
            yield position, source, obj
        if len(objs) < chunk:
            return


def _selected_sources(filters: AuditLogFilters) -> list[AuditSource]:
    sources = audit_sources()
    if filters.kind:
        sources = [source for source in sources if source.kind == filters.kind]
    if filters.retiree.strip():
        sources = [source for source in sources if source.retiree_field is not None]
    return sources


def _filtered(source: AuditSource, filters: AuditLogFilters) -> QuerySet[Any]:
    queryset = source.queryset()
    if filters.staff_id is not None:
        queryset = queryset.filter(**{source.staff_field: filters.staff_id})
    if filters.date_from is not None:
        queryset = queryset.filter(**{f"{source.time_field}__gte": _start_of(filters.date_from)})
    if filters.date_to is not None:
        queryset = queryset.filter(
            **{f"{source.time_field}__lt": _start_of(filters.date_to + datetime.timedelta(days=1))}
        )
    text = filters.retiree.strip()
    if text and source.retiree_field is not None:
        if _ID_PREFIX.match(text):
            queryset = queryset.filter(**{f"{source.retiree_field}__id_number__startswith": text.upper()})
        else:
            queryset = queryset.filter(**{f"{source.retiree_field}__name__startswith": text})
    return queryset


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _after(source: AuditSource, position: tuple[datetime.datetime, int, int]) -> Q:
    """Rows that come after `position` in (time, rank, id) descending order, for this source's rank."""
    at, rank, pk = position
    time = source.time_field
    if source.rank < rank:
        return Q(**{f"{time}__lte": at})
    if source.rank > rank:
        return Q(**{f"{time}__lt": at})
    return Q(**{f"{time}__lt": at}) | Q(**{time: at, "pk__lt": pk})


def _time_of(obj: Model, source: AuditSource) -> datetime.datetime:
    value: Any = obj
    for part in source.time_field.split("__"):
        value = getattr(value, part)
    assert isinstance(value, datetime.datetime)  # noqa: S101  # a time field by contract
    return value


def _cursor(position: tuple[datetime.datetime, int, int]) -> str:
    at, rank, pk = position
    return f"{at.astimezone(datetime.UTC).strftime('%Y%m%dT%H%M%S.%f')}_{rank}_{pk}"


def _parse_cursor(cursor: str) -> tuple[datetime.datetime, int, int] | None:
    """(time, rank, id) from "20261104T013000.123456_2_77"; anything malformed starts from the top."""
    parts = cursor.split("_") if cursor else []
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    try:
        at = datetime.datetime.strptime(parts[0], "%Y%m%dT%H%M%S.%f").replace(tzinfo=datetime.UTC)
    except ValueError:
        return None
    return at, int(parts[1]), int(parts[2])


# Helpers for sources ----------------------------------------------------------------------------------------


def staff_name(staff: Staff | None) -> str:
    return staff.display_name if staff is not None else _("系统")


def retiree_text(retiree: Retiree | None) -> str:
    """Name and masked ID: the log is read by auditors, who reveal a full number on the record page."""
    if retiree is None:
        return ""
    return f"{retiree.name} {mask_resident_id(retiree.id_number)}"


def masked_text(text: str) -> str:
    """Free text with any long number in it masked (a filter typed as a full ID, a note quoting an
    account)."""
    return _LONG_NUMBER.sub(lambda match: mask_resident_id(match.group()), text)


# The registry's own sources ---------------------------------------------------------------------------------


def _sensitive_view_row(view: SensitiveView) -> AuditLogRow:
    return AuditLogRow(
        at=view.viewed_at,
        kind="sensitive_view",
        kind_label=str(_SENSITIVE_VIEW_LABEL),
        pk=view.pk,
        who=staff_name(view.staff),
        action=_("查看完整号码"),
        subject=str(SensitiveView.Field(view.field).label),
        retiree=retiree_text(view.retiree),
    )


def _sensitive_export_row(export: SensitiveExport) -> AuditLogRow:
    purpose = str(SensitiveExport.Purpose(export.purpose).label)
    if export.purpose_note:
        purpose = f"{purpose}:{export.purpose_note}"
    detail = "; ".join(f"{key}={value}" for key, value in export.detail.items())
    return AuditLogRow(
        at=export.exported_at,
        kind="sensitive_export",
        kind_label=str(_SENSITIVE_EXPORT_LABEL),
        pk=export.pk,
        who=staff_name(export.staff),
        action=_("导出完整号码"),
        subject=masked_text(f"{export.label}({detail})" if detail else export.label),
        count=export.person_count,
        note=masked_text(_("用途:%(purpose)s") % {"purpose": purpose}),
    )


def _change_decision_row(request: ChangeRequest) -> AuditLogRow:
    approved = request.status == ChangeRequest.Status.APPROVED
    note = _("申请人:%(maker)s") % {"maker": staff_name(request.requested_by)}
    if request.decision_comment:
        note = f"{note};{request.decision_comment}"
    return AuditLogRow(
        at=request.decided_at or request.requested_at,
        kind="change_decision",
        kind_label=str(_CHANGE_DECISION_LABEL),
        pk=request.pk,
        who=staff_name(request.decided_by),
        action=_("批准") if approved else _("驳回"),
        subject=_("信息变更:%(field)s") % {"field": ChangeRequest.Field(request.field).label},
        retiree=retiree_text(request.retiree),
        note=masked_text(note),
    )


def _rate_row(rate: PensionRate) -> AuditLogRow:
    note = str(PensionRate.Reason(rate.reason).label)
    if rate.note:
        note = f"{note}:{rate.note}"
    return AuditLogRow(
        at=rate.created_at,
        kind="rate_change",
        kind_label=str(_RATE_LABEL),
        pk=rate.pk,
        who=staff_name(rate.created_by),
        action=_("新增待遇标准"),
        subject=_("月养老金 %(amount)s,自 %(month)s 起")
        % {"amount": yuan(rate.amount), "month": rate.effective_month},
        retiree=retiree_text(rate.retiree),
        note=masked_text(note),
    )


def _certificate_print_row(printing: CertificatePrint) -> AuditLogRow:
    return AuditLogRow(
        at=printing.printed_at,
        kind="certificate_print",
        kind_label=str(_CERTIFICATE_PRINT_LABEL),
        pk=printing.pk,
        who=staff_name(printing.printed_by),
        action=_("打印待遇证"),
        subject=_("待遇证号 %(number)s(%(channel)s)")
        % {
            "number": printing.certificate_number,
            "channel": CertificatePrint.Channel(printing.channel).label,
        },
        retiree=retiree_text(printing.retiree),
        # The printed certificate is handed to the person with the full ID number on it.
        note=_("证上印有完整身份证号码"),
    )


_SENSITIVE_VIEW_LABEL = gettext_lazy("查看完整号码")
_SENSITIVE_EXPORT_LABEL = gettext_lazy("导出完整号码")
_CHANGE_DECISION_LABEL = gettext_lazy("信息变更审批")
_RATE_LABEL = gettext_lazy("养老金标准变更")
_CERTIFICATE_PRINT_LABEL = gettext_lazy("打印待遇证")

register_audit_source(
    AuditSource(
        kind="sensitive_view",
        label=_SENSITIVE_VIEW_LABEL,
        rank=10,
        queryset=lambda: SensitiveView.objects.select_related("staff", "retiree"),
        time_field="viewed_at",
        staff_field="staff_id",
        retiree_field="retiree",
        row=_sensitive_view_row,
    )
)
register_audit_source(
    AuditSource(
        kind="sensitive_export",
        label=_SENSITIVE_EXPORT_LABEL,
        rank=20,
        queryset=lambda: SensitiveExport.objects.select_related("staff"),
        time_field="exported_at",
        staff_field="staff_id",
        retiree_field=None,
        row=_sensitive_export_row,
    )
)
register_audit_source(
    AuditSource(
        kind="change_decision",
        label=_CHANGE_DECISION_LABEL,
        rank=30,
        queryset=lambda: ChangeRequest.objects.filter(decided_at__isnull=False).select_related(
            "retiree", "requested_by", "decided_by"
        ),
        time_field="decided_at",
        staff_field="decided_by_id",
        retiree_field="retiree",
        row=_change_decision_row,
    )
)
register_audit_source(
    AuditSource(
        kind="rate_change",
        label=_RATE_LABEL,
        rank=40,
        queryset=lambda: PensionRate.objects.select_related("retiree", "created_by"),
        time_field="created_at",
        staff_field="created_by_id",
        retiree_field="retiree",
        row=_rate_row,
    )
)
register_audit_source(
    AuditSource(
        kind="certificate_print",
        label=_CERTIFICATE_PRINT_LABEL,
        rank=45,
        queryset=lambda: CertificatePrint.objects.select_related("retiree", "printed_by"),
        time_field="printed_at",
        staff_field="printed_by_id",
        retiree_field="retiree",
        row=_certificate_print_row,
    )
)


# County flags (人员标记): each version of a flag row is an event of its pghistory table, the insert when it
# was set and the one update when it was removed; the acting person and the moment are the row's own columns.
_FLAG_LABEL = gettext_lazy("人员标记")


def _flag_events() -> QuerySet[Any]:
    events = apps.get_model("registry", "RetireeFlagEvent").objects.annotate(
        flag_at=Coalesce("removed_at", "added_at"), flag_by=Coalesce("removed_by", "added_by")
    )
    return cast("QuerySet[Any]", events.select_related("retiree", "kind", "added_by", "removed_by"))


def _flag_row(event: Any) -> AuditLogRow:
    removed = event.removed_at is not None
    return AuditLogRow(
        at=event.flag_at,
        kind="retiree_flag",
        kind_label=str(_FLAG_LABEL),
        pk=event.pk,
        who=staff_name(event.removed_by if removed else event.added_by),
        action=_("取消标记") if removed else _("设置标记"),
        subject=event.kind.name,
        retiree=retiree_text(event.retiree),
        note=masked_text(event.note),
    )


register_audit_source(
    AuditSource(
        kind="retiree_flag",
        label=_FLAG_LABEL,
        rank=118,
        queryset=_flag_events,
        time_field="flag_at",
        staff_field="flag_by",
        retiree_field="retiree",
        row=_flag_row,
    )
)
