"""A retiree's record page: its tabs, showing a masked number in full (recorded), the lazily loaded audit tab.

Views parse the request, ask registry.access, selectors and services, and render. Nothing here decides scope.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from .. import access, selectors, services
from ..access import Action
from ..errors import DomainError
from ..models import ChangeRequest, Retiree, SensitiveView
from ..record_tabs import record_actions_for, record_tabs_for
from .common import StaffRequest, requires


@require_GET
@requires(Action.VIEW_REGISTRY)
def retiree_detail(request: StaffRequest, pk: int) -> HttpResponse:
    retiree = selectors.retiree_detail(user=request.user, pk=pk)
    change_requests = list(retiree.change_requests.all())
    context = {
        "retiree": retiree,
        "current_rate": selectors.current_rate(retiree),
        "current_account": selectors.current_bank_account(retiree),
        "current_agent": selectors.current_agent(retiree),
        "accounts": list(retiree.bank_accounts.all()),
        "agents": list(retiree.agents.all()),
        "rates": list(retiree.rates.all()),
        "status_changes": list(retiree.status_changes.all()),
        "change_requests": [
            (
                change,
                selectors.change_value_text(change.field, change.old_value),
                selectors.change_value_text(change.field, change.new_value),
            )
            for change in change_requests
        ],
        "pending_fields": {c.field for c in change_requests if c.status == ChangeRequest.Status.PENDING},
        "arrears": list(retiree.arrears.all()),
        "recoveries": list(retiree.recoveries.all()),
        "fee_receipts": list(retiree.fee_receipts.all()),
        "may_reveal": access.can(request.user, Action.VIEW_SENSITIVE),
        "may_request_changes": access.can(request.user, Action.EDIT_REGISTRY),
        "may_view_audit": selectors.may_view_audit(request.user),
        "may_print_certificate": bool(retiree.certificate_number)
        and services.may_print_certificate(request.user),
        "may_end_benefit": access.can(request.user, Action.EDIT_REGISTRY)
        and retiree.status in (Retiree.Status.ACTIVE, Retiree.Status.SUSPENDED),
        "app_tabs": record_tabs_for(request.user, retiree.pk),
        # A death is recorded or reported only while the person is paid or suspended.
        "life_event_links": record_actions_for(request.user, retiree.pk)
        if retiree.status in (Retiree.Status.ACTIVE, Retiree.Status.SUSPENDED)
        else [],
        "Status": Retiree.Status,
        "Residence": Retiree.Residence,
        "ChangeField": ChangeRequest.Field,
        "ChangeStatus": ChangeRequest.Status,
    }
    return render(request, "registry/retiree_detail.html", context)


@require_POST
@requires(Action.VIEW_REGISTRY)
def retiree_reveal(request: StaffRequest, pk: int, field: str) -> HttpResponse:
    """The full number in place of the masked one (an htmx swap). The service records the viewing and refuses
    a role without VIEW_SENSITIVE (403); a retiree outside the user's scope is 404 before anything else."""
    retiree = access.get_visible_retiree_or_404(request.user, pk)
    try:
        value = services.sensitive_view_record(retiree=retiree, field=field, by=request.user)
    except DomainError as error:
        # htmx swaps only 2xx answers: the message goes where the number would have been.
        status = 200 if request.htmx else 400
        return render(
            request, "registry/record/_reveal_error.html", {"message": error.message}, status=status
        )
    return render(
        request,
        "registry/record/_revealed.html",
        {"value": value, "field_label": SensitiveView.Field(field).label},
    )


@require_GET
@requires(Action.VIEW_REGISTRY)
def retiree_audit(request: StaffRequest, pk: int) -> HttpResponse:
    """A page of the audit tab: the first when the tab is opened, the next ones behind "更多"."""
    if not selectors.may_view_audit(request.user):
        raise PermissionDenied(Action.VIEW_AUDIT.value)
    retiree = access.get_visible_retiree_or_404(request.user, pk)
    cursor = request.GET.get("cursor", "")
    page = selectors.retiree_audit(retiree=retiree, cursor=cursor, page_size=settings.RETIREE_AUDIT_PAGE_SIZE)
    template = "registry/record/_audit_rows.html" if cursor else "registry/record/_audit.html"
    response = render(request, template, {"retiree": retiree, "page": page})
    patch_vary_headers(response, ["HX-Request"])
    return response
