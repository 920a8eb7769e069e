"""The approvals inbox page (待我审批): what waits for the signed-in staff member's approval, from every app
that registers a kind (registry.approvals)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import approvals
from .common import StaffRequest

# Per kind; the rest is one click away on the kind's own list.
INBOX_ITEMS_PER_KIND = 50


@require_GET
@login_required
def approval_inbox(request: StaffRequest) -> HttpResponse:
    """403 for a role that approves nothing (clerks, township staff, auditors)."""
    if not approvals.may_use_inbox(request.user):
        raise PermissionDenied("approvals")
    sections = approvals.inbox(request.user, limit=INBOX_ITEMS_PER_KIND)
    context = {"sections": sections, "total": sum(section.count for section in sections)}
    return render(request, "registry/approvals/inbox.html", context)
