"""A retiree's life events from the record page: a clerk terminates (终止) or transfers out (转出) a retiree,
after a confirmation. The death has its own registration with maker-checker (benefits)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import access
from ..access import Action
from ..errors import DomainError
from ..forms_life_events import TerminateForm, TransferOutForm
from ..services import retiree_terminate, retiree_transfer_out
from .common import StaffRequest, requires


def _life_event(request: StaffRequest, pk: int, *, transfer: bool) -> HttpResponse:
    retiree = access.get_visible_retiree_or_404(request.user, pk)
    form_class = TransferOutForm if transfer else TerminateForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if transfer:
                retiree_transfer_out(retiree=retiree, by=request.user, **form.service_arguments())
            else:
                retiree_terminate(retiree=retiree, by=request.user, **form.service_arguments())
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request,
                _("已办理转出,发放计划草稿将重新生成。")
                if transfer
                else _("已终止发放,发放计划草稿将重新生成。"),
            )
            return redirect("retiree-detail", pk=retiree.pk)
    context = {"retiree": retiree, "form": form, "transfer": transfer}
    return render(request, "registry/life_event.html", context, status=400 if form.errors else 200)


@requires(Action.EDIT_REGISTRY)
@require_http_methods(["GET", "POST"])
def retiree_terminate_view(request: StaffRequest, pk: int) -> HttpResponse:
    return _life_event(request, pk, transfer=False)


@requires(Action.EDIT_REGISTRY)
@require_http_methods(["GET", "POST"])
def retiree_transfer_out_view(request: StaffRequest, pk: int) -> HttpResponse:
    return _life_event(request, pk, transfer=True)
