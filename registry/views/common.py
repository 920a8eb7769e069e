"""What every registry page shares: the typed request and the role check."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django_htmx.middleware import HtmxDetails

from .. import access
from ..access import Action
from ..models import Staff


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
