from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import StatusChangeError
from ..models import Retiree, Staff, StatusChange
from ..sql import column, table

Status = Retiree.Status

# Allowed moves. Deceased and terminated are final here; undoing one is a correction through an info change.
_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.ACTIVE: frozenset({Status.SUSPENDED, Status.DECEASED, Status.TERMINATED}),
    Status.SUSPENDED: frozenset({Status.ACTIVE, Status.DECEASED, Status.TERMINATED}),
    Status.DECEASED: frozenset(),
    Status.TERMINATED: frozenset(),
}


@transaction.atomic
def retiree_change_status(
    *,
    retiree: Retiree,
    to_status: str,
    effective_date: datetime.date,
    reason: str,
    by: Staff,
) -> StatusChange:
    """The one door through which a retiree's status changes, recording who, when and why."""
    if not reason.strip():
        raise StatusChangeError(_("请填写状态变更原因。"), field="reason")
    # Lock the row: a suspension job and an officer's certification must not both read "active".
    locked = Retiree.objects.select_for_update().get(pk=retiree.pk)
    if to_status not in _TRANSITIONS[locked.status]:
        raise StatusChangeError(
            _("不能从“%(from)s”变更为“%(to)s”。")
            % {"from": Status(locked.status).label, "to": Status(to_status).label},
            field="to_status",
        )
    change = StatusChange.objects.create(
        retiree=locked,
        from_status=locked.status,
        to_status=to_status,
        effective_date=effective_date,
        reason=reason.strip(),
        actor=by,
    )
    locked.status = to_status
    update_fields = ["status", "updated_at"]
    if to_status == Status.DECEASED:
        locked.died_on = effective_date
        update_fields.append("died_on")
    locked.save(update_fields=update_fields)
    retiree.status, retiree.died_on = locked.status, locked.died_on
    return change


# Names come from the models, once at import: a renamed table or column fails here, not in the August job.
_RETIREE = table(Retiree)
_CHANGE = table(StatusChange)
_CHANGE_FIELDS = (
    "retiree",
    "from_status",
    "to_status",
    "effective_date",
    "reason",
    "actor",
    "created_at",
    "counterpart",
)
_SUSPEND_MANY = f"""
WITH suspended AS (
    UPDATE {_RETIREE}
       SET {column(Retiree, "status")} = %s, {column(Retiree, "updated_at")} = %s
     WHERE {_RETIREE}.{column(Retiree, "status")} = %s AND ({{where}})
    RETURNING {_RETIREE}.{column(Retiree, "id")}
)
INSERT INTO {_CHANGE} ({", ".join(column(StatusChange, name) for name in _CHANGE_FIELDS)})
SELECT {column(Retiree, "id")}, %s, %s, %s, %s, %s, %s, '' FROM suspended
"""  # noqa: S608 - names from the models, every value a parameter


@transaction.atomic
def retirees_suspend_many(
    *, retirees: QuerySet[Retiree], effective_date: datetime.date, reason: str, by: Staff
) -> int:
    """Suspend every active retiree of `retirees` in one statement, with one status change each (who, when,
    why), as retiree_change_status would one by one. Returns how many were suspended.

    `retirees` is a filter of the retiree table alone (no joins; conditions on other apps' tables go in
    Exists subqueries), e.g. certification's "retired before January 1 and no certification for the year".
    Set-based: one UPDATE … WHERE NOT EXISTS joined to the INSERT of the status changes, so every suspended
    person has exactly one change row from the same snapshot; per-row saves would be about a hundred times
    slower on a million retirees (docs/technical-notes.md). The caller serialises it against whatever may
    change the condition meanwhile (certification holds an advisory lock)."""
    if not reason.strip():
        raise StatusChangeError(_("请填写状态变更原因。"), field="reason")
    query = retirees.query
    if retirees.model is not Retiree or len(query.alias_map) > 1:
        raise ValueError("retirees_suspend_many takes a filter of the retiree table alone")
    compiler = query.get_compiler(connection=connection)
    where, where_params = compiler.compile(query.where)
    now = timezone.now()
    with connection.cursor() as cursor:
        # The anti-join of a million retirees spills to disk with the stock 4 MB (docs/technical-notes.md).
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(
            _SUSPEND_MANY.format(where=where or "TRUE"),
            [
                Status.SUSPENDED,
                now,
                Status.ACTIVE,
                *where_params,
                Status.ACTIVE,
                Status.SUSPENDED,
                effective_date,
                reason.strip(),
                by.pk,
                now,
            ],
        )
        return int(cursor.rowcount)
