"""The claim parameters page (丧葬抚恤参数, /deaths/parameters/): the admin's. Per year the funeral allowance,
N, the computed and published county average, an edit dialog per value and the history of each. Views parse,
call benefits.services.parameters and render; a refusal renders the page again (400) with the dialog open."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from registry.access import Action
from registry.errors import DomainError
from registry.formats import yuan
from registry.views.common import StaffRequest, requires

from ..forms_parameters import AverageClearForm, ParameterSetForm
from ..models import BenefitParameter
from ..selectors.parameter_table import parameter_years
from ..services import benefit_average_clear, benefit_parameter_set

Kind = BenefitParameter.Kind


@dataclass(frozen=True)
class Dialog:
    """One edit dialog of the page: its element id, the form (bound after a refusal, so it opens again with
    the error and what was typed) and the value in force."""

    key: str
    kind: str
    year: int
    title: str
    form: ParameterSetForm | AverageClearForm
    current: Decimal | None
    is_bound: bool


def _set_dialog(kind: str, year: int, row: BenefitParameter | None, bound: Any, bound_key: str) -> Dialog:
    key = f"{kind}-{year}"
    current = row.value if row is not None else None
    if key == bound_key and isinstance(bound, ParameterSetForm):
        form = bound
    else:
        form = ParameterSetForm(initial={"kind": kind, "year": year, "value": current, "note": ""})
    title = _("%(year)d 年%(kind)s") % {"year": year, "kind": Kind(kind).label}
    return Dialog(key, kind, year, title, form, current, form.is_bound)


def _rows(bound: Any, bound_key: str) -> list[dict[str, Any]]:
    rows = []
    for params in parameter_years():
        year = params.year
        clear_key = f"clear-{year}"
        clear_form = (
            bound
            if clear_key == bound_key and isinstance(bound, AverageClearForm)
            else AverageClearForm(initial={"year": year})
        )
        rows.append(
            {
                "params": params,
                "funeral": _set_dialog(
                    Kind.FUNERAL_ALLOWANCE, year, params.funeral_allowance, bound, bound_key
                ),
                "months": _set_dialog(
                    Kind.COMPENSATION_MONTHS, year, params.compensation_months, bound, bound_key
                ),
                "published": _set_dialog(
                    Kind.PUBLISHED_AVERAGE, year, params.published_average, bound, bound_key
                ),
                "clear": Dialog(
                    clear_key,
                    Kind.PUBLISHED_AVERAGE,
                    year,
                    _("清除 %(year)d 年公布的月人均养老金") % {"year": year},
                    clear_form,
                    params.average_published,
                    clear_form.is_bound,
                ),
            }
        )
    return rows


def _page(
    request: StaffRequest,
    *,
    bound: ParameterSetForm | AverageClearForm | None = None,
    bound_key: str = "",
    error: str = "",
) -> HttpResponse:
    rows = _rows(bound, bound_key)
    # Newest year first, within a year the newest setting first.
    history = [entry for row in rows for entry in row["params"].history]
    return render(
        request,
        "benefits/parameters.html",
        {"rows": rows, "history": history, "kinds": Kind, "error": error},
        status=400 if bound is not None else 200,
    )


def _shown(kind: str, value: Any) -> str:
    return str(int(value)) if kind == Kind.COMPENSATION_MONTHS else yuan(value)


@requires(Action.MANAGE_SETTINGS)
@require_GET
def parameter_list(request: StaffRequest) -> HttpResponse:
    return _page(request)


@requires(Action.MANAGE_SETTINGS)
@require_POST
def parameter_set(request: StaffRequest) -> HttpResponse:
    form = ParameterSetForm(request.POST)
    key = f"{request.POST.get('kind', '')}-{request.POST.get('year', '')}"
    if not form.is_valid():
        return _page(request, bound=form, bound_key=key, error=_("请检查填写的内容。"))
    data = form.cleaned_data
    try:
        row = benefit_parameter_set(
            kind=data["kind"], year=data["year"], value=data["value"], note=data["note"], by=request.user
        )
    except DomainError as refused:
        if refused.field in form.fields:
            form.add_error(refused.field, refused.message)
        return _page(request, bound=form, bound_key=key, error=refused.message)
    messages.success(
        request,
        _("已将 %(year)d 年的%(kind)s设为 %(value)s。")
        % {"year": row.year, "kind": row.get_kind_display(), "value": _shown(row.kind, row.value)},
    )
    return redirect("benefit-parameters")


@requires(Action.MANAGE_SETTINGS)
@require_POST
def average_clear(request: StaffRequest) -> HttpResponse:
    form = AverageClearForm(request.POST)
    key = f"clear-{request.POST.get('year', '')}"
    if not form.is_valid():
        return _page(request, bound=form, bound_key=key, error=_("请检查填写的内容。"))
    try:
        row = benefit_average_clear(
            year=form.cleaned_data["year"], note=form.cleaned_data["note"], by=request.user
        )
    except DomainError as refused:
        if refused.field in form.fields:
            form.add_error(refused.field, refused.message)
        return _page(request, bound=form, bound_key=key, error=refused.message)
    messages.success(
        request,
        _("已清除 %(year)d 年公布的月人均养老金,%(next)d 年死亡的待遇改按系统计算的数值。")
        % {"year": row.year, "next": row.year + 1},
    )
    return redirect("benefit-parameters")
