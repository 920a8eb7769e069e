"""The retiree list page (search box, filters, pages of 50) and its export to xlsx.

Both read the same filter form and the same selector, so an export holds exactly the people the list shows.
"""

from __future__ import annotations

import dataclasses
import tempfile
from typing import cast

from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import access, selectors
from ..access import Action
from ..errors import SensitiveExportError
from ..export_kinds import RETIREE_LIST
from ..forms import RetireeFilterForm
from ..models import OrgUnit
from ..selectors import exports
from ..services import sensitive_export_record
from .common import StaffRequest, export_in_background, export_numbers, export_refused, requires


def _filter_form(request: StaffRequest) -> RetireeFilterForm:
    user = request.user
    townships = selectors.in_unit_order(access.visible_townships(user))
    communities = (
        access.visible_units(user).filter(kind=OrgUnit.Kind.COMMUNITY).order_by(*selectors.community_order())
    )
    return RetireeFilterForm(request.GET or None, townships=townships, communities=communities)


def _page_number(request: StaffRequest) -> int:
    raw = request.GET.get("page", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


@requires(Action.VIEW_REGISTRY)
@require_GET
def retiree_list(request: StaffRequest) -> HttpResponse:
    form = _filter_form(request)
    page = selectors.retiree_list(
        user=request.user,
        filters=form.filters(),
        page=_page_number(request),
        page_size=settings.RETIREE_LIST_PAGE_SIZE,
    )
    units = access.visible_units(request.user)
    # A history restore (back button after the cache is gone) needs the whole page, not the fragment.
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    context = {
        "form": form,
        "page": page,
        "show_township_filter": units.filter(kind=OrgUnit.Kind.TOWNSHIP).count() > 1,
        "show_community_filter": units.filter(kind=OrgUnit.Kind.COMMUNITY).count() > 1,
        # The fragment also swaps in the community select, whose choices follow the chosen township.
        "swap_community_select": partial,
        # The jump box sends these with the page number it asks for.
        "jump_params": [(name, value) for name, value in request.GET.items() if name != "page"],
    }
    template = "registry/_retiree_results.html" if partial else "registry/retiree_list.html"
    response = render(request, template, context)
    # The fragment and the page share a URL: keep browsers from serving one for the other.
    patch_vary_headers(response, ["HX-Request"])
    return response


@requires(Action.VIEW_REGISTRY)
@require_GET
def retiree_export(request: StaffRequest) -> HttpResponse:
    form = _filter_form(request)
    try:
        numbers = export_numbers(request)
    except SensitiveExportError as error:
        return export_refused(request, error)
    filters = form.filters()
    # A long list is made by the worker and offered in 我的导出 (docs/exports.md); reading one more id than
    # the limit is all it takes to tell.
    search = selectors.retiree_search(user=request.user, filters=filters)
    if len(search.ids(settings.EXPORT_INLINE_MAX_ROWS + 1)) > settings.EXPORT_INLINE_MAX_ROWS:
        return export_in_background(
            request,
            kind=RETIREE_LIST,
            parameters=dataclasses.asdict(filters),
            message=_("名单较长,正在后台生成,完成后可在“我的导出”下载。"),
            numbers=numbers,
        )
    # A temporary file rather than memory: registry.xlsx writes row by row, so memory stays flat.
    target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
    count = exports.retiree_list_xlsx(user=request.user, filters=filters, target=target, numbers=numbers)
    sensitive_export_record(
        by=request.user,
        numbers=numbers,
        export="registry.retiree_list",
        label=_("退休人员名单"),
        person_count=count,
        detail=dataclasses.asdict(filters),
    )
    target.seek(0)
    filename = _("退休人员名单-%(date)s.xlsx") % {"date": timezone.localdate().strftime("%Y%m%d")}
    response = FileResponse(
        target, as_attachment=True, filename=filename, content_type=exports.XLSX_CONTENT_TYPE
    )
    # Streamed from the file; `requires` is typed for HttpResponse, which a streaming response is not.
    return cast(HttpResponse, response)
