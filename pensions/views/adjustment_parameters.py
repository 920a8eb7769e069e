"""The annual adjustment's hub and the year's parameters (年度调待参数): the list of years with their
parameters and status, the admin's form to enter or correct a year's parameters with the history of its
versions, "copy last year's", and the printable parameter sheet. Views parse, call
pensions.services.adjustments and render; a refusal renders the page again (400) with the message, nothing
written. Everyone who may view the adjustment pages reads them; only MANAGE_SETTINGS writes (the services
check it again).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from registry import access
from registry.access import Action
from registry.errors import DomainError
from registry.views.common import StaffRequest

from ..downloads import inline_pdf_response
from ..forms_adjustments import (
    AdjustmentParametersForm,
    ParametersCopyForm,
    new_year_initial,
    parameters_initial,
)
from ..pdfs.adjustment_parameters import parameters_sheet_filename, parameters_sheet_pdf
from ..selectors.adjustment_parameters import components_of, versions_of, year_rows, year_status
from ..selectors.adjustments import may_view_adjustments, parameters_in_force, year_is_applied
from ..services.adjustments import adjustment_parameters_copy, adjustment_parameters_set

View = Callable[..., HttpResponse]


def adjustment_viewer(view: View) -> View:
    """Signed in and one of the roles that see the adjustment pages (may_view_adjustments), else 403."""

    @wraps(view)
    def wrapped(request: StaffRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_view_adjustments(request.user):
            raise PermissionDenied("annual adjustment")
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def _year_or_404(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise Http404
    return year


# The hub ----------------------------------------------------------------------------------------------------


def _list_page(request: StaffRequest, *, error: str = "") -> HttpResponse:
    rows = year_rows()
    newest = rows[0].year if rows else None
    context = {
        "rows": rows,
        "may_manage": access.can(request.user, Action.MANAGE_SETTINGS),
        "copy_from": newest,
        "copy_to": newest + 1 if newest is not None else None,
        "copy_blocked": newest is not None and parameters_in_force(newest + 1) is not None,
        "new_year": newest + 1 if newest is not None else timezone.localdate().year,
        "error": error,
    }
    return render(request, "pensions/adjustments/list.html", context, status=400 if error else 200)


@adjustment_viewer
@require_GET
def adjustment_list(request: StaffRequest) -> HttpResponse:
    return _list_page(request)


@adjustment_viewer
@require_POST
def adjustment_parameters_copy_view(request: StaffRequest) -> HttpResponse:
    """复制上年参数: the newest year's parameters as the next year's first version. The dialog named the
    year; were another year entered since, the copy is refused rather than made to a year nobody saw."""
    access.require(request.user, Action.MANAGE_SETTINGS)
    rows = year_rows()
    if not rows:
        return _list_page(request, error=_("还没有任何年度的调待参数,无法复制,请先录入。"))
    newest = rows[0].year
    form = ParametersCopyForm(request.POST)
    if not form.is_valid() or form.cleaned_data["to_year"] != newest + 1:
        return _list_page(request, error=_("年度已有变化,请核对后重新复制。"))
    try:
        copied = adjustment_parameters_copy(from_year=newest, to_year=newest + 1, by=request.user)
    except DomainError as refused:
        return _list_page(request, error=refused.message)
    messages.success(
        request,
        _("已将 %(from)d 年的参数复制为 %(to)d 年的参数,请按今年的通知核对修改。")
        % {"from": newest, "to": copied.year},
    )
    return redirect("adjustment-parameters", year=copied.year)


# The year's parameters -------------------------------------------------------------------------------------


def _parameters_page(
    request: StaffRequest,
    year: int,
    *,
    form: AdjustmentParametersForm | None = None,
    error: str = "",
    refused_field: str = "",
) -> HttpResponse:
    in_force = parameters_in_force(year)
    applied = year_is_applied(year)
    may_edit = access.can(request.user, Action.MANAGE_SETTINGS) and not applied
    if form is None and may_edit:
        initial = parameters_initial(in_force) if in_force is not None else new_year_initial(year)
        form = AdjustmentParametersForm(initial=initial)
    context = {
        "year": year,
        "parameters": in_force,
        "components": components_of(in_force) if in_force is not None else [],
        "versions": versions_of(year),
        "status": year_status(year),
        "applied": applied,
        "may_manage": access.can(request.user, Action.MANAGE_SETTINGS),
        "may_edit": may_edit,
        "form": form,
        "error": error,
        "refused_field": refused_field,
    }
    return render(request, "pensions/adjustments/parameters_form.html", context, status=400 if error else 200)


@adjustment_viewer
@require_http_methods(["GET", "POST"])
def adjustment_parameters(request: StaffRequest, year: int) -> HttpResponse:
    year = _year_or_404(year)
    if request.method != "POST":
        return _parameters_page(request, year)
    access.require(request.user, Action.MANAGE_SETTINGS)
    form = AdjustmentParametersForm(request.POST)
    if not form.is_valid():
        return _parameters_page(request, year, form=form, error=_("请检查填写的内容。"))
    try:
        saved = adjustment_parameters_set(
            year=year, values=form.values(), note=form.cleaned_data["note"], by=request.user
        )
    except DomainError as refused:
        if refused.field in form.fields:
            form.add_error(refused.field, refused.message)
        return _parameters_page(
            request, year, form=form, error=refused.message, refused_field=refused.field or ""
        )
    messages.success(request, _("已保存 %(year)d 年度调待参数。") % {"year": saved.year})
    return redirect("adjustment-parameters", year=year)


@adjustment_viewer
@require_GET
def adjustment_parameters_pdf(request: StaffRequest, year: int) -> HttpResponse:
    """年度养老金调整参数表: the parameters in force, printed to file with the announcement."""
    parameters = parameters_in_force(_year_or_404(year))
    if parameters is None:
        raise Http404
    return inline_pdf_response(parameters_sheet_pdf(parameters), parameters_sheet_filename(parameters))
