"""Showing a full ID or account number: every showing is recorded (lists and pages show them masked)."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import access
from ..access import Action
from ..errors import SensitiveViewError
from ..models import Retiree, SensitiveView, Staff
from ..sql import column, table


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
