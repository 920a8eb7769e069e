"""The deaths' kind of approval for the inbox (registry.approvals): death registrations waiting for a
reviewer who did not record them (docs/deaths.md)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registry import access
from registry.access import Action
from registry.approvals import ApprovalItem, ApprovalKind, register

from .selectors.deaths import registrations_awaiting

KEY = "death_registration"


def _items(user: Any, limit: int) -> list[ApprovalItem]:
    label = gettext("死亡登记")
    return [
        ApprovalItem(
            kind=KEY,
            kind_label=label,
            title=gettext("%(name)s · 死亡日期 %(date)s · %(source)s")
            % {
                "name": registration.retiree.name,
                "date": registration.died_on.isoformat(),
                "source": registration.get_source_display(),
            },
            # A pending registration always has its recording time (deathregistration_recorded_has_recorder).
            since=registration.recorded_at or registration.reported_at or registration.retiree.created_at,
            prepared_by=registration.recorded_by.display_name if registration.recorded_by else "",
            url=reverse("death-detail", args=[registration.pk]),
        )
        for registration in registrations_awaiting(user=user)[:limit]
    ]


def register_kinds() -> None:
    register(
        ApprovalKind(
            key=KEY,
            label=_("死亡登记"),
            may_approve=lambda user: access.can(user, Action.APPROVE_CHANGES),
            count=lambda user: registrations_awaiting(user=user).count(),
            items=_items,
            list_url=lambda: reverse("death-list") + "?status=pending",
            order=25,
        )
    )
