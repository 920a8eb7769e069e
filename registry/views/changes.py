"""Information changes with maker-checker: the request form per field, the queue, and the detail page where a
checker approves or rejects. The services decide; these pages parse, call them and show their refusals."""

from __future__ import annotations

import mimetypes
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from .. import access
from ..access import Action
from ..errors import DomainError
from ..forms_changes import FORMS, AmountChangeForm, ChangeRequestForm, DecisionForm, QueueFilterForm
from ..models import ChangeRequest, SensitiveView, Staff
from ..months import PensionMonth
from ..selectors import changes as selectors
from ..services import changes as services
from .common import StaffRequest, requires

Field = ChangeRequest.Field


def _show_error(form: ChangeRequestForm | DecisionForm, error: DomainError) -> None:
    name = error.field if error.field in form.fields else None
    form.add_error(name, error.message)


def _effect_of(form: AmountChangeForm, retiree: Any, field: str) -> selectors.RateChangeEffect | None:
    amount = form.cleaned_data.get("new_amount") if hasattr(form, "cleaned_data") else None
    month = form.cleaned_data.get("effective_month") if hasattr(form, "cleaned_data") else None
    if amount is None or amount <= 0 or not isinstance(month, PensionMonth):
        return None
    # The adjustments are recomputed with the facts as the request would make them.
    changed = selectors.facts_changed_by(field, form.new_value())
    return selectors.rate_change_effect(
        retiree=retiree, new_amount=amount, effective_month=month, changed=changed
    )


@requires(Action.EDIT_REGISTRY)
@require_http_methods(["GET", "POST"])
def change_request_create(request: StaffRequest, pk: int) -> HttpResponse:
    retiree = access.get_visible_retiree_or_404(request.user, pk)
    field = request.POST.get("field") or request.GET.get("field", "")
    if field not in FORMS:
        fields = [(value, label, services.document_required(value)) for value, label in Field.choices]
        return render(request, "registry/changes/choose_field.html", {"retiree": retiree, "fields": fields})
    form_class = FORMS[field]
    old_rows = selectors.comparison_rows(field, services.current_value(retiree, field), {}, masked=True)
    context: dict[str, Any] = {
        "retiree": retiree,
        "field": field,
        "field_label": Field(field).label,
        "old_rows": old_rows,
        "is_amount_field": field in selectors.AMOUNT_FIELDS,
        "document_required": services.document_required(field),
        "pending": services.pending_request_for(retiree, field),
    }

    # The live money preview (htmx): the amount and month fields ask for it as they change.
    if request.method == "GET" and request.GET.get("preview"):
        form = form_class(request.GET, user=request.user, retiree=retiree)
        form.is_valid()
        effect = _effect_of(form, retiree, field) if isinstance(form, AmountChangeForm) else None
        return render(request, "registry/changes/_money_effect.html", {"effect": effect, "confirm": True})

    if request.method == "POST":
        form = form_class(request.POST, request.FILES, user=request.user, retiree=retiree)
        if form.is_valid():
            effect = _effect_of(form, retiree, field) if isinstance(form, AmountChangeForm) else None
            context["effect"] = effect
            # Money moves on approval: the clerk must have seen and confirmed exactly this effect.
            if (
                isinstance(form, AmountChangeForm)
                and effect is not None
                and (
                    not form.cleaned_data.get("effect_confirmed")
                    or form.cleaned_data.get("effect_token") != effect.token
                )
            ):
                form.add_error(
                    "effect_confirmed",
                    _("请核对下方将产生的补发/追回金额,勾选确认后再提交(如已修改金额或月份,请重新核对)。"),
                )
            else:
                try:
                    change = services.change_request_create(
                        retiree=retiree,
                        field=field,
                        new_value=form.new_value(),
                        reason=form.cleaned_data.get("reason") or "",
                        document=form.cleaned_data.get("document"),
                        by=request.user,
                        **form.service_arguments(),
                    )
                except DomainError as error:
                    _show_error(form, error)
                else:
                    messages.success(
                        request, _("变更申请已提交(编号 %(pk)d),等待他人审核。") % {"pk": change.pk}
                    )
                    return redirect("change-request-detail", pk=change.pk)
        if form.errors.get("document") is None and request.FILES:
            # Browsers cannot refill a file input: say so rather than let it look kept.
            messages.warning(request, _("页面有错误,请重新选择证明材料扫描件后再提交。"))
    else:
        form = form_class(user=request.user, retiree=retiree)
    context["form"] = form
    context["value_fields"] = [form[name] for name in form.value_fields]
    return render(request, "registry/changes/create.html", context)


def _require_change_roles(user: Staff) -> None:
    if not selectors.can_see_change_requests(user):
        raise PermissionDenied("change requests")


@requires(Action.VIEW_REGISTRY)
@require_GET
def change_request_list(request: StaffRequest) -> HttpResponse:
    _require_change_roles(request.user)
    form = QueueFilterForm(request.GET or None)
    status = field = ""
    if form.is_valid():
        status, field = form.cleaned_data["status"], form.cleaned_data["field"]
    requests = selectors.change_request_queue(user=request.user, status=status, field=field)
    page = Paginator(requests, 50).get_page(request.GET.get("page"))
    rows = [(change, selectors.value_summary(change.field, change.new_value)) for change in page]
    return render(
        request,
        "registry/changes/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "only_own": not (
                access.can(request.user, Action.APPROVE_CHANGES)
                or access.can(request.user, Action.VIEW_AUDIT)
            ),
        },
    )


def _visible_change(user: Staff, pk: int) -> ChangeRequest:
    _require_change_roles(user)
    try:
        return selectors.change_request_for(user=user, pk=pk)
    except ChangeRequest.DoesNotExist:
        raise Http404 from None


@requires(Action.VIEW_REGISTRY)
@require_http_methods(["GET", "POST"])
def change_request_detail(request: StaffRequest, pk: int) -> HttpResponse:
    change = _visible_change(request.user, pk)
    user = request.user
    form = DecisionForm(request.POST or None)
    is_pending = change.status == ChangeRequest.Status.PENDING
    effect = None
    if is_pending and change.new_amount is not None and change.effective_month is not None:
        effect = selectors.rate_change_effect(
            retiree=change.retiree,
            new_amount=change.new_amount,
            effective_month=selectors.as_month(change.effective_month),
            changed=selectors.facts_changed_by(change.field, change.new_value),
        )

    if request.method == "POST":
        decision = request.POST.get("decision")
        if form.is_valid() and decision in ("approve", "reject"):
            comment = form.cleaned_data.get("comment") or ""
            try:
                if decision == "approve":
                    if effect is not None and form.cleaned_data.get("effect_token") != effect.token:
                        raise DomainError(
                            _("将产生的补发/追回金额已有变化(可能已进入新的发放月份),请核对后重新审核。"),
                            field="effect_token",
                        )
                    services.change_request_approve(change_request=change, by=user, comment=comment)
                    messages.success(request, _("已批准,变更已生效。"))
                else:
                    services.change_request_reject(change_request=change, by=user, comment=comment)
                    messages.success(request, _("已驳回该申请。"))
            except DomainError as error:
                _show_error(form, error)
            else:
                return redirect("change-request-detail", pk=change.pk)

    # A checker compares the full numbers with the scan; each showing is recorded, as on the record page.
    masked = not access.can(user, Action.VIEW_SENSITIVE)
    if not masked and request.method == "GET" and change.field in (Field.ID_NUMBER, Field.BANK_ACCOUNT):
        SensitiveView.objects.create(
            staff=user,
            retiree=change.retiree,
            field=SensitiveView.Field.ID_NUMBER
            if change.field == Field.ID_NUMBER
            else SensitiveView.Field.ACCOUNT_NUMBER,
        )
    context = {
        "change": change,
        "rows": selectors.comparison_rows(change.field, change.old_value, change.new_value, masked=masked),
        "effect": effect,
        "arrears": list(change.arrears.order_by("month")) if not is_pending else [],
        "recovery": getattr(change, "recovery", None) if not is_pending else None,
        "form": form,
        "may_decide": is_pending
        and access.can(user, Action.APPROVE_CHANGES)
        and change.requested_by_id != user.pk,
        "is_requester": change.requested_by_id == user.pk,
    }
    return render(request, "registry/changes/detail.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def change_request_document(request: StaffRequest, pk: int) -> FileResponse:
    """The scan, to the same people who may open the request; never a public media URL."""
    access.require(request.user, Action.VIEW_REGISTRY)
    change = _visible_change(request.user, pk)
    if not change.document:
        raise Http404
    try:
        handle = change.document.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    name = (change.document.name or "").rsplit("/", 1)[-1]
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type, as_attachment=False, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
