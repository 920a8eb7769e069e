"""What every registry page shares: the typed request and the role check."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails

from .. import access
from ..access import Action
from ..errors import SensitiveExportError
from ..models import Staff
from ..services.export_jobs import export_job_start
from ..services.sensitive import MASKED, ExportNumbers, sensitive_export_numbers


class StaffRequest(HttpRequest):
    """A request behind login_required: the user is a Staff, and django-htmx has added `htmx`."""

    user: Staff
    htmx: HtmxDetails


# HttpResponseBase: a view may stream a file (FileResponse).
View = Callable[..., HttpResponseBase]


def requires(*actions: Action) -> Callable[[View], View]:
    """Signed in and allowed to do every one of `actions`, else the login page or 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: StaffRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            for action in actions:
                access.require(request.user, action)
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def export_numbers(request: HttpRequest) -> ExportNumbers:
    """Full or masked, for a file download: the `purpose` (and `purpose_note`) the export dialog sent, decided
    by the one rule (registry.services.sensitive_export_numbers). Raises SensitiveExportError or
    PermissionDenied; export_refused turns the error into a page."""
    return sensitive_export_numbers(
        user=request.user,
        purpose=request.GET.get("purpose"),
        purpose_note=request.GET.get("purpose_note"),
    )


def export_refused(request: HttpRequest, error: SensitiveExportError) -> HttpResponse:
    """A download with full numbers that could not be given (no purpose, "other" unexplained): a page with the
    reason and the way back, 400."""
    referer = request.headers.get("referer", "")
    return render(
        request,
        "registry/export_refused.html",
        {"message": error.message, "back": referer if _same_site(request, referer) else ""},
        status=400,
    )


def longer_than_inline(rows: QuerySet[Any]) -> bool:
    """Whether a list is too long to write inside the request (settings.EXPORT_INLINE_MAX_ROWS): only the
    one row past the limit is looked for."""
    limit = settings.EXPORT_INLINE_MAX_ROWS
    return rows[limit : limit + 1].exists()


def export_in_background(
    request: StaffRequest,
    *,
    kind: str,
    parameters: dict[str, Any],
    message: str,
    numbers: ExportNumbers = MASKED,
) -> HttpResponse:
    """A long list is made by the worker and offered in 我的导出 (docs/exports.md): queue it, say so with
    `message`, and show the requester the job there."""
    job = export_job_start(kind=kind, parameters=parameters, by=request.user, numbers=numbers)
    messages.info(request, message)
    return redirect(f"{reverse('export-job-list')}?job={job.pk}")


def _same_site(request: HttpRequest, url: str) -> bool:
    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
