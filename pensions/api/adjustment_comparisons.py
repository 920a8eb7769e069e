"""The province's result file for an adjustment dry run: upload (multipart) and list per run, one
comparison with its counts, its differences (paged, masked IDs), and running a failed comparison again.
Thin views over pensions.selectors/services.adjustment_comparisons, the same the pages use; viewers as the
adjustment pages, uploads by those who prepare payments. Errors come back as {field: [message]}.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access
from registry.access import Action
from registry.id_numbers import mask_resident_id
from registry.models import Staff

from ..models import AdjustmentComparison, AdjustmentDifference, AdjustmentRun
from ..selectors import adjustment_comparisons as selectors
from ..selectors.adjustments import may_view_adjustments
from ..services import adjustment_comparisons as services
from .plans import FORBIDDEN_RESPONSE, TAG

_ERRORS = OpenApiResponse(
    description=gettext_lazy("{字段: [错误信息]}:文件类型、大小、表头不符,或试算状态不允许")
)
RUN_NOT_FOUND = OpenApiResponse(description=gettext_lazy("没有这次调待试算"))
COMPARISON_NOT_FOUND = OpenApiResponse(description=gettext_lazy("没有这次比对"))


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


class AdjustmentViewerPermission(BasePermission):
    """The roles that see the adjustment pages may read; each write is checked again by its service."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return may_view_adjustments(request.user)


class ComparisonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    run = serializers.IntegerField(source="run_id", help_text=gettext_lazy("调待试算编号"))
    original_name = serializers.CharField(help_text=gettext_lazy("上传的文件名"))
    status = serializers.ChoiceField(choices=AdjustmentComparison.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    progress = serializers.IntegerField(help_text=gettext_lazy("进度(%)"))
    error = serializers.CharField(help_text=gettext_lazy("失败原因,空为无"))
    rows = serializers.IntegerField(help_text=gettext_lazy("文件数据行数"))
    matched = serializers.IntegerField(help_text=gettext_lazy("两边都有且金额一致的人数"))
    differing = serializers.IntegerField(help_text=gettext_lazy("差异条数"))
    uploaded_by = serializers.CharField(source="uploaded_by.display_name")
    uploaded_at = serializers.DateTimeField()


class KindCountSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AdjustmentDifference.Kind.choices)
    kind_label = serializers.CharField()
    count = serializers.IntegerField()


class ComparisonDetailSerializer(ComparisonSerializer):
    kinds = serializers.SerializerMethodField(help_text=gettext_lazy("各差异类型的条数"))

    @extend_schema_field(KindCountSerializer(many=True))
    def get_kinds(self, comparison: AdjustmentComparison) -> list[dict[str, Any]]:
        return [
            {"kind": kind, "kind_label": label, "count": count}
            for kind, label, count in selectors.kind_counts(comparison)
        ]


def _amount(help_text: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True, help_text=help_text)


class DifferenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=AdjustmentDifference.Kind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    retiree = serializers.IntegerField(
        source="retiree_id", allow_null=True, help_text=gettext_lazy("空:本县未登记")
    )
    name = serializers.SerializerMethodField()
    id_number_masked = serializers.SerializerMethodField()
    ours_rise = _amount(gettext_lazy("本系统月增加额,空为无(异常人员或不在试算中)"))
    province_rise = _amount(gettext_lazy("省厅月增加额,空为无"))
    ours_new_amount = _amount(gettext_lazy("本系统调整后月养老金,空为无"))
    province_new_amount = _amount(gettext_lazy("省厅调整后月养老金,空为无"))

    def get_name(self, item: AdjustmentDifference) -> str:
        return item.retiree.name if item.retiree else ""

    def get_id_number_masked(self, item: AdjustmentDifference) -> str:
        return mask_resident_id(item.id_number)


def _run_or_404(pk: int) -> AdjustmentRun:
    run = AdjustmentRun.objects.filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


class ComparisonListApi(APIView):
    permission_classes = [AdjustmentViewerPermission]
    parser_classes = [MultiPartParser, FormParser]

    class ProvinceFileInputSerializer(serializers.Serializer):
        file = serializers.FileField(help_text=gettext_lazy("省厅结果文件(.xlsx 或 .csv)"))

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("调待试算的省厅结果比对"),
        description=gettext_lazy("一次试算上传过的省厅结果文件及其比对状态,新的在前。"),
        responses={200: ComparisonSerializer(many=True), 403: FORBIDDEN_RESPONSE, 404: RUN_NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        run = _run_or_404(pk)
        return Response(ComparisonSerializer(selectors.comparisons_of(run), many=True).data)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("上传省厅结果文件"),
        description=gettext_lazy(
            "上传即校验文件类型、大小和表头,随后在后台逐人比对(查看进度用比对详情)。"
            "格式见 docs/adjustment-province-file.md。经办人员办理。"
        ),
        request={"multipart/form-data": ProvinceFileInputSerializer},
        responses={201: ComparisonSerializer, 400: _ERRORS, 403: FORBIDDEN_RESPONSE, 404: RUN_NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        run = _run_or_404(pk)
        # Before the body is looked at: a role that may not upload gets 403, not a form error.
        access.require(_staff(request), Action.PREPARE_PAYMENTS)
        data = self.ProvinceFileInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comparison = services.adjustment_comparison_upload(
            run=run, file=data.validated_data["file"], by=_staff(request)
        )
        return Response(ComparisonSerializer(comparison).data, status=status.HTTP_201_CREATED)


class ComparisonDetailApi(APIView):
    permission_classes = [AdjustmentViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("省厅结果比对详情"),
        description=gettext_lazy("状态、进度和各类差异的条数。"),
        responses={200: ComparisonDetailSerializer, 403: FORBIDDEN_RESPONSE, 404: COMPARISON_NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(ComparisonDetailSerializer(selectors.comparison_get_or_404(pk)).data)


class ComparisonRestartApi(APIView):
    permission_classes = [AdjustmentViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("重新比对"),
        description=gettext_lazy("比对失败、任务中断或处理进程已停止时重新比对,差异重新生成而不会重复。"),
        request=None,
        responses={
            200: ComparisonSerializer,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: COMPARISON_NOT_FOUND,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        comparison = services.adjustment_comparison_restart(
            comparison=selectors.comparison_get_or_404(pk), by=_staff(request)
        )
        return Response(ComparisonSerializer(comparison).data)


class ComparisonDifferencesApi(ListAPIView):
    permission_classes = [AdjustmentViewerPermission]
    serializer_class = DifferenceSerializer

    class DifferenceFilterSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(
            choices=AdjustmentDifference.Kind.choices, required=False, help_text=gettext_lazy("差异类型")
        )

    def get_queryset(self) -> QuerySet[AdjustmentDifference]:
        comparison = selectors.comparison_get_or_404(self.kwargs["pk"])
        params = self.DifferenceFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.differences_of(comparison, kind=params.validated_data.get("kind"))

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("省厅结果比对差异"),
        description=gettext_lazy("每页 50 条,按差异类型和身份证号码排序。身份证号码只给掩码。"),
        parameters=[DifferenceFilterSerializer],
        responses={200: DifferenceSerializer(many=True), 403: FORBIDDEN_RESPONSE, 404: COMPARISON_NOT_FOUND},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
