"""The annual adjustment's runs through the API (调待试算): a year's runs and the start of a dry run, a run
with its figures, its lines (paged, ID numbers masked); the moves: submit, approve, reject, discard, apply.
Thin views over pensions.selectors.adjustment_runs and pensions.services.adjustments, the same the pages use;
the same roles (a township officer gets 403). Errors come back as {field: [message]} (registry.api.errors).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP
from typing import Any, cast

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access
from registry.access import Action
from registry.id_numbers import mask_resident_id
from registry.models import Retiree, Staff

from ..models import AdjustmentLine, AdjustmentRun
from ..selectors import adjustment_runs as selectors
from ..selectors.adjustments import may_view_adjustments, runs_of
from ..services import adjustments as services
from .plans import FORBIDDEN_RESPONSE, TAG, PersonLineFilterSerializer, RefSerializer, amount_field

_ERRORS = OpenApiResponse(description=gettext_lazy("{字段: [错误信息]}:状态不允许、本人试算、参数已修改等"))
RUN_NOT_FOUND_RESPONSE = OpenApiResponse(description=gettext_lazy("没有这次调待试算"))


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


class AdjustmentViewerPermission(BasePermission):
    """The roles that see the adjustment may read; each write is checked again by its service (403)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return may_view_adjustments(request.user)


# Output -----------------------------------------------------------------------------------------------------


class AdjustmentRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    year = serializers.IntegerField()
    status = serializers.ChoiceField(choices=AdjustmentRun.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    progress = serializers.IntegerField(help_text=gettext_lazy("后台任务进度(%)"))
    error = serializers.CharField()
    parameters_id = serializers.IntegerField(help_text=gettext_lazy("所用参数版本"))
    arrears_to_month = serializers.SerializerMethodField(help_text=gettext_lazy("补发截止月份,YYYY-MM"))
    prepared_by = serializers.CharField(source="prepared_by.display_name")
    prepared_at = serializers.DateTimeField()
    computed_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    approved_by = serializers.CharField(source="approved_by.display_name", allow_null=True, default=None)
    approved_at = serializers.DateTimeField(allow_null=True)
    decision_comment = serializers.CharField()
    applied_by = serializers.CharField(source="applied_by.display_name", allow_null=True, default=None)
    applied_at = serializers.DateTimeField(allow_null=True)
    rates_written = serializers.IntegerField()
    arrears_written = serializers.IntegerField()
    arrears_total = amount_field(gettext_lazy("已写入的补发合计(元)"))

    def get_arrears_to_month(self, run: AdjustmentRun) -> str | None:
        return str(run.arrears_to_month) if run.arrears_to_month else None


class AdjustmentRunDetailSerializer(AdjustmentRunSerializer):
    figures = serializers.JSONField(
        help_text=gettext_lazy(
            "试算汇总:人数、调整人数、异常、月增加额及调整前后合计、补发、最低/中位/最高、各项、各乡镇、分布"
        )
    )
    stale_reason = serializers.SerializerMethodField(
        help_text=gettext_lazy("试算结果已不反映执行效果的原因,空为仍有效")
    )

    def get_stale_reason(self, run: AdjustmentRun) -> str:
        live = (AdjustmentRun.Status.COMPUTED, AdjustmentRun.Status.SUBMITTED, AdjustmentRun.Status.APPROVED)
        return services.stale_reason(run) if run.status in live else ""


def _nullable_amount(help_text: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True, help_text=help_text)


def _part(help_text: Any) -> serializers.DecimalField:
    """A component, kept unrounded on the line, given to the fen (half up, as the rise is rounded)."""
    return serializers.DecimalField(
        max_digits=16, decimal_places=2, rounding=ROUND_HALF_UP, help_text=help_text
    )


class AdjustmentLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    retiree = RefSerializer()
    id_number_masked = serializers.SerializerMethodField()
    township = RefSerializer()
    status = serializers.ChoiceField(choices=Retiree.Status.choices)
    age = serializers.IntegerField(help_text=gettext_lazy("调整年度年底年龄"))
    contribution_months = serializers.IntegerField()
    contribution_years = serializers.DecimalField(max_digits=8, decimal_places=4)
    old_amount = _nullable_amount(gettext_lazy("调整前月养老金(元)"))
    flat_part = _part(gettext_lazy("定额(元)"))
    pension_part = _part(gettext_lazy("挂钩(养老金)"))
    years_part = _part(gettext_lazy("挂钩(缴费年限)"))
    age_part = _part(gettext_lazy("倾斜(年龄)"))
    flag_part = _part(gettext_lazy("倾斜(标记)"))
    minimum_part = _part(gettext_lazy("补足最低增加额"))
    rise = _nullable_amount(gettext_lazy("月增加额(元),异常为空"))
    new_amount = _nullable_amount(gettext_lazy("调整后月养老金(元),异常为空"))
    arrears_months = serializers.IntegerField()
    arrears_amount = amount_field()
    problem = serializers.ChoiceField(choices=AdjustmentLine.Problem.choices, allow_blank=True)

    def get_id_number_masked(self, line: AdjustmentLine) -> str:
        return mask_resident_id(line.retiree.id_number)


def _detail(pk: int) -> dict[str, Any]:
    return dict(AdjustmentRunDetailSerializer(selectors.run_get_or_404(pk=pk)).data)


# Runs -------------------------------------------------------------------------------------------------------


class RunListQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text=gettext_lazy("调整年度"))


class RunStartInputSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text=gettext_lazy("调整年度"))


class RunListApi(APIView):
    permission_classes = [AdjustmentViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("年度调待试算"),
        description=gettext_lazy("一个年度的各次试算:状态、试算人、审核人、执行结果,新的在前。"),
        parameters=[RunListQuerySerializer],
        responses={200: AdjustmentRunSerializer(many=True), 400: _ERRORS, 403: FORBIDDEN_RESPONSE},
    )
    def get(self, request: Request) -> Response:
        query = RunListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        runs = runs_of(query.validated_data["year"]).order_by("-prepared_at", "-id")
        return Response(AdjustmentRunSerializer(runs, many=True).data)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("开始试算"),
        description=gettext_lazy(
            "经办人员按该年度当前参数开始试算(后台任务,进度见详情)。已执行过的年度再试算为补充调整,"
            "只计算尚未调整的人员。"
        ),
        request=RunStartInputSerializer,
        responses={201: AdjustmentRunDetailSerializer, 400: _ERRORS, 403: FORBIDDEN_RESPONSE},
    )
    def post(self, request: Request) -> Response:
        access.require(_staff(request), Action.PREPARE_PAYMENTS)
        data = RunStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.adjustment_run_start(year=data.validated_data["year"], by=_staff(request))
        return Response(_detail(run.pk), status=status.HTTP_201_CREATED)


class RunDetailApi(APIView):
    permission_classes = [AdjustmentViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("调待试算详情"),
        description=gettext_lazy("一次试算及其汇总;试算后参数修改或又审批了发放计划时给出失效原因。"),
        responses={200: AdjustmentRunDetailSerializer, 404: RUN_NOT_FOUND_RESPONSE},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_detail(pk))


class RunLinesApi(ListAPIView):
    permission_classes = [AdjustmentViewerPermission]
    serializer_class = AdjustmentLineSerializer

    class LineFilterSerializer(PersonLineFilterSerializer):
        problem = serializers.ChoiceField(
            choices=[("any", "any"), ("none", "none"), *AdjustmentLine.Problem.choices],
            required=False,
            help_text=gettext_lazy("异常:any 全部异常,none 正常调整,或异常代码"),
        )

    def get_queryset(self) -> QuerySet[AdjustmentLine]:
        run = selectors.run_get_or_404(pk=self.kwargs["pk"])
        params = self.LineFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        filters = selectors.RunLineFilters(
            q=data.get("q", ""),
            township_id=data["township"].pk if data.get("township") else None,
            problem=data.get("problem", ""),
        )
        return selectors.run_lines(run=run, filters=filters)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("调待试算明细"),
        description=gettext_lazy("每页 50 人,按乡镇和人员顺序;身份证号码只给掩码。各项金额到分。"),
        parameters=[LineFilterSerializer],
        responses={200: AdjustmentLineSerializer(many=True), 404: RUN_NOT_FOUND_RESPONSE},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


# Moves ------------------------------------------------------------------------------------------------------


class DecisionInputSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=300, help_text=gettext_lazy("审核意见(退回时必填)")
    )


def _move(request: Request, pk: int, action: Action, move: Callable[[AdjustmentRun], object]) -> Response:
    """Every move alike: the role first (403 before 404 or 400), then the run, the move, and the run as it
    is now."""
    access.require(_staff(request), action)
    run = selectors.run_get_or_404(pk=pk)
    move(run)
    return Response(_detail(pk))


def _comment(request: Request) -> str:
    data = DecisionInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    return str(data.validated_data.get("comment", ""))


_MOVE_RESPONSES = {
    200: AdjustmentRunDetailSerializer,
    400: _ERRORS,
    403: FORBIDDEN_RESPONSE,
    404: RUN_NOT_FOUND_RESPONSE,
}


class RunSubmitApi(APIView):
    permission_classes = [AdjustmentViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("提交调待试算"),
        description=gettext_lazy("经办人员把试算完成的结果提交审核;参数已修改或结果已失效时拒绝。"),
        request=None,
        responses=_MOVE_RESPONSES,
    )
    def post(self, request: Request, pk: int) -> Response:
        return _move(
            request,
            pk,
            Action.PREPARE_PAYMENTS,
            lambda run: services.adjustment_submit(run=run, by=_staff(request)),
        )


class RunApproveApi(APIView):
    permission_classes = [AdjustmentViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("审核通过调待试算"),
        description=gettext_lazy("由试算人以外、有审核权限的人员审核通过,可附审核意见。"),
        request=DecisionInputSerializer,
        responses=_MOVE_RESPONSES,
    )
    def post(self, request: Request, pk: int) -> Response:
        return _move(
            request,
            pk,
            Action.APPROVE_PAYMENTS,
            lambda run: services.adjustment_approve(run=run, by=_staff(request), comment=_comment(request)),
        )


class RunRejectApi(APIView):
    permission_classes = [AdjustmentViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("退回调待试算"),
        description=gettext_lazy("审核人员(非试算人)写明原因退回;经办人员作废后重新试算。"),
        request=DecisionInputSerializer,
        responses=_MOVE_RESPONSES,
    )
    def post(self, request: Request, pk: int) -> Response:
        return _move(
            request,
            pk,
            Action.APPROVE_PAYMENTS,
            lambda run: services.adjustment_reject(run=run, by=_staff(request), comment=_comment(request)),
        )


class RunDiscardApi(APIView):
    permission_classes = [AdjustmentViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("作废调待试算"),
        description=gettext_lazy("经办人员作废不再执行的试算(明细仍可查看),之后可重新试算。"),
        request=None,
        responses=_MOVE_RESPONSES,
    )
    def post(self, request: Request, pk: int) -> Response:
        return _move(
            request,
            pk,
            Action.PREPARE_PAYMENTS,
            lambda run: services.adjustment_discard(run=run, by=_staff(request)),
        )


class RunApplyApi(APIView):
    permission_classes = [AdjustmentViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("执行年度调待"),
        description=gettext_lazy(
            "经办人员执行审核通过的试算(后台任务):写入新养老金标准和每人每个已发月份的补发;结果已失效时拒绝。"
        ),
        request=None,
        responses=_MOVE_RESPONSES,
    )
    def post(self, request: Request, pk: int) -> Response:
        return _move(
            request,
            pk,
            Action.PREPARE_PAYMENTS,
            lambda run: services.adjustment_apply_start(run=run, by=_staff(request)),
        )
