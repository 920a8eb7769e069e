"""The progress API (认证进度): the counts per township or community with the series by day, and the paged
list of who is still missing. The same selectors as the pages (certification.views.progress), the same
scope: a unit outside the user's scope is 404; a role without VIEW_REGISTRY is 403. ID numbers are masked.
"""

from __future__ import annotations

import datetime
from typing import Any, cast

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.access import Action
from registry.id_numbers import mask_resident_id
from registry.models import OrgUnit, Retiree, Staff

from ..pdfs.missing_list import address_of
from ..selectors import progress as selectors

TAG = "certification"
_FORBIDDEN = OpenApiResponse(description=gettext_lazy("当前角色不能查看"))
_NO_UNIT = OpenApiResponse(description=gettext_lazy("没有这个单位(或不在本人管辖范围内)"))


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


class ProgressQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(
        required=False, min_value=2000, max_value=2100, help_text=gettext_lazy("认证年度,不填为今年")
    )
    unit = serializers.IntegerField(
        required=False, min_value=1, help_text=gettext_lazy("组织单位ID,不填为本人所属单位")
    )


def _query(request: Request) -> tuple[int, OrgUnit, datetime.date]:
    params = ProgressQuerySerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    today = timezone.localdate()
    try:
        unit = selectors.progress_unit(user=_staff(request), unit_id=params.validated_data.get("unit"))
    except OrgUnit.DoesNotExist:
        raise Http404 from None
    return params.validated_data.get("year") or today.year, unit, today


# Output -----------------------------------------------------------------------------------------------------


class ProgressUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    # Plain text with the values listed: the enum name would collide with the registry's in the schema.
    kind = serializers.CharField(
        help_text=gettext_lazy("层级:county 县社保局,township 乡镇(街道),community 社区(村居)")
    )


class ProgressCountsSerializer(serializers.Serializer):
    due = serializers.IntegerField(help_text=gettext_lazy("应认证人数:正常发放和暂停发放的人员"))
    certified = serializers.IntegerField(help_text=gettext_lazy("已认证人数"))
    remaining = serializers.IntegerField(help_text=gettext_lazy("未认证人数 = 应认证 − 已认证"))
    percent = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        allow_null=True,
        help_text=gettext_lazy("认证率(%),一位小数,四舍五入;无应认证人员时为空"),
    )


class ProgressRowSerializer(serializers.Serializer):
    unit = ProgressUnitSerializer()
    counts = ProgressCountsSerializer()


class ProgressDayPointSerializer(serializers.Serializer):
    day = serializers.DateField()
    certifications = serializers.IntegerField(help_text=gettext_lazy("当日认证记录数"))
    cumulative = serializers.IntegerField(
        allow_null=True, help_text=gettext_lazy("截至当日累计已认证人数;统计日之后为空")
    )


class ProgressSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    mode = serializers.CharField(
        source="campaign.mode",
        help_text=gettext_lazy("认证方式:campaign 年度集中认证,rolling_12_months 12个月滚动认证"),
    )
    as_of = serializers.DateField(help_text=gettext_lazy("统计日期:今天,往年为12月31日"))
    since = serializers.DateField(
        allow_null=True, help_text=gettext_lazy("12个月滚动认证时计入的最早认证日期;集中认证时为空")
    )
    unit = ProgressUnitSerializer()
    rows = ProgressRowSerializer(many=True, help_text=gettext_lazy("县:各乡镇;乡镇:各社区;社区:本社区一行"))
    total = ProgressCountsSerializer(help_text=gettext_lazy("合计,等于各行之和"))
    by_day = ProgressDayPointSerializer(many=True)


class MissingRetireeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    sex = serializers.CharField(source="get_sex_display")
    age = serializers.SerializerMethodField()
    id_number_masked = serializers.SerializerMethodField()
    township = serializers.CharField(source="community.parent.name")
    community = serializers.CharField(source="community.name")
    address = serializers.SerializerMethodField(help_text=gettext_lazy("本地住址;异地居住人员为异地地址"))
    phone = serializers.CharField()
    agent_name = serializers.CharField(allow_null=True, help_text=gettext_lazy("当前委托代办人,无则为空"))
    agent_relation = serializers.CharField(allow_null=True)
    agent_phone = serializers.CharField(allow_null=True)
    last_certified_on = serializers.DateField(allow_null=True, help_text=gettext_lazy("上次认证日期"))
    status = serializers.CharField(help_text=gettext_lazy("状态:active 正常发放,suspended 暂停发放"))

    def get_age(self, retiree: Retiree) -> int:
        return selectors.age_on(retiree.birth_date, self.context["today"])

    def get_id_number_masked(self, retiree: Retiree) -> str:
        return mask_resident_id(retiree.id_number)

    def get_address(self, retiree: Retiree) -> str:
        return address_of(retiree)


# Views ------------------------------------------------------------------------------------------------------


class ProgressApi(APIView):
    required_action = Action.VIEW_REGISTRY

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("认证进度"),
        description=gettext_lazy(
            "某单位某年度的应认证、已认证、未认证人数:县按乡镇、乡镇按社区分行,合计等于各行之和;"
            "以及每日认证人数和累计已认证人数。乡镇人员只能查看本乡镇。"
        ),
        parameters=[ProgressQuerySerializer],
        responses={200: ProgressSerializer, 403: _FORBIDDEN, 404: _NO_UNIT},
    )
    def get(self, request: Request) -> Response:
        year, unit, today = _query(request)
        progress = selectors.certification_progress(user=_staff(request), year=year, unit=unit, today=today)
        return Response(ProgressSerializer(progress).data)


class MissingApi(ListAPIView):
    required_action = Action.VIEW_REGISTRY
    serializer_class = MissingRetireeSerializer

    def get_queryset(self) -> QuerySet[Retiree]:
        year, unit, today = _query(self.request)
        return selectors.missing_retirees(user=_staff(self.request), year=year, unit=unit, today=today)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("未认证人员名单"),
        description=gettext_lazy(
            "某单位某年度应认证而未认证的人员,按社区、姓名(拼音)排列,分页;身份证号码脱敏。"
        ),
        parameters=[ProgressQuerySerializer],
        responses={200: MissingRetireeSerializer(many=True), 403: _FORBIDDEN, 404: _NO_UNIT},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
