"""The registry's kind of approval for the inbox (registry.approvals): information change requests."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import access
from .access import Action
from .approvals import ApprovalItem, ApprovalKind, register
from .selectors.changes import change_requests_awaiting

KEY = "change_request"


def _items(user: Any, limit: int) -> list[ApprovalItem]:
    requests = change_requests_awaiting(user=user).select_related("retiree", "requested_by")[:limit]
    label = gettext("信息变更")
    return [
        ApprovalItem(
            kind=KEY,
            kind_label=label,
            title=gettext("%(name)s · %(field)s变更")
            % {"name": request.retiree.name, "field": request.get_field_display()},
            since=request.requested_at,
            prepared_by=request.requested_by.display_name,
            url=reverse("change-request-detail", args=[request.pk]),
        )
        for request in requests
    ]


def register_kinds() -> None:
    register(
        ApprovalKind(
            key=KEY,
            label=_("信息变更"),
            may_approve=lambda user: access.can(user, Action.APPROVE_CHANGES),
            count=lambda user: change_requests_awaiting(user=user).count(),
            items=_items,
            list_url=lambda: reverse("change-request-list") + "?status=pending",
            order=20,
        )
    )
