"""Browser pages of the registry: sign-in, the home page per role, the retiree list and a retiree's record.

Views parse the request, ask registry.access and registry.selectors, and render. Nothing here decides scope.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from .. import access, selectors
from ..access import Action
from ..forms import LoginForm, RetireeFilterForm
from ..models import Retiree, Staff
from .common import StaffRequest, requires


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["county_name"] = selectors.county_name()
        return context


@login_required
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
    return render(request, "registry/home.html", context)


@requires(Action.VIEW_REGISTRY)
def retiree_list(request: StaffRequest) -> HttpResponse:
    townships = access.visible_townships(request.user).order_by("sort_order", "code")
    form = RetireeFilterForm(request.GET or None, townships=townships)
    retirees = selectors.with_list_columns(selectors.retiree_list(user=request.user, filters=form.filters()))
    page = Paginator(retirees, settings.RETIREE_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "show_township_filter": len(townships) > 1}
    # A history restore (back button after the cache is gone) needs the whole page, not the fragment.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "registry/_retiree_results.html" if partial else "registry/retiree_list.html"
    response = render(request, template, context)
    # The fragment and the page share a URL: keep browsers from serving one for the other.
    patch_vary_headers(response, ["HX-Request"])
    return response


@requires(Action.VIEW_REGISTRY)
def retiree_detail(request: StaffRequest, pk: int) -> HttpResponse:
    retiree = selectors.retiree_detail(user=request.user, pk=pk)
    context = {
        "retiree": retiree,
        "current_rate": selectors.current_rate(retiree),
        "current_account": selectors.current_bank_account(retiree),
        "accounts": list(retiree.bank_accounts.all()),
        "agents": list(retiree.agents.all()),
        "rates": list(retiree.rates.all()),
        "status_changes": list(retiree.status_changes.all()),
        "Status": Retiree.Status,
        "Residence": Retiree.Residence,
    }
    return render(request, "registry/retiree_detail.html", context)
