"""The one door for a retiree's life events (docs/deaths.md "The life-event door"): a death, a termination
(e.g. the benefit ended by a ruling), a transfer out to another bureau (转出) and the correction of a wrong
death. Each goes through retiree_change_status, which locks the row, checks the move and records who, when
and why.

What a life event means for money belongs to the apps that keep it (pensions makes its draft plans again,
benefits settles a death). The registry imports none of them: an app that must hear of a life event registers
a listener from its AppConfig.ready(); listeners run inside the caller's transaction and queue their work on
commit.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import StatusChangeError
from ..models import Retiree, Staff, StatusChange
from .retirees import retiree_change_status

Status = Retiree.Status
_COUNTERPART_MAX = 100  # StatusChange.counterpart's max_length


@dataclass(frozen=True)
class LifeEvent:
    """What happened: the retiree (as it is now) and the status change that recorded it."""

    retiree: Retiree
    change: StatusChange


LifeEventListener = Callable[[LifeEvent], None]
_LISTENERS: dict[str, LifeEventListener] = {}


def register_life_event_listener(key: str, listener: LifeEventListener) -> None:
    """Called with every life event, inside the transaction that records it. Registering a key again
    replaces it (a reloaded app)."""
    _LISTENERS[key] = listener


def _announce(retiree: Retiree, change: StatusChange) -> StatusChange:
    event = LifeEvent(retiree=retiree, change=change)
    for listener in _LISTENERS.values():
        listener(event)
    return change


def death_date_check(*, retiree: Retiree, died_on: datetime.date | None) -> datetime.date:
    """Refuse a missing date of death, one in the future (by the bureau's local date) or one before the
    person retired. Returns the date."""
    if died_on is None:
        raise StatusChangeError(_("请填写死亡日期。"), field="died_on")
    if died_on > timezone.localdate():
        raise StatusChangeError(_("死亡日期不能晚于今天。"), field="died_on")
    if died_on < retiree.retirement_date:
        raise StatusChangeError(
            _("死亡日期不能早于退休时间(%(date)s)。") % {"date": retiree.retirement_date.isoformat()},
            field="died_on",
        )
    return died_on


def _effective_date_check(effective_date: datetime.date | None) -> datetime.date:
    if effective_date is None:
        raise StatusChangeError(_("请填写生效日期。"), field="effective_date")
    return effective_date


@transaction.atomic
def retiree_record_death(*, retiree: Retiree, died_on: datetime.date, reason: str, by: Staff) -> StatusChange:
    """Active or suspended → deceased, with the date of death (benefits calls this when a reviewer confirms
    a death registration)."""
    death_date_check(retiree=retiree, died_on=died_on)
    change = retiree_change_status(
        retiree=retiree, to_status=Status.DECEASED, effective_date=died_on, reason=reason, by=by
    )
    return _announce(retiree, change)


@transaction.atomic
def retiree_terminate(
    *, retiree: Retiree, effective_date: datetime.date, reason: str, by: Staff
) -> StatusChange:
    """Active or suspended → terminated (终止), e.g. the benefit ended by a ruling. Plans no longer pay
    them."""
    change = retiree_change_status(
        retiree=retiree,
        to_status=Status.TERMINATED,
        effective_date=_effective_date_check(effective_date),
        reason=reason,
        by=by,
    )
    return _announce(retiree, change)


@transaction.atomic
def retiree_transfer_out(
    *, retiree: Retiree, effective_date: datetime.date, counterpart: str, reason: str, by: Staff
) -> StatusChange:
    """Active or suspended → terminated as a transfer out (转出): the receiving bureau is recorded on the
    status change and is required."""
    if not counterpart.strip():
        raise StatusChangeError(_("请填写转入地经办机构。"), field="counterpart")
    if len(counterpart.strip()) > _COUNTERPART_MAX:
        raise StatusChangeError(_("转入地经办机构名称过长(最多100字)。"), field="counterpart")
    change = retiree_change_status(
        retiree=retiree,
        to_status=Status.TERMINATED,
        effective_date=_effective_date_check(effective_date),
        reason=reason,
        by=by,
        counterpart=counterpart,
    )
    return _announce(retiree, change)


@transaction.atomic
def retiree_death_correct(*, retiree: Retiree, reason: str, by: Staff) -> StatusChange:
    """Deceased → active, the date of death cleared: the person is alive (a wrong death). The only move back
    from deceased; benefits calls it when a reviewer corrects a death registration."""
    change = retiree_change_status(
        retiree=retiree,
        to_status=Status.ACTIVE,
        effective_date=timezone.localdate(),
        reason=reason,
        by=by,
        correction=True,
    )
    return _announce(retiree, change)
