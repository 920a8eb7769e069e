"""The claim parameters API (丧葬抚恤参数): per year the values in force with their history, setting a value
and clearing the published average. The same services and selector as the page (benefits.views.parameters)
and the same rule: the admin's alone (MANAGE_SETTINGS, 403 for everyone else, reading included). Amounts are
decimal strings; errors come back as {field: [message]} (registry.api.errors).
"""

from __future__ import annotations

from typing import cast

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access
from registry.access import Action
from registry.models import Staff

from ..models import BenefitParameter
from ..selectors.parameter_table import parameter_years
from ..services import benefit_average_clear, benefit_parameter_set

TAG = "benefits"
_ERRORS = OpenApiResponse(
    description=gettext_lazy(
        "{字段: [错误信息]}:金额不大于0或超过两位小数、月数不是1至60的整数、年度超出范围、缺少依据等"
    )
)
_FORBIDDEN = OpenApiResponse(description=gettext_lazy("当前角色不能做此操作(只有管理员)"))


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


# Output -----------------------------------------------------------------------------------------------------


class ParameterRowSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=BenefitParameter.Kind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    year = serializers.IntegerField()
    value = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text=gettext_lazy("数值;空表示已清除")
    )
    note = serializers.CharField(help_text=gettext_lazy("依据或说明"))
    set_by = serializers.CharField(source="set_by.display_name")
    set_at = serializers.DateTimeField()


class HistoryEntrySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=BenefitParameter.Kind.choices, source="row.kind")
    kind_label = serializers.CharField(source="row.get_kind_display")
    previous = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text=gettext_lazy("修改前的数值;空表示此前未设置或已清除"),
    )
    value = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text=gettext_lazy("修改后的数值;空表示清除")
    )
    note = serializers.CharField(source="row.note")
    set_by = serializers.CharField(source="row.set_by.display_name")
    set_at = serializers.DateTimeField(source="row.set_at")


class YearParametersSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    funeral_allowance = ParameterRowSerializer(
        allow_null=True, help_text=gettext_lazy("该年死亡适用的丧葬补助金标准;未设置时为空")
    )
    compensation_months = ParameterRowSerializer(
        allow_null=True, help_text=gettext_lazy("该年死亡适用的抚恤金月数;未设置时为空")
    )
    published_average = ParameterRowSerializer(
        allow_null=True, help_text=gettext_lazy("公布的该年月人均养老金(现行的一条;value 为空表示已清除)")
    )
    average_computed = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text=gettext_lazy("系统按该年已审批发放计划计算的月人均养老金;没有已审批的计划时为空"),
    )
    average_used = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text=gettext_lazy("下一年死亡的待遇采用的数值:公布的优先,否则为系统计算的"),
    )
    average_source = serializers.ChoiceField(
        choices=[("published", "published"), ("computed", "computed"), ("", "")],
        help_text=gettext_lazy("采用的来源:published 公布的,computed 系统计算的,空为两者都没有"),
    )
    history = HistoryEntrySerializer(many=True, help_text=gettext_lazy("该年各参数的修改记录,最新的在前"))


# Input ------------------------------------------------------------------------------------------------------


class ParameterSetSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=BenefitParameter.Kind.choices)
    year = serializers.IntegerField(
        help_text=gettext_lazy("年度:丧葬补助金和月数为死亡年度,月人均养老金为统计年度")
    )
    # Any precision here: the service's message says what is wrong ("只能精确到分", "须为整数").
    value = serializers.DecimalField(
        max_digits=None, decimal_places=None, help_text=gettext_lazy("金额(元,精确到分)或月数(整数)")
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("依据;公布的月人均养老金必须填写文件文号"),
    )


class AverageClearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    note = serializers.CharField(allow_blank=True, help_text=gettext_lazy("清除原因"))


# Views ------------------------------------------------------------------------------------------------------


class ParameterListApi(APIView):
    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("丧葬抚恤参数"),
        description=gettext_lazy(
            "近几年和下一年的丧葬补助金标准、抚恤金月数、系统计算与公布的月人均养老金及其修改记录,"
            "最新的年度在前。只有管理员可以查看。"
        ),
        responses={200: YearParametersSerializer(many=True), 403: _FORBIDDEN},
    )
    def get(self, request: Request) -> Response:
        access.require(_staff(request), Action.MANAGE_SETTINGS)
        return Response(YearParametersSerializer(parameter_years(), many=True).data)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("设置丧葬抚恤参数"),
        description=gettext_lazy(
            "管理员设置一个年度的参数(新增一条,原来的保留为修改记录):funeral_allowance 丧葬补助金标准"
            "(元,大于0,精确到分),compensation_months 抚恤金月数(1至60的整数),published_average 公布的"
            "月人均养老金(元,须填写依据),用于下一年死亡的待遇。"
        ),
        request=ParameterSetSerializer,
        responses={201: ParameterRowSerializer, 400: _ERRORS, 403: _FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        access.require(_staff(request), Action.MANAGE_SETTINGS)
        data = ParameterSetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = benefit_parameter_set(by=_staff(request), **data.validated_data)
        return Response(ParameterRowSerializer(row).data, status=status.HTTP_201_CREATED)


class AverageClearApi(APIView):
    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("清除公布的月人均养老金"),
        description=gettext_lazy(
            "管理员撤回某年公布的月人均养老金(须填写原因),下一年死亡的待遇改按系统计算的数值。"
        ),
        request=AverageClearSerializer,
        responses={200: ParameterRowSerializer, 400: _ERRORS, 403: _FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        access.require(_staff(request), Action.MANAGE_SETTINGS)
        data = AverageClearSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = benefit_average_clear(by=_staff(request), **data.validated_data)
        return Response(ParameterRowSerializer(row).data)
