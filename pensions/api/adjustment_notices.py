"""The adjustment notices and summary API: a run's notices batches (one per township and attempt) and the
start of new ones, a batch's PDF, and the summary table by township as JSON. The same services and selectors
as the pages, the same roles (may_view_adjustments; starting needs PREPARE_PAYMENTS). Errors come back as
{field: [message]} (registry.api.errors)."""

from __future__ import annotations

from typing import Any, cast

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access
from registry.access import Action
from registry.api.renderers import PdfRenderer
from registry.models import Staff

from ..errors import AdjustmentError
from ..models import AdjustmentNoticeBatch, AdjustmentRun
from ..selectors.adjustment_notices import (
    adjustment_summary,
    notice_batch_get,
    notice_batches_of,
    summary_available,
)
from ..selectors.adjustments import may_view_adjustments
from ..services.adjustment_notices import adjustment_notices_start
from .plans import FORBIDDEN_RESPONSE, TAG, RefSerializer, amount_field

_ERRORS = OpenApiResponse(description=gettext_lazy("{字段: [错误信息]}:调待未执行、乡镇正在生成等"))
RUN_NOT_FOUND_RESPONSE = OpenApiResponse(description=gettext_lazy("没有这个调待试算"))
BATCH_NOT_FOUND_RESPONSE = OpenApiResponse(description=gettext_lazy("没有这个通知单文件,或尚未生成完成"))


class AdjustmentViewerPermission(BasePermission):
    """The roles that see the adjustment pages may read; starting a batch is checked again (403)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return may_view_adjustments(request.user)


def _run(pk: int) -> AdjustmentRun:
    return get_object_or_404(AdjustmentRun.objects.select_related("parameters"), pk=pk)


# Notices ----------------------------------------------------------------------------------------------------


class AdjustmentNoticeBatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    township = RefSerializer()
    status = serializers.ChoiceField(choices=AdjustmentNoticeBatch.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    progress = serializers.IntegerField(help_text=gettext_lazy("进度(%)"))
    error = serializers.CharField()
    people = serializers.IntegerField(help_text=gettext_lazy("通知单份数"))
    requested_by = serializers.CharField(source="requested_by.display_name")
    requested_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    job_attempts = serializers.IntegerField(help_text=gettext_lazy("运行次数"))


class AdjustmentNoticeStartInputSerializer(serializers.Serializer):
    township = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=gettext_lazy("乡镇编号;不填为所有缺少、失败或中断的乡镇"),
    )


class NoticeBatchesApi(APIView):
    permission_classes = [AdjustmentViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("调整通知单文件"),
        description=gettext_lazy("一次调待的各乡镇通知单文件(每次生成一条),新的在前。"),
        responses={
            200: AdjustmentNoticeBatchSerializer(many=True),
            403: FORBIDDEN_RESPONSE,
            404: RUN_NOT_FOUND_RESPONSE,
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(AdjustmentNoticeBatchSerializer(notice_batches_of(_run(pk)), many=True).data)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("生成调整通知单"),
        description=gettext_lazy(
            "调待执行后,在后台生成一个乡镇(重新生成)或所有缺少的乡镇的通知单 PDF;身份证号码脱敏。"
        ),
        request=AdjustmentNoticeStartInputSerializer,
        responses={
            202: AdjustmentNoticeBatchSerializer(many=True),
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: RUN_NOT_FOUND_RESPONSE,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        run = _run(pk)
        access.require(request.user, Action.PREPARE_PAYMENTS)
        data = AdjustmentNoticeStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batches = adjustment_notices_start(
            run=run, by=cast(Staff, request.user), township_id=data.validated_data.get("township")
        )
        return Response(
            AdjustmentNoticeBatchSerializer(batches, many=True).data, status=status.HTTP_202_ACCEPTED
        )


class NoticeDownloadApi(APIView):
    permission_classes = [AdjustmentViewerPermission]
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("下载调整通知单(PDF)"),
        description=gettext_lazy("一个乡镇的调整通知单,每人半页 A4,身份证号码脱敏。"),
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: BATCH_NOT_FOUND_RESPONSE},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        try:
            batch = notice_batch_get(pk=pk)
        except AdjustmentNoticeBatch.DoesNotExist:
            raise Http404 from None
        if batch.status != AdjustmentNoticeBatch.Status.DONE or not batch.file:
            raise Http404
        filename = _("养老金调整通知单-%(year)s-%(township)s.pdf") % {
            "year": batch.run.year,
            "township": batch.township.name,
        }
        response = FileResponse(
            batch.file.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
        )
        return cast(HttpResponse, response)


# Summary ----------------------------------------------------------------------------------------------------


class AdjustmentSummaryRowSerializer(serializers.Serializer):
    township_id = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("合计行为空"))
    name = serializers.CharField()
    people = serializers.IntegerField(help_text=gettext_lazy("调整人数"))
    exceptions = serializers.IntegerField(help_text=gettext_lazy("异常(未调整)人数"))
    old_total = amount_field(gettext_lazy("调整前月养老金合计(元)"))
    rise_total = amount_field(gettext_lazy("月增加额合计(元)"))
    new_total = amount_field(gettext_lazy("调整后月养老金合计(元)"))
    arrears_months = serializers.IntegerField(help_text=gettext_lazy("补发月数"))
    arrears_total = amount_field(gettext_lazy("补发合计(元)"))


class AdjustmentSummarySerializer(serializers.Serializer):
    run = serializers.IntegerField(source="run.pk")
    year = serializers.IntegerField(source="run.year")
    trial = serializers.BooleanField(help_text=gettext_lazy("试算数:调待尚未执行,补发为估算"))
    exceptions = serializers.IntegerField(help_text=gettext_lazy("异常(未调整)人数"))
    rows = AdjustmentSummaryRowSerializer(many=True)
    total = AdjustmentSummaryRowSerializer()


class SummaryApi(APIView):
    permission_classes = [AdjustmentViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("调待汇总表"),
        description=gettext_lazy(
            "按乡镇:调整人数、调整前月养老金、月增加额、调整后月养老金和补发合计,及合计行;"
            "执行后补发为实际写入的金额,执行前为试算数。"
        ),
        responses={
            200: AdjustmentSummarySerializer,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: RUN_NOT_FOUND_RESPONSE,
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        run = _run(pk)
        if not summary_available(run):
            raise AdjustmentError(
                _("本次调待当前为“%(status)s”,还没有试算结果,不能生成汇总表。")
                % {"status": run.get_status_display()},
                field="run",
            )
        return Response(AdjustmentSummarySerializer(adjustment_summary(run)).data)
