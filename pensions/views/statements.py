"""The enquiry statement pages: a period form for one retiree and the PDF it prints (docs/statements.md).

Anyone who may see the retiree's record may print it (township staff for their own retirees): it shows masked
numbers only. A refused period comes back as the form with the message, never as a broken PDF.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from registry import access
from registry.access import Action
from registry.views.common import StaffRequest, requires

from ..pdfs.statement import statement_filename, statement_pdf
from ..selectors.statements import (
    MAX_PERIOD_MONTHS,
    StatementError,
    default_period,
    retiree_statement,
    statement_period_parse,
)


def _form_page(
    request: StaffRequest,
    *,
    pk: int,
    from_value: str,
    to_value: str,
    error: StatementError | None = None,
) -> HttpResponse:
    retiree = access.get_visible_retiree_or_404(request.user, pk)
    context = {
        "retiree": retiree,
        "from_value": from_value,
        "to_value": to_value,
        "error": error,
        "max_years": MAX_PERIOD_MONTHS // 12,
    }
    return render(request, "pensions/statement_form.html", context, status=400 if error else 200)


@require_GET
@requires(Action.VIEW_REGISTRY)
def retiree_statement_form(request: StaffRequest, pk: int) -> HttpResponse:
    """The period form, filled with the last twelve months."""
    from_month, to_month = default_period()
    return _form_page(request, pk=pk, from_value=str(from_month), to_value=str(to_month))


@require_GET
@requires(Action.VIEW_REGISTRY)
def retiree_statement_pdf(request: StaffRequest, pk: int) -> HttpResponse:
    """?from=2025-01&to=2026-12 (either may be empty: the last twelve months). Inline, so it opens in the
    browser's viewer for printing."""
    from_text, to_text = request.GET.get("from", ""), request.GET.get("to", "")
    try:
        from_month, to_month = statement_period_parse(from_text=from_text, to_text=to_text)
    except StatementError as error:
        return _form_page(request, pk=pk, from_value=from_text, to_value=to_text, error=error)
    statement = retiree_statement(user=request.user, retiree_pk=pk, from_month=from_month, to_month=to_month)
    return pdf_response(statement_pdf(statement), statement_filename(statement))


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
