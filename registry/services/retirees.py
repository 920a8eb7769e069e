from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from ..errors import StatusChangeError
from ..models import Retiree, Staff, StatusChange

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
