"""Intake of a newly retired person (seed 000 §3.1): the form with its confirmation step, the live checks,
the certificate PDF and the photo.

The form is posted with htmx and never swapped out, so the chosen photo and proof stay in their inputs: the
answer is either the confirmation panel (what will be written, with the arrears) or the errors, each sent to
its field out of band. Confirming posts the same form again with `confirm` set to what was shown.
"""

from __future__ import annotations

import hashlib
import mimetypes
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from .. import access, selectors, services
from ..access import Action
from ..errors import IntakeError
from ..forms_intake import IntakeForm
from ..models import Employer, OrgUnit, Retiree
from ..pdfs.certificate import certificate_context, certificate_pdf
from .common import StaffRequest, requires


def _form(request: StaffRequest, data: Any = None, files: Any = None) -> IntakeForm:
    units = access.visible_units(request.user).order_by("sort_order", "code")
    return IntakeForm(
        data,
        files,
        townships=units.filter(kind=OrgUnit.Kind.TOWNSHIP),
        communities=units.filter(kind=OrgUnit.Kind.COMMUNITY).select_related("parent"),
    )


def _signature(plan: services.IntakePlan, form: IntakeForm) -> str:
    """What the clerk saw on the confirmation panel: the arrears and every value entered. Anything edited
    after the preview, or arrears changed by the plan day passing, asks for confirmation again."""
    entered = sorted(
        (name, str(value)) for name, value in form.cleaned_data.items() if not hasattr(value, "read")
    )
    digest = hashlib.sha256(repr(entered).encode()).hexdigest()[:16]
    return f"{plan.signature}|{digest}"


@requires(Action.EDIT_REGISTRY)
def retiree_intake(request: StaffRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "registry/intake/intake.html", {"form": _form(request)})

    form = _form(request, request.POST, request.FILES)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        data = form.intake_data()
        photo, proof = request.FILES.get("photo"), request.FILES.get("agent_proof")
        try:
            plan = services.intake_check(data=data, photo=photo, agent_proof=proof, by=request.user)
            signature = _signature(plan, form)
            confirmed = request.POST.get("confirm", "")
            if confirmed and confirmed == signature:
                retiree = services.retiree_intake(data=data, photo=photo, agent_proof=proof, by=request.user)
                messages.success(
                    request,
                    format_html(
                        '{} <a class="btn btn-sm btn-primary ms-2" href="{}" target="_blank" rel="noopener">'
                        '<i class="bi bi-printer" aria-hidden="true"></i> {}</a>',
                        _("已登记 %(name)s,待遇证号 %(number)s。")
                        % {"name": retiree.name, "number": retiree.certificate_number},
                        reverse("retiree-certificate", args=[retiree.pk]),
                        _("打印待遇证"),
                    ),
                )
                url = reverse("retiree-detail", args=[retiree.pk]) + "?registered=1"
                return HttpResponseClientRedirect(url) if request.htmx else HttpResponseRedirect(url)
            context.update(plan=plan, signature=signature)
            context["changed"] = bool(confirmed)
        except IntakeError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            context["existing_retiree_id"] = error.existing_retiree_id
    template = "registry/intake/_intake_answer.html" if request.htmx else "registry/intake/intake.html"
    return render(request, template, context)


@requires(Action.EDIT_REGISTRY)
def intake_id_check(request: StaffRequest) -> HttpResponse:
    """On leaving the ID field: valid or not, the birth date and sex it encodes, or the record it is on."""
    raw = request.GET.get("id_number", "").strip()
    context: dict[str, Any] = {"raw": raw}
    if raw:
        try:
            context["resident_id"] = services.intake_id_check(raw)
        except IntakeError as error:
            context["error"] = error.message
            context["existing_retiree_id"] = error.existing_retiree_id
    return render(request, "registry/intake/_id_check.html", context)


@requires(Action.EDIT_REGISTRY)
def intake_communities(request: StaffRequest) -> HttpResponse:
    """The community options of the chosen township (only those in the user's scope)."""
    communities = access.visible_units(request.user).filter(kind=OrgUnit.Kind.COMMUNITY)
    township = request.GET.get("township", "")
    communities = communities.filter(parent_id=int(township)) if township.isdigit() else communities.none()
    return render(
        request,
        "registry/intake/_community_options.html",
        {"communities": communities.order_by("sort_order", "code")},
    )


@requires(Action.EDIT_REGISTRY)
def intake_employers(request: StaffRequest) -> HttpResponse:
    """Datalist options for the employer field: existing employers containing what was typed."""
    text = " ".join(request.GET.get("employer_name", "").split())
    employers = Employer.objects.filter(name__contains=text).order_by("name")[:20] if text else []
    return render(request, "registry/intake/_employer_options.html", {"employers": employers})


@requires(Action.VIEW_REGISTRY)
def retiree_certificate(request: StaffRequest, pk: int) -> HttpResponse:
    """The benefit certificate as a PDF. It shows the full ID number (it is the person's own certificate), so
    each printing is recorded as a viewing of it."""
    retiree = selectors.retiree_detail(user=request.user, pk=pk)
    if not (
        access.can(request.user, Action.EDIT_REGISTRY) or access.can(request.user, Action.VIEW_SENSITIVE)
    ):
        raise PermissionDenied(Action.VIEW_SENSITIVE.value)
    if not retiree.certificate_number:
        raise Http404(_("该人员尚未发放待遇证号。"))
    services.sensitive_view_record(retiree=retiree, field="id_number", by=request.user)
    pdf = certificate_pdf(
        certificate_context(
            retiree=retiree,
            rate=selectors.current_rate(retiree),
            account=selectors.current_bank_account(retiree),
            issued_on=timezone.localtime(retiree.created_at).date(),
        )
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{retiree.certificate_number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@requires(Action.VIEW_REGISTRY)
def retiree_photo(request: StaffRequest, pk: int) -> HttpResponse:
    """The photo, to those who may see the record; media files are never served publicly."""
    retiree: Retiree = access.get_visible_retiree_or_404(request.user, pk)
    if not retiree.photo:
        raise Http404
    content_type = mimetypes.guess_type(str(retiree.photo.name))[0] or "application/octet-stream"
    response = FileResponse(retiree.photo.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    return cast(HttpResponse, response)
