"""The annual adjustment's parameters API (年度调待参数): the years with the parameters in force, a year's
versions with what each changed, a new version (the admin's), and "copy last year's". Thin views over
pensions.selectors.adjustment_parameters and pensions.services.adjustments, the same the pages use; whoever
may view the adjustment pages reads (township staff get 403), MANAGE_SETTINGS writes. Errors come back as
{field: [message]} (registry.api.errors).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access
from registry.access import Action
from registry.models import Staff
from registry.months import PensionMonth

from ..models import AdjustmentParameters, AdjustmentRun
from ..selectors.adjustment_parameters import components_line, versions_of, year_rows, year_status
from ..selectors.adjustments import may_view_adjustments, parameters_in_force
from ..services.adjustments import adjustment_parameters_copy, adjustment_parameters_set
from .plans import FORBIDDEN_RESPONSE, TAG, amount_field

_ERRORS = OpenApiResponse(description=gettext_lazy("{字段: [错误信息]}:参数不正确、该年度已执行等"))
YEAR_NOT_FOUND_RESPONSE = OpenApiResponse(description=gettext_lazy("该年度没有调待参数"))


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


class AdjustmentViewerPermission(BasePermission):
    """The roles that see the adjustment pages may read; each write is checked again by its service (403)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return may_view_adjustments(request.user)


# Output -----------------------------------------------------------------------------------------------------


class YearBandSerializer(serializers.Serializer):
    up_to = serializers.IntegerField(
        allow_null=True, min_value=1, max_value=60, help_text=gettext_lazy("年限上限(年),最后一段为空")
    )
    per_year = amount_field(gettext_lazy("每年金额(元/月)"))


class AgeTierSerializer(serializers.Serializer):
    age = serializers.IntegerField(min_value=50, max_value=120, help_text=gettext_lazy("年满(周岁)"))
    amount = amount_field(gettext_lazy("金额(元/月)"))


class FlagExtraSerializer(serializers.Serializer):
    flag = serializers.CharField(max_length=20, help_text=gettext_lazy("人员标记代码"))
    amount = amount_field(gettext_lazy("金额(元/月)"))


class AdjustmentParametersSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    year = serializers.IntegerField()
    effective_month = serializers.CharField(help_text=gettext_lazy("调整起始月份,YYYY-MM"))
    retired_by = serializers.DateField(help_text=gettext_lazy("此日及以前退休的人员参加调整"))
    include_suspended = serializers.BooleanField()
    include_deceased = serializers.BooleanField()
    flat_amount = amount_field(gettext_lazy("定额调整(元/月)"))
    pension_percent = serializers.DecimalField(
        max_digits=7, decimal_places=4, help_text=gettext_lazy("挂钩调整:本人基本养老金的百分比")
    )
    year_counting = serializers.ChoiceField(choices=AdjustmentParameters.YearCounting.choices)
    year_bands = YearBandSerializer(many=True)
    years_minimum = amount_field(gettext_lazy("缴费年限挂钩部分最低(元/月)"))
    age_tiers = AgeTierSerializer(many=True)
    flag_extras = FlagExtraSerializer(many=True)
    minimum_rise = amount_field(gettext_lazy("最低增加额(元/月)"))
    announcement = serializers.CharField(help_text=gettext_lazy("文件依据"))
    note = serializers.CharField(help_text=gettext_lazy("修改说明"))
    set_by = serializers.CharField(source="set_by.display_name")
    set_at = serializers.DateTimeField()
    components = serializers.SerializerMethodField(help_text=gettext_lazy("各调整项目的文字说明"))

    def get_components(self, parameters: AdjustmentParameters) -> str:
        return components_line(parameters)


class YearStatusSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text=gettext_lazy("none 未试算、applied 已执行,否则为最近一次试算的状态")
    )
    status_label = serializers.CharField(source="label")
    applied = serializers.BooleanField()
    run_id = serializers.SerializerMethodField()

    def get_run_id(self, status: Any) -> int | None:
        run: AdjustmentRun | None = status.run
        return None if run is None else int(run.pk)


class AdjustmentYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    status = YearStatusSerializer()
    version_count = serializers.IntegerField()
    parameters = AdjustmentParametersSerializer(help_text=gettext_lazy("现行参数(最新一版)"))


class ParametersVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text=gettext_lazy("版本号,首次录入为 1"))
    changes = serializers.ListField(
        child=serializers.CharField(), help_text=gettext_lazy("与上一版相比的修改")
    )
    parameters = AdjustmentParametersSerializer()


class AdjustmentYearDetailSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    status = YearStatusSerializer()
    parameters = AdjustmentParametersSerializer()
    history = serializers.SerializerMethodField()

    @extend_schema_field(ParametersVersionSerializer(many=True))
    def get_history(self, data: dict[str, Any]) -> list[Any]:
        return list(ParametersVersionSerializer(versions_of(data["year"]), many=True).data)


# Input ------------------------------------------------------------------------------------------------------


class ParametersInputSerializer(serializers.Serializer):
    """A new version of the year's parameters: every field, as the announcement gives them."""

    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text=gettext_lazy("调整年度"))
    effective_month = serializers.CharField(max_length=7, help_text=gettext_lazy("调整起始月份,YYYY-MM"))
    retired_by = serializers.DateField(help_text=gettext_lazy("退休时间截止日"))
    include_suspended = serializers.BooleanField(default=True)
    include_deceased = serializers.BooleanField(default=True)
    flat_amount = serializers.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    pension_percent = serializers.DecimalField(max_digits=9, decimal_places=4, default=Decimal(0))
    year_counting = serializers.ChoiceField(
        choices=AdjustmentParameters.YearCounting.choices, default=AdjustmentParameters.YearCounting.WHOLE
    )
    year_bands = YearBandSerializer(many=True, required=False)
    years_minimum = serializers.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    age_tiers = AgeTierSerializer(many=True, required=False)
    flag_extras = FlagExtraSerializer(many=True, required=False)
    minimum_rise = serializers.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    announcement = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate_effective_month(self, value: str) -> PensionMonth:
        try:
            return PensionMonth.parse(value)
        except ValueError:
            raise serializers.ValidationError(_("请按“年-月”填写月份,例如 2026-01。")) from None

    def values(self) -> dict[str, Any]:
        """The service's values; bands, tiers and extras as the lists of dicts the service checks."""
        data = dict(self.validated_data)
        data.pop("year")
        data.pop("note")
        for name in ("year_bands", "age_tiers", "flag_extras"):
            data[name] = [dict(item) for item in data.get(name, [])]
        return data


def _known_year(year: int) -> int:
    """A year the parameters can have (2000–2100); any other is not found, never a query out of range."""
    if not 2000 <= year <= 2100:
        raise Http404
    return year


def _year_detail(year: int) -> dict[str, Any]:
    parameters = parameters_in_force(year)
    return dict(
        AdjustmentYearDetailSerializer(
            {"year": year, "status": year_status(year), "parameters": parameters}
        ).data
    )


# Views ------------------------------------------------------------------------------------------------------


class ParametersListApi(APIView):
    permission_classes = [AdjustmentViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("年度调待参数"),
        description=gettext_lazy("每个已录入参数的年度:现行参数、版本数和该年度调待的状态,新年度在前。"),
        responses={200: AdjustmentYearSerializer(many=True), 403: FORBIDDEN_RESPONSE},
    )
    def get(self, request: Request) -> Response:
        return Response(AdjustmentYearSerializer(year_rows(), many=True).data)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("录入或更正年度调待参数"),
        description=gettext_lazy(
            "新增该年度参数的一版(原来的版本保留为修改记录)。该年度调待执行后拒绝。系统管理员办理。"
        ),
        request=ParametersInputSerializer,
        responses={201: AdjustmentYearDetailSerializer, 400: _ERRORS, 403: FORBIDDEN_RESPONSE},
    )
    def post(self, request: Request) -> Response:
        access.require(_staff(request), Action.MANAGE_SETTINGS)
        data = ParametersInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        saved = adjustment_parameters_set(
            year=data.validated_data["year"],
            values=data.values(),
            note=data.validated_data["note"],
            by=_staff(request),
        )
        return Response(_year_detail(saved.year), status=status.HTTP_201_CREATED)


class ParametersYearApi(APIView):
    permission_classes = [AdjustmentViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("某年度的调待参数"),
        description=gettext_lazy(
            "现行参数、该年度调待的状态和各版本(设置人、时间、说明、修改内容),新版本在前。"
        ),
        responses={
            200: AdjustmentYearDetailSerializer,
            403: FORBIDDEN_RESPONSE,
            404: YEAR_NOT_FOUND_RESPONSE,
        },
    )
    def get(self, request: Request, year: int) -> Response:
        if parameters_in_force(_known_year(year)) is None:
            return Response(
                {"detail": _("%(year)d 年没有调待参数。") % {"year": year}}, status=status.HTTP_404_NOT_FOUND
            )
        return Response(_year_detail(year))


class ParametersCopyApi(APIView):
    permission_classes = [AdjustmentViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("复制上年参数"),
        description=gettext_lazy(
            "将上一年度的现行参数复制为该年度的第一版:调整起始月份移到该年度的同一月份,退休时间截止日改为"
            "上年 12 月 31 日,文件依据留空。该年度已有参数或上一年度没有参数时拒绝。系统管理员办理。"
        ),
        request=None,
        responses={
            201: AdjustmentYearDetailSerializer,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: OpenApiResponse(description=gettext_lazy("年度不在 2000 至 2100 之间")),
        },
    )
    def post(self, request: Request, year: int) -> Response:
        access.require(_staff(request), Action.MANAGE_SETTINGS)
        year = _known_year(year)
        copied = adjustment_parameters_copy(from_year=year - 1, to_year=year, by=_staff(request))
        return Response(_year_detail(copied.year), status=status.HTTP_201_CREATED)
