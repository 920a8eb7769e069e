"""Who changed what in a retiree's file: the audit tab of the record page (操作记录).

Three sources, merged newest first:
- django-pghistory's trigger-written events of the retiree and of every tracked row that points at them
  (accounts, agents, rates, status changes, fee receipts, arrears, recoveries). The acting user comes from the
  event's context, which pghistory.middleware.HistoryMiddleware fills with {"user": pk, "url": path} for each
  web request; events written without a request (seed, import jobs, a shell) have no user and show as 系统.
- SensitiveView rows: who was shown a full number, when.
- CertificatePrint rows: who printed the benefit certificate, when, from the page or the API.
- ChangeRequest rows (not tracked by pghistory): their own requested_by/requested_at and
  decided_by/decided_at say who asked for and who decided each change.

Pages are cut by an offset per source, so "更多" never repeats or skips an entry when two sources hold
entries of the same moment.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.apps import apps
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pghistory.models import Events

from .. import access
from ..access import Action
from ..fields import PensionMonthField
from ..id_numbers import mask_account_number, mask_resident_id
from ..models import (
    Agent,
    ArrearsItem,
    Bank,
    BankAccount,
    CertificatePrint,
    ChangeRequest,
    Employer,
    ManagementFeeReceipt,
    OrgUnit,
    PensionRate,
    Recovery,
    Retiree,
    SensitiveView,
    Staff,
    StatusChange,
)
from ..months import PensionMonth
from .records import change_value_text

AUDITED_MODELS: tuple[type[models.Model], ...] = (
    Retiree,
    BankAccount,
    Agent,
    PensionRate,
    StatusChange,
    ManagementFeeReceipt,
    ArrearsItem,
    Recovery,
)
# Columns every event row carries that say nothing a reader needs: the acting user is shown as "who".
_HIDDEN_COLUMNS = frozenset(
    {"id", "retiree_id", "created_at", "updated_at", "created_by_id", "change_request_id"}
)
_ID_COLUMNS = frozenset({"id_number", "id_number_original"})
_ACCOUNT_COLUMNS = frozenset({"account_number"})
# Foreign keys shown by name rather than by id (a handful of rows per page, one query per model).
_NAMED_MODELS: tuple[type[models.Model], ...] = (OrgUnit, Employer, Bank, Staff)


def may_view_audit(user: Any) -> bool:
    """The audit tab: for those who read the trail (auditors) and those already trusted with full numbers."""
    return access.can(user, Action.VIEW_AUDIT) or access.can(user, Action.VIEW_SENSITIVE)


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str | None  # None when the event has values only (a row added or removed)
    new: str


@dataclass(frozen=True)
class AuditEntry:
    at: datetime.datetime
    who: str
    subject: str  # what was touched: a model's name, 敏感信息查看, 信息变更申请, 待遇证打印记录
    action: str  # 新增, 修改, 删除, 查看完整号码, 提交申请, 批准, 驳回, 打印待遇证
    changes: tuple[FieldChange, ...] = ()
    note: str = ""
    url: str = ""  # the page or endpoint the change was made through, when known


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    next_cursor: str | None  # for the next "更多", or None at the end


@dataclass(frozen=True)
class _Item:
    at: datetime.datetime
    source: int
    row: Any


def retiree_audit(*, retiree: Retiree, cursor: str = "", page_size: int = 30) -> AuditPage:
    """One page of the retiree's trail, newest first. `retiree` comes from the caller's scoped lookup;
    the caller checks may_view_audit."""
    sources: Sequence[Callable[[int, int], list[Any]]] = (
        lambda offset, limit: list(_events_of(retiree)[offset : offset + limit]),
        lambda offset, limit: list(
            SensitiveView.objects.filter(retiree=retiree)
            .select_related("staff")
            .order_by("-viewed_at", "-id")[offset : offset + limit]
        ),
        lambda offset, limit: list(
            ChangeRequest.objects.filter(retiree=retiree)
            .select_related("requested_by")
            .order_by("-requested_at", "-id")[offset : offset + limit]
        ),
        lambda offset, limit: list(
            ChangeRequest.objects.filter(retiree=retiree, decided_at__isnull=False)
            .select_related("decided_by")
            .order_by("-decided_at", "-id")[offset : offset + limit]
        ),
        lambda offset, limit: list(
            CertificatePrint.objects.filter(retiree=retiree)
            .select_related("printed_by")
            .order_by("-printed_at", "-id")[offset : offset + limit]
        ),
    )
    time_of: Sequence[Callable[[Any], datetime.datetime]] = (
        lambda event: event.pgh_created_at,
        lambda view: view.viewed_at,
        lambda request: request.requested_at,
        lambda request: request.decided_at,
        lambda printing: printing.printed_at,
    )
    offsets = _parse_cursor(cursor, len(sources))
    fetched: list[_Item] = []
    for index, fetch in enumerate(sources):
        # One more than a page from each source tells whether anything is left after this page.
        rows = fetch(offsets[index], page_size + 1)
        fetched.extend(_Item(time_of[index](row), index, row) for row in rows)
    # A stable sort keeps each source's own order among equal times, so what a page takes from a source is
    # always a prefix of what it fetched and the offsets below stay exact.
    page = sorted(fetched, key=lambda item: item.at, reverse=True)[:page_size]
    taken = [0] * len(sources)
    for item in page:
        taken[item.source] += 1
    next_offsets = [offset + count for offset, count in zip(offsets, taken, strict=True)]
    more = len(fetched) > len(page)
    return AuditPage(
        entries=_entries(page),
        next_cursor=".".join(str(n) for n in next_offsets) if more else None,
    )


def _events_of(retiree: Retiree) -> models.QuerySet[Events]:
    event_models = [model.pgh_event_model for model in AUDITED_MODELS]  # type: ignore[attr-defined]
    # pghistory's manager methods are untyped: go through Any and name the result's type once.
    events: Any = Events.objects
    return cast(
        "models.QuerySet[Events]",
        events.references(retiree).across(*event_models).order_by("-pgh_created_at", "-pgh_slug"),
    )


def _parse_cursor(cursor: str, size: int) -> list[int]:
    """Offsets per source from "12.3.0.1"; anything malformed starts from the top. A cursor made before a
    source was added (a shorter one, e.g. a "更多" link of an open page) reads the new sources from their
    start: its page showed none of their entries."""
    parts = cursor.split(".") if cursor else []
    if not parts or len(parts) > size or not all(part.isdigit() for part in parts):
        return [0] * size
    return [int(part) for part in parts] + [0] * (size - len(parts))


def _entries(items: Iterable[_Item]) -> list[AuditEntry]:
    items = list(items)
    events = [item.row for item in items if item.source == 0]
    names = _names_for(events)
    entries: list[AuditEntry] = []
    for item in items:
        row = item.row
        if item.source == 0:
            entries.append(_event_entry(row, names))
        elif item.source == 1:
            entries.append(
                AuditEntry(
                    at=item.at,
                    who=row.staff.display_name,
                    subject=_("敏感信息查看"),
                    action=_("查看完整号码"),
                    note=str(row.get_field_display()),
                )
            )
        elif item.source == 2:
            entries.append(
                AuditEntry(
                    at=item.at,
                    who=row.requested_by.display_name,
                    subject=str(ChangeRequest._meta.verbose_name),
                    action=_("提交申请"),
                    changes=(
                        FieldChange(
                            label=str(row.get_field_display()),
                            old=change_value_text(row.field, row.old_value),
                            new=change_value_text(row.field, row.new_value),
                        ),
                    ),
                    note=row.reason,
                )
            )
        elif item.source == 4:  # a printing of the benefit certificate
            entries.append(
                AuditEntry(
                    at=item.at,
                    who=row.printed_by.display_name,
                    subject=str(CertificatePrint._meta.verbose_name),
                    action=_("打印待遇证"),
                    note=_("待遇证号 %(number)s(%(channel)s)")
                    % {"number": row.certificate_number, "channel": row.get_channel_display()},
                )
            )
        else:
            approved = row.status == ChangeRequest.Status.APPROVED
            entries.append(
                AuditEntry(
                    at=item.at,
                    who=row.decided_by.display_name,
                    subject=str(ChangeRequest._meta.verbose_name),
                    action=_("批准") if approved else _("驳回"),
                    changes=(
                        FieldChange(
                            label=str(row.get_field_display()), old=None, new=str(row.get_status_display())
                        ),
                    ),
                    note=row.decision_comment,
                )
            )
    return entries


_EVENT_ACTIONS = {
    "insert": gettext_lazy("新增"),
    "update": gettext_lazy("修改"),
    "delete": gettext_lazy("删除"),
}


def _event_entry(event: Events, names: dict[tuple[type[models.Model], Any], str]) -> AuditEntry:
    model = apps.get_model(event.pgh_obj_model)
    fields = _fields_by_column(model)
    context = event.pgh_context or {}
    user_id = context.get("user")
    who = names.get((Staff, user_id)) if user_id is not None else None
    changes: list[FieldChange] = []
    if event.pgh_label == "update":
        for column, (old, new) in sorted(
            (event.pgh_diff or {}).items(), key=lambda kv: _order(fields, kv[0])
        ):
            if column in _HIDDEN_COLUMNS:
                continue
            changes.append(
                FieldChange(
                    label=_label(fields, column),
                    old=_display(fields, column, old, names),
                    new=_display(fields, column, new, names),
                )
            )
    else:
        for column, value in sorted((event.pgh_data or {}).items(), key=lambda kv: _order(fields, kv[0])):
            if column in _HIDDEN_COLUMNS or value in (None, ""):
                continue
            changes.append(
                FieldChange(
                    label=_label(fields, column), old=None, new=_display(fields, column, value, names)
                )
            )
    action = _EVENT_ACTIONS.get(event.pgh_label)
    return AuditEntry(
        at=event.pgh_created_at,
        who=who or _("系统"),
        subject=str(model._meta.verbose_name),
        action=str(action) if action else event.pgh_label,
        changes=tuple(changes),
        url=str(context.get("url") or ""),
    )


def _fields_by_column(model: type[models.Model]) -> dict[str, models.Field[Any, Any]]:
    return {field.column: field for field in model._meta.concrete_fields if field.column}


def _order(fields: dict[str, models.Field[Any, Any]], column: str) -> int:
    """Fields in the order the model declares them, unknown columns last."""
    order = list(fields)
    return order.index(column) if column in order else len(order)


def _label(fields: dict[str, models.Field[Any, Any]], column: str) -> str:
    field = fields.get(column)
    return str(field.verbose_name) if field is not None else column


def _display(
    fields: dict[str, models.Field[Any, Any]],
    column: str,
    value: Any,
    names: dict[tuple[type[models.Model], Any], str],
) -> str:
    """One value as a person reads it: names for ids, labels for choices, masked numbers, yuan, months."""
    if value is None or value == "":
        return "—"
    if column in _ID_COLUMNS:
        return mask_resident_id(str(value))
    if column in _ACCOUNT_COLUMNS:
        return mask_account_number(str(value))
    field = fields.get(column)
    if field is None:
        return str(value)
    if field.is_relation and field.related_model is not None:
        return names.get((field.related_model, value), f"#{value}")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, PensionMonthField):
        return str(PensionMonth.from_number(int(value)))
    if isinstance(field, models.DecimalField):
        # JSON hands numbers over as float; str() gives back the digits the database had, two decimals.
        return f"¥{Decimal(str(value)):,.2f}"
    if isinstance(field, models.BooleanField):
        return _("是") if value else _("否")
    return str(value)


def _names_for(events: Sequence[Events]) -> dict[tuple[type[models.Model], Any], str]:
    """Names for the acting users and the units, employers, banks and staff the events' values point at."""
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    for event in events:
        user_id = (event.pgh_context or {}).get("user")
        if user_id is not None:
            wanted[Staff].add(user_id)
        fields = _fields_by_column(apps.get_model(event.pgh_obj_model))
        values: list[Any] = list((event.pgh_data or {}).items())
        values += [(column, v) for column, pair in (event.pgh_diff or {}).items() for v in pair]
        for column, value in values:
            field = fields.get(column)
            if value is not None and field is not None and field.related_model in _NAMED_MODELS:
                wanted[field.related_model].add(value)
    names: dict[tuple[type[models.Model], Any], str] = {}
    for model, ids in wanted.items():
        for pk, obj in model._default_manager.in_bulk(list(ids)).items():
            names[(model, pk)] = str(obj)
    return names
