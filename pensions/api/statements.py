"""GET /api/pensions/retirees/<pk>/statement.pdf?from=2025-01&to=2026-12: the enquiry statement as a PDF.

The selector and renderer of the page (pensions.selectors.statements); same scope (404 outside it). A refused
period is a 400 with {"from"|"to": [message]} through registry.api.errors.
"""

from __future__ import annotations

from typing import cast

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from registry.access import Action
from registry.api.renderers import PdfRenderer
from registry.models import Staff

from ..pdfs.statement import statement_filename, statement_pdf
from ..selectors.statements import retiree_statement, statement_period_parse

TAG = "pensions"


class RetireeStatementApi(APIView):
    required_action = Action.VIEW_REGISTRY
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        tags=[TAG],
        summary=_("待遇查询单(PDF)"),
        description=_(
            "一名退休人员在查询期间内的养老金标准、逐月发放明细、补发和追回,A4 PDF。"
            "月份按“年-月”填写;都不填为近12个月;一次最多10年。"
        ),
        parameters=[
            OpenApiParameter("from", str, description=_("起始月份,例如 2025-01")),
            OpenApiParameter("to", str, description=_("截止月份,例如 2026-12")),
        ],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            400: OpenApiResponse(description=_("月份无法识别、起始晚于截止或超过10年")),
            404: OpenApiResponse(description=_("不存在或不在可见范围内")),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        user = cast(Staff, request.user)
        from_month, to_month = statement_period_parse(
            from_text=request.query_params.get("from"), to_text=request.query_params.get("to")
        )
        statement = retiree_statement(user=user, retiree_pk=pk, from_month=from_month, to_month=to_month)
        response = HttpResponse(statement_pdf(statement), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{statement_filename(statement)}"'
        response["Cache-Control"] = "no-store"
        return response
