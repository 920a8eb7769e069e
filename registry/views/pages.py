"""Browser pages of the registry: sign-in and the home page per role (the retiree list is in lists.py, the
record page in records.py).

Views parse the request, ask registry.access and registry.selectors, and render. Nothing here decides scope.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import access, approvals, selectors
from ..access import Action
from ..forms import LoginForm
from ..models import Retiree, Staff
from .common import StaffRequest

# The oldest items waiting for approval on the home card; the inbox page has the rest.
HOME_APPROVAL_ITEMS = 5


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["county_name"] = selectors.county_name()
        return context


@login_required
@require_GET
def home(request: StaffRequest) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {"Role": Staff.Role}
    if access.can(user, Action.VIEW_REGISTRY):
        counts = selectors.status_counts(user=user)
        context.update(
            status_counts=[(status, label, counts[status]) for status, label in Retiree.Status.choices],
            total=sum(counts.values()),
            township_rows=selectors.township_counts(user=user),
            chart_data={
                "labels": [str(label) for label in Retiree.Status.labels],
                "counts": [counts[status] for status in Retiree.Status.values],
            },
        )
        if user.role == Staff.Role.TOWNSHIP_STAFF:
            context["community_rows"] = selectors.community_counts(user=user)
    if approvals.may_use_inbox(user):
        # The same source as the inbox page and the menu badge.
        context["approval_items"] = approvals.waiting_items(user, limit=HOME_APPROVAL_ITEMS)
        context["approval_total"] = approvals.waiting_count(user)
    return render(request, "registry/home.html", context)
