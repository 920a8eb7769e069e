"""The township entry screen (扫码认证), built for speed in April: scan an ID card (the reader types the
number and Enter), see the card, certify with one more Enter; the cursor goes back to the scan box.

Views parse, call certification.services.certify and render htmx partials. A refusal is answered with its
status (400 bad input or rule, 404 no such retiree or not this township's) and a message that the page's
script swaps in like any answer; nothing is written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from registry.access import Action
from registry.errors import DomainError
from registry.models import Staff
from registry.views.common import StaffRequest, requires

from ..errors import CertificationError, RetireeNotVisibleError
from ..forms_entry import ENTRY_CHANNELS, SESSION_CHANNEL_KEY, CertifyForm, ScanForm, channel_details
from ..models import Certification
from ..selectors.entry import (
    TODAY_LIST_SIZE,
    EntryCard,
    RetireeNotFoundError,
    certified_today_by,
    certify_message,
    entry_card,
    retiree_for_entry,
    visible_retiree_for_entry,
)
from ..services import certify


def _last_channel(request: StaffRequest) -> str:
    channel = request.session.get(SESSION_CHANNEL_KEY, Certification.Channel.IN_PERSON)
    return channel if channel in ENTRY_CHANNELS else Certification.Channel.IN_PERSON


def _certify_form(request: StaffRequest, card: EntryCard) -> CertifyForm:
    # The visitor is usually the officer doing the round: prefilled, editable.
    return CertifyForm(
        initial={
            "retiree": card.retiree.pk,
            "channel": _last_channel(request),
            "visitor_name": request.user.display_name,
        }
    )


def _today(user: Staff) -> dict[str, Any]:
    today = timezone.localdate()
    rows = certified_today_by(user=user, today=today)
    return {"today_rows": list(rows[:TODAY_LIST_SIZE]), "today_count": rows.count(), "today": today}


def _status_of(error: DomainError) -> int:
    return 404 if isinstance(error, RetireeNotFoundError | RetireeNotVisibleError) else 400


def _screen(request: StaffRequest, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    """The whole screen: for a browser without htmx, which posts and looks up with full pages."""
    return render(
        request,
        "certification/entry.html",
        {"scan_form": ScanForm(), **_today(request.user), **context},
        status=status,
    )


def _refusal(request: StaffRequest, message: str, *, status: int) -> HttpResponse:
    if not request.htmx:
        return _screen(request, {"refusal": message}, status=status)
    return render(request, "certification/_entry_refusal.html", {"message": message}, status=status)


@requires(Action.CERTIFY)
@require_GET
def entry(request: StaffRequest) -> HttpResponse:
    """The screen. With ?id_number= (a browser without htmx) it shows that person's card as well."""
    raw = request.GET.get("id_number", "").strip()
    if not raw:
        return _screen(request, {})
    context: dict[str, Any] = {"scan_form": ScanForm(initial={"id_number": raw})}
    today = timezone.localdate()
    try:
        retiree = retiree_for_entry(user=request.user, raw_id_number=raw, today=today)
    except CertificationError as error:
        return _screen(request, {**context, "refusal": error.message}, status=_status_of(error))
    card = entry_card(retiree=retiree, today=today)
    return _screen(request, {**context, "card": card, "form": _certify_form(request, card)})


@requires(Action.CERTIFY)
@require_GET
def entry_lookup(request: StaffRequest) -> HttpResponse:
    """Enter in the scan box: the card, or why not (the person of another township is not described)."""
    if not request.htmx:
        return redirect(f"{reverse('certification-entry')}?{request.GET.urlencode()}")
    scan = ScanForm(request.GET)
    if not scan.is_valid():
        return _refusal(request, _("请刷身份证或输入身份证号码。"), status=400)
    today = timezone.localdate()
    try:
        retiree = retiree_for_entry(
            user=request.user, raw_id_number=scan.cleaned_data["id_number"], today=today
        )
    except CertificationError as error:
        return _refusal(request, error.message, status=_status_of(error))
    card = entry_card(retiree=retiree, today=today)
    return render(
        request, "certification/_entry_card.html", {"card": card, "form": _certify_form(request, card)}
    )


def _card_again(request: StaffRequest, form: CertifyForm, message: str) -> HttpResponse:
    """The card with the form as posted and the message: a refusal that the officer can correct."""
    today = timezone.localdate()
    try:
        retiree = visible_retiree_for_entry(user=request.user, pk=form.cleaned_data.get("retiree") or 0)
    except RetireeNotVisibleError as error:
        return _refusal(request, error.message, status=404)
    context = {"card": entry_card(retiree=retiree, today=today), "form": form, "error": message}
    if not request.htmx:
        return _screen(request, context, status=400)
    return render(request, "certification/_entry_card.html", context, status=400)


def _form_message(form: CertifyForm) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields and name != "retiree" else None
        parts += [f"{label}:{error}" if label else str(error) for error in errors]
    return " ".join(parts)


@requires(Action.CERTIFY)
@require_POST
def entry_certify(request: StaffRequest) -> HttpResponse:
    """The certify button (or Enter on it): today's date, the channel chosen; a year's first record kept."""
    form = CertifyForm(request.POST, request.FILES)
    if not form.is_valid():
        if "retiree" in form.errors:
            return _refusal(request, _("请先刷身份证查找退休人员。"), status=400)
        return _card_again(request, form, _form_message(form))
    data = form.cleaned_data
    try:
        retiree = visible_retiree_for_entry(user=request.user, pk=data["retiree"])
        result = certify(
            retiree=retiree,
            channel=data["channel"],
            certified_on=timezone.localdate(),
            by=request.user,
            note=data["note"],
            **channel_details(data),
        )
    except RetireeNotVisibleError as error:
        return _refusal(request, error.message, status=404)
    except CertificationError as error:
        if error.field in form.fields:
            form.add_error(error.field, error.message)
        return _card_again(request, form, error.message)
    # Written only when it changes: a session save is a database write on every certification otherwise.
    if result.created and request.session.get(SESSION_CHANNEL_KEY) != data["channel"]:
        request.session[SESSION_CHANNEL_KEY] = data["channel"]
    message = certify_message(result)
    if not request.htmx:
        (messages.success if result.created else messages.warning)(request, message)
        return redirect("certification-entry")
    # The list under the box gets the new row on top and the new count, not all of today's rows again: the
    # answer stays as fast at the 300th certification of the day as at the first.
    today = timezone.localdate()
    count = certified_today_by(user=request.user, today=today).count()
    return render(
        request,
        "certification/_entry_result.html",
        {
            "result": result,
            "message": message,
            "new_row": result.certification if result.created else None,
            "today_count": count,
            "today": today,
        },
    )
