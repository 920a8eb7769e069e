"""Certification imports (online results, data comparison, remote results, deaths) and the deaths review list.
Thin: parse, call certification.services, render; a refusal is shown as a message, nothing written."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from registry.access import Action
from registry.errors import DomainError
from registry.jobs import INTERRUPTED_MESSAGE
from registry.selectors.exports import XLSX_CONTENT_TYPE
from registry.views.common import StaffRequest, requires

from ..importfiles import COLUMNS, TEMPLATE_NAMES, template_workbook
from ..models import CertificationImport, DeathMatch
from ..selectors.imports import (
    death_matches_visible_to,
    get_visible_death_match_or_404,
    get_visible_import_or_404,
    imports_visible_to,
)
from ..services.imports import (
    OUTCOME_LABELS,
    certification_import_cancel,
    certification_import_check,
    certification_import_queue,
    certification_import_restart,
    death_match_decide,
    import_job_state,
    outcomes_for,
)

HISTORY_SIZE = 50
PAGE_SIZE = 50
Kind = CertificationImport.Kind


# County clerks and the admin: both EDIT_REGISTRY and CERTIFY (a township officer gets 403).
importer = requires(Action.EDIT_REGISTRY, Action.CERTIFY)


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("导入类型"), choices=Kind.choices)
    year = forms.IntegerField(label=gettext_lazy("认证年度"), min_value=2000, max_value=2100)
    source = forms.CharField(
        label=gettext_lazy("数据来源"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("例如:医保结算记录、民政火化名单、人社部异地认证结果"),
    )
    file = forms.FileField(
        label=gettext_lazy("导入文件"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
        error_messages={"required": gettext_lazy("请选择要导入的 .xlsx 或 .csv 文件。")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, bound in self.fields.items():
            bound.widget.attrs.setdefault("class", "form-select" if name == "kind" else "form-control")


@importer
def import_list(request: StaffRequest) -> HttpResponse:
    # A link may choose the kind and year (the remote batch page links here for its result file).
    kind = request.GET.get("kind", "")
    year = request.GET.get("year", "")
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        initial={
            "year": int(year) if year.isdigit() else timezone.localdate().year,
            "kind": kind if kind in Kind.values else Kind.DATA_COMPARISON,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            checked = certification_import_check(
                file=data["file"],
                kind=data["kind"],
                year=data["year"],
                source=data["source"],
                by=request.user,
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("文件已核对,请查看结果后确认。确认前不会写入任何数据。"))
            return redirect("certification-import-detail", pk=checked.pk)
    context = {
        "form": form,
        "imports": imports_visible_to(request.user)[:HISTORY_SIZE],
        "kinds": [(kind, label, COLUMNS[kind]) for kind, label in Kind.choices],
    }
    return render(request, "certification/imports/list.html", context, status=400 if form.errors else 200)


def _counts(certification_import: CertificationImport) -> list[dict[str, Any]]:
    counts = certification_import.summary.get("counts", {})
    return [
        {"key": key, "label": _(OUTCOME_LABELS[key]), "count": counts.get(key, 0)}
        for key in outcomes_for(certification_import.kind)
    ]


@importer
@require_GET
def import_detail(request: StaffRequest, pk: int) -> HttpResponse:
    certification_import = get_visible_import_or_404(request.user, pk)
    job_state, job_error = import_job_state(certification_import)
    if request.htmx and request.GET.get("job"):
        # The polling partial: while the job runs, the bar again; then the whole page, with the result.
        if job_state in ("running", "checking"):
            context = {"item": certification_import, "job_state": job_state}
            return render(request, "certification/imports/_job.html", context)
        response = HttpResponse()
        response["HX-Refresh"] = "true"
        return response
    summary = certification_import.summary
    problems = Paginator(summary.get("problems", []), PAGE_SIZE).get_page(request.GET.get("page"))
    matches = Paginator(summary.get("matches", []), PAGE_SIZE).get_page(request.GET.get("matches_page"))
    counts = _counts(certification_import)
    by_key = {row["key"]: row["count"] for row in counts}
    context = {
        "item": certification_import,
        "Status": CertificationImport.Status,
        "deaths": certification_import.kind == Kind.DEATHS,
        "job_state": job_state,
        "job_error": job_error,
        "interrupted_message": INTERRUPTED_MESSAGE,
        "counts": counts,
        "will_certify": by_key.get("certify", 0) + by_key.get("suspended_other", 0),
        "will_restore": by_key.get("restore", 0),
        "will_list": by_key.get("death_match", 0),
        "problem_total": len(summary.get("problems", [])),
        "problems": problems,
        "restorations": summary.get("restorations", []),
        "matches": matches,
        "applied": summary.get("applied", {}),
    }
    template = "certification/imports/_problems.html" if request.htmx else "certification/imports/detail.html"
    return render(request, template, context)


@importer
@require_POST
def import_confirm(request: StaffRequest, pk: int) -> HttpResponse:
    certification_import = get_visible_import_or_404(request.user, pk)
    try:
        certification_import_queue(certification_import=certification_import, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.info(request, _("已确认,正在写入。写入完成前请勿关闭本页。"))
    return redirect("certification-import-detail", pk=certification_import.pk)


@importer
@require_POST
def import_restart(request: StaffRequest, pk: int) -> HttpResponse:
    certification_import = get_visible_import_or_404(request.user, pk)
    try:
        certification_import_restart(certification_import=certification_import, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已重新开始校验。"))
    return redirect("certification-import-detail", pk=certification_import.pk)


@importer
@require_POST
def import_cancel(request: StaffRequest, pk: int) -> HttpResponse:
    certification_import = get_visible_import_or_404(request.user, pk)
    try:
        certification_import_cancel(certification_import=certification_import, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已取消该批次,未写入任何数据。"))
    return redirect("certification-import-detail", pk=certification_import.pk)


@importer
@require_GET
def import_template(request: StaffRequest, kind: str) -> HttpResponse:
    if kind not in Kind.values:
        raise Http404
    response = HttpResponse(template_workbook(kind), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, TEMPLATE_NAMES[kind]) or ""
    return response


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", "confirm"), ("dismiss", "dismiss")])
    note = forms.CharField(max_length=200, required=False)


class DeathFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("核实结果"),
        required=False,
        choices=[("", gettext_lazy("全部")), *DeathMatch.Status.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )


@requires(Action.EDIT_REGISTRY)
@require_GET
def death_matches(request: StaffRequest) -> HttpResponse:
    filters = DeathFilterForm(request.GET or None)
    status = filters.cleaned_data.get("status") if filters.is_valid() else ""
    matches = death_matches_visible_to(request.user, status=status or None)
    page = Paginator(matches, PAGE_SIZE).get_page(request.GET.get("page"))
    _mark_registered(list(page))
    context = {
        "filters": filters,
        "page": page,
        "status": status or "",
        "pending": death_matches_visible_to(request.user, status=DeathMatch.Status.PENDING).count(),
    }
    return render(request, "certification/imports/deaths.html", context)


# A registration in progress or in force (benefits.DeathRegistration, by its reverse name: certification
# may not import benefits). A rejected or corrected one leaves the match free to be registered again.
_OPEN_REGISTRATION = ("reported", "pending", "confirmed")


def _mark_registered(matches: list[DeathMatch]) -> None:
    """Set `has_registration` on each match: the row offers "登记死亡" only to a pending or confirmed match
    whose retiree has no open death registration yet."""
    registered = set(
        DeathMatch.objects.filter(
            retiree__in=[match.retiree_id for match in matches],
            retiree__death_registrations__status__in=_OPEN_REGISTRATION,
        ).values_list("retiree_id", flat=True)
    )
    for match in matches:
        match.has_registration = match.retiree_id in registered  # type: ignore[attr-defined]


@requires(Action.EDIT_REGISTRY)
@require_POST
def death_match_decision(request: StaffRequest, pk: int) -> HttpResponse:
    match = get_visible_death_match_or_404(request.user, pk)
    form = DecisionForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _("请选择“确认死亡”或“排除”,核实说明不超过200个字。")
    else:
        try:
            death_match_decide(
                match=match,
                confirm=form.cleaned_data["decision"] == "confirm",
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except DomainError as exc:
            error = exc.message
    if request.htmx:
        # 200 with the message in the row: htmx does not swap a 4xx answer.
        row = get_visible_death_match_or_404(request.user, pk)
        _mark_registered([row])
        return render(
            request,
            "certification/imports/_death_row.html",
            {"match": row, "error": error, "note": request.POST.get("note", "") if error else ""},
        )
    if error:
        messages.error(request, error)
        return redirect("certification-death-matches")
    if form.cleaned_data["decision"] == "confirm":
        # A confirmed death goes on to its registration, prefilled from the match (benefits' page, by its
        # URL name: certification may not import benefits). The htmx row offers the same link instead.
        messages.success(request, _("已确认死亡,请登记死亡信息并交复核。"))
        return redirect("death-record-match", pk=match.pk)
    messages.success(request, _("已记录核实结果。"))
    return redirect("certification-death-matches")
