"""GET /api/retirees/<pk>/certificate.pdf: the benefit certificate (待遇证), the same PDF as the record page's
"打印待遇证", through the same service, which records each printing (channel "api")."""

from __future__ import annotations

from typing import cast

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from .. import services
from ..access import Action, get_visible_retiree_or_404
from ..errors import CertificateError
from ..models import CertificatePrint, Staff
from .renderers import PdfRenderer

TAG = "registry"


class RetireeCertificateApi(APIView):
    # Scope is checked before the role (by the service), so a record outside it is 404 for every role.
    required_action = Action.VIEW_REGISTRY
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        tags=[TAG],
        summary=_("打印待遇证(PDF)"),
        description=_(
            "退休人员的基本养老保险待遇证,A5 PDF,与页面上的“打印待遇证”相同。证上印有完整身份证号码:"
            "只有办理登记业务的角色(社保局经办人员、系统管理员)可以打印,每次打印都记录打印人、时间和对象,"
            "并显示在该人员的操作记录中。"
        ),
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            403: OpenApiResponse(description=_("当前角色不能打印待遇证")),
            404: OpenApiResponse(description=_("不存在、不在可见范围内,或尚未发放待遇证号")),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        staff = cast(Staff, request.user)
        retiree = get_visible_retiree_or_404(staff, pk)
        try:
            pdf = services.certificate_print(retiree=retiree, by=staff, channel=CertificatePrint.Channel.API)
        except CertificateError as error:
            raise NotFound(error.message) from error
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="certificate-{retiree.certificate_number}.pdf"'
        )
        response["Cache-Control"] = "no-store"
        return response
