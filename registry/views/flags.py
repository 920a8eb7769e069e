"""County flags (人员标记, docs/flags.md): the list of kinds, the record page's tab, the import.

Views parse the request, ask registry.access, selectors and services, and render; a refusal (FlagError) is
shown as its Chinese message.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import access
from ..access import Action
from ..errors import FlagError
from ..forms_flags import FlagAddForm, FlagImportConfirmForm, FlagImportForm, FlagKindForm, FlagRemoveForm
from ..selectors import flags as selectors
from ..services import flags as services
from .common import StaffRequest, requires

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_http_methods(["GET", "POST"])
@requires(Action.VIEW_REGISTRY)
def flag_kind_list(request: StaffRequest) -> HttpResponse:
    """Everyone who sees the registry sees the kinds and how many people (in scope) carry each; the admin adds
    one here."""
    may_manage = access.can(request.user, Action.MANAGE_SETTINGS)
    form = FlagKindForm()
    if request.method == "POST":
        access.require(request.user, Action.MANAGE_SETTINGS)
        form = FlagKindForm(request.POST)
        if form.is_valid():
            try:
                kind = services.flag_kind_create(
                    code=form.cleaned_data["code"],
                    name=form.cleaned_data["name"],
                    sort_order=form.cleaned_data["sort_order"],
                    by=request.user,
                )
            except FlagError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("已新增标记“%(name)s”。") % {"name": kind.name})
                return redirect("flag-kind-list")
    context = {
        "kinds": selectors.flag_kinds_with_counts(user=request.user),
        "form": form,
        "may_manage": may_manage,
        "may_import": access.can(request.user, Action.EDIT_REGISTRY),
    }
    return render(request, "registry/flags/kind_list.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@requires(Action.MANAGE_SETTINGS)
def flag_kind_edit(request: StaffRequest, pk: int) -> HttpResponse:
    kind = get_object_or_404(selectors.flag_kinds_with_counts(user=request.user), pk=pk)
    initial = {
        "code": kind.code,
        "name": kind.name,
        "sort_order": kind.sort_order,
        "is_active": kind.is_active,
    }
    form = FlagKindForm(request.POST if request.method == "POST" else None, initial=initial)
    if getattr(kind, "used", False):  # annotated by the selector
        form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services.flag_kind_update(
                kind=kind,
                by=request.user,
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
                sort_order=form.cleaned_data["sort_order"],
                is_active=form.cleaned_data["is_active"],
            )
        except FlagError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("已保存标记“%(name)s”。") % {"name": kind.name})
            return redirect("flag-kind-list")
    return render(
        request,
        "registry/flags/kind_edit.html",
        {"kind": kind, "form": form},
        status=400 if form.errors else 200,
    )


# The record page's tab --------------------------------------------------------------------------------------


@require_GET
@requires(Action.VIEW_REGISTRY)
def retiree_flags_tab(request: StaffRequest, pk: int) -> HttpResponse:
    """The tab's pane (registry.record_tabs): current flags, their history, and for a clerk the forms."""
    retiree = access.get_visible_retiree_or_404(request.user, pk)
    return _tab(request, retiree.pk)


def _tab(
    request: StaffRequest,
    retiree_pk: int,
    *,
    add_form: FlagAddForm | None = None,
    error: str = "",
    done: str = "",
) -> HttpResponse:
    retiree = access.get_visible_retiree_or_404(request.user, retiree_pk)
    rows = selectors.flags_of(retiree)
    context = {
        "retiree": retiree,
        "current": [row for row in rows if row.removed_at is None],
        "history": [row for row in rows if row.removed_at is not None],
        "may_edit": access.can(request.user, Action.EDIT_REGISTRY),
        "add_form": add_form or FlagAddForm(),
        "remove_form": FlagRemoveForm(),
        "error": error,
        "done": done,
    }
    return render(request, "registry/flags/_tab.html", context)


@require_POST
@requires(Action.EDIT_REGISTRY)
def retiree_flag_add(request: StaffRequest, pk: int) -> HttpResponse:
    """An htmx post from the tab: the pane again, with the message (htmx swaps only 2xx answers)."""
    retiree = access.get_visible_retiree_or_404(request.user, pk)
    form = FlagAddForm(request.POST)
    if not form.is_valid():
        return _answer(request, retiree.pk, add_form=form, error=_first_error(form))
    try:
        flag = services.flag_add(
            retiree=retiree, kind=form.cleaned_data["kind"], note=form.cleaned_data["note"], by=request.user
        )
    except FlagError as error:
        return _answer(request, retiree.pk, add_form=form, error=error.message)
    return _answer(request, retiree.pk, done=_("已设置标记“%(name)s”。") % {"name": flag.kind.name})


@require_POST
@requires(Action.EDIT_REGISTRY)
def retiree_flag_remove(request: StaffRequest, pk: int, flag_pk: int) -> HttpResponse:
    flag = selectors.flag_for(user=request.user, retiree_pk=pk, pk=flag_pk)
    form = FlagRemoveForm(request.POST)
    if not form.is_valid():
        return _answer(request, pk, error=_first_error(form))
    try:
        services.flag_remove(flag=flag, by=request.user, note=form.cleaned_data["note"])
    except FlagError as error:
        return _answer(request, pk, error=error.message)
    return _answer(request, pk, done=_("已取消标记“%(name)s”。") % {"name": flag.kind.name})


def _answer(
    request: StaffRequest,
    retiree_pk: int,
    *,
    add_form: FlagAddForm | None = None,
    error: str = "",
    done: str = "",
) -> HttpResponse:
    if request.htmx:
        return _tab(request, retiree_pk, add_form=add_form, error=error, done=done)
    # Without htmx (a plain form post): back to the record page with the message; 400 for a refusal.
    if error:
        response = _tab(request, retiree_pk, add_form=add_form, error=error)
        response.status_code = 400
        return response
    messages.success(request, done)
    return redirect("retiree-detail", pk=retiree_pk)


def _first_error(form: FlagAddForm | FlagRemoveForm) -> str:
    return next(
        (str(message) for errors in form.errors.values() for message in errors), _("请检查填写的内容。")
    )


# Import -----------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@requires(Action.EDIT_REGISTRY)
def flag_import(request: StaffRequest) -> HttpResponse:
    """Upload → every row checked → the preview with the confirm button; nothing is written here."""
    form = FlagImportForm(request.POST or None, request.FILES or None)
    context: dict[str, object] = {
        "form": form,
        "max_rows": services.IMPORT_MAX_ROWS,
        "max_mb": services.IMPORT_MAX_MB,
        "columns": services.COLUMNS,
        "kinds": selectors.active_flag_kinds(),
    }
    if request.method == "POST" and form.is_valid():
        try:
            check = services.flag_import_check(
                upload=form.cleaned_data["file"], mode=form.cleaned_data["mode"], by=request.user
            )
        except FlagError as error:
            form.add_error("file" if error.field in (None, "file") else error.field, error.message)
        else:
            return render(
                request,
                "registry/flags/import_preview.html",
                {"check": check, "confirm_form": FlagImportConfirmForm(initial={"token": check.token})},
            )
    return render(request, "registry/flags/import.html", context, status=400 if form.errors else 200)


@require_POST
@requires(Action.EDIT_REGISTRY)
def flag_import_confirm(request: StaffRequest) -> HttpResponse:
    form = FlagImportConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请重新上传文件。"))
        return redirect("flag-import")
    try:
        result = services.flag_import_confirm(token=form.cleaned_data["token"], by=request.user)
    except FlagError as error:
        messages.error(request, error.message)
        return redirect("flag-import")
    if result.mode == services.Mode.ADD:
        text = _("已添加 %(written)d 个标记,跳过 %(skipped)d 行。")
    else:
        text = _("已取消 %(written)d 个标记,跳过 %(skipped)d 行。")
    messages.success(request, text % {"written": result.written, "skipped": result.skipped})
    return redirect("flag-kind-list")


@require_GET
@requires(Action.EDIT_REGISTRY)
def flag_import_template(request: StaffRequest) -> HttpResponse:
    response = HttpResponse(selectors.flag_import_template(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, "人员标记导入模板.xlsx")
    return response
