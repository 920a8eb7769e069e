"""Showing a full ID or account number: every showing is recorded (lists and pages show them masked).

Exports follow one rule (docs/personal-data.md): a file is masked unless a role with VIEW_SENSITIVE states a
purpose; `sensitive_export_numbers` is the one answer to "full or masked?" for pages and the API alike, and
`sensitive_export_record` records each file that went out with full numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import access
from ..access import Action
from ..errors import SensitiveExportError, SensitiveViewError
from ..models import Retiree, SensitiveExport, SensitiveView, Staff
from ..sql import column, table

PURPOSE_NOTE_MAX = 200


@transaction.atomic
def sensitive_view_record(*, retiree: Retiree, field: str, by: Staff) -> str:
    """The full value of `field` (the retiree's ID number, or the number of their current account), after
    recording that `by` was shown it. 404 outside `by`'s scope, 403 for a role that may not see full numbers;
    both are checked here too, so no caller can record or leak a number by skipping its own checks."""
    # Scope first: a record outside the user's scope must look the same whatever the role (404, not 403).
    access.get_visible_retiree_or_404(by, retiree.pk)
    access.require(by, Action.VIEW_SENSITIVE)
    if field == SensitiveView.Field.ID_NUMBER:
        value = retiree.id_number
    elif field == SensitiveView.Field.ACCOUNT_NUMBER:
        account = retiree.bank_accounts.filter(is_current=True).only("account_number").first()
        if account is None:
            raise SensitiveViewError(_("尚未登记发放账户,没有可显示的账号。"), field="field")
        value = account.account_number
    else:
        raise SensitiveViewError(
            _("只能查看完整的身份证号码或银行账号,没有“%(field)s”这一项。") % {"field": field}, field="field"
        )
    SensitiveView.objects.create(staff=by, retiree=retiree, field=field)
    return value


_VIEW_COLUMNS = ", ".join(column(SensitiveView, name) for name in ("staff", "retiree", "field", "viewed_at"))
# Names from the models, every value a parameter; {shown} is the caller's compiled queryset.
_RECORD_MANY = f"INSERT INTO {table(SensitiveView)} ({_VIEW_COLUMNS}) SELECT %s, shown.retiree_id, %s, %s FROM ({{shown}}) AS shown (retiree_id)"  # noqa: S608, E501


@transaction.atomic
def sensitive_views_record_many(*, retiree_ids: QuerySet[Any], field: str, by: Staff) -> int:
    """Record that `by` took `field` of many people out of the system at once (an upload file, a PDF of
    forms): one SensitiveView per id that `retiree_ids` yields (a one-column values_list, e.g. a batch's
    members already narrowed to `by`'s scope), in one INSERT … SELECT. Returns how many were recorded."""
    access.require(by, Action.VIEW_SENSITIVE)
    if field not in SensitiveView.Field.values:
        raise SensitiveViewError(
            _("只能查看完整的身份证号码或银行账号,没有“%(field)s”这一项。") % {"field": field}, field="field"
        )
    shown, params = retiree_ids.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_RECORD_MANY.format(shown=shown), [by.pk, field, timezone.now(), *params])
        return int(cursor.rowcount)


@dataclass(frozen=True)
class ExportNumbers:
    """Whether one export carries full numbers, and the purpose it was asked for. Built only by
    sensitive_export_numbers (or, for the files that cannot do without full numbers, by their own service with
    their fixed purpose)."""

    full: bool
    purpose: str = ""
    purpose_note: str = ""


MASKED = ExportNumbers(full=False)


def sensitive_export_numbers(
    *, user: Any, purpose: str | None, purpose_note: str | None = ""
) -> ExportNumbers:
    """Full or masked? Masked when no purpose is given. A purpose from a role without VIEW_SENSITIVE is
    403 (PermissionDenied), never a quietly masked file; an unknown purpose, or "other" without saying
    what for, is a SensitiveExportError (400)."""
    purpose = (purpose or "").strip()
    if not purpose:
        return MASKED
    access.require(user, Action.VIEW_SENSITIVE)
    if purpose not in SensitiveExport.Purpose.values:
        raise SensitiveExportError(_("请选择导出完整号码的用途。"), field="purpose")
    note = (purpose_note or "").strip()
    if purpose == SensitiveExport.Purpose.OTHER and not note:
        raise SensitiveExportError(_("用途选择“其他”时,请说明导出完整号码做什么用。"), field="purpose_note")
    if len(note) > PURPOSE_NOTE_MAX:
        raise SensitiveExportError(
            _("用途说明不能超过 %(max)d 个字。") % {"max": PURPOSE_NOTE_MAX}, field="purpose_note"
        )
    return ExportNumbers(full=True, purpose=purpose, purpose_note=note)


@transaction.atomic
def sensitive_export_record(
    *,
    by: Staff,
    numbers: ExportNumbers,
    export: str,
    label: str,
    person_count: int,
    detail: dict[str, Any] | None = None,
) -> SensitiveExport | None:
    """Record that `by` took a file with full numbers of `person_count` people out of the system; nothing
    for a masked file. Call it before handing the file over, inside the request that makes it, so no full
    file leaves without its row. `detail` holds what the file was narrowed by (filters, plan, batch)."""
    if not numbers.full:
        return None
    access.require(by, Action.VIEW_SENSITIVE)
    if numbers.purpose not in SensitiveExport.Purpose.values:
        raise SensitiveExportError(_("请选择导出完整号码的用途。"), field="purpose")
    return SensitiveExport.objects.create(
        staff=by,
        exported_at=timezone.now(),
        export=export,
        label=label[:200],
        detail=_json_safe(detail or {}),
        person_count=person_count,
        purpose=numbers.purpose,
        purpose_note=numbers.purpose_note,
    )


def _json_safe(detail: dict[str, Any]) -> dict[str, Any]:
    """Filters as a person set them: empty ones dropped, dates, months and model rows as their text."""
    safe: dict[str, Any] = {}
    for key, value in detail.items():
        if value is None or value is False or value in ("", [], ()):
            continue
        safe[key] = value if isinstance(value, bool | int | float | str) else str(value)
    return safe
