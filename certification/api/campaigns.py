"""The campaigns API (认证年度): the list, the admin's new campaign and changes, and a year's
suspension run with its counts per township. The same services and selectors as the pages
(certification.views.campaigns), the same rules: reading needs VIEW_REGISTRY, writing MANAGE_SETTINGS
(403); counts are scoped to the user's townships. Errors come back as {field: [message]}
(registry.api.errors).
"""

from __future__ import annotations

from typing import Any, cast

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access
from registry.access import Action
from registry.models import Staff

from .. import selectors, services
from ..models import Campaign, Mode, SuspensionRun

TAG = "certification"
_ERRORS = OpenApiResponse(
    description=gettext_lazy("{字段: [错误信息]}:日期不在该年度内、先后顺序不对、已执行暂停发放后修改等")
)
_FORBIDDEN = OpenApiResponse(description=gettext_lazy("当前角色不能做此操作"))
_NO_CAMPAIGN = OpenApiResponse(description=gettext_lazy("没有这个认证年度"))


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


def _campaign_or_404(year: int) -> Campaign:
    try:
        return selectors.campaign_get(year=year)
    except Campaign.DoesNotExist:
        raise Http404 from None


# Output -----------------------------------------------------------------------------------------------------


class CampaignOutputSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    window_start = serializers.DateField(help_text=gettext_lazy("认证开始日期"))
    window_end = serializers.DateField(help_text=gettext_lazy("认证截止日期"))
    remote_export_deadline = serializers.DateField(help_text=gettext_lazy("异地人员数据导出截止日期"))
    suspension_date = serializers.DateField(help_text=gettext_lazy("暂停发放日期"))
    mode = serializers.ChoiceField(
        choices=Mode.choices,
        help_text=gettext_lazy("认证方式:campaign 年度集中认证,rolling_12_months 12个月滚动认证"),
    )
    mode_label = serializers.CharField(source="get_mode_display")
    suspension_ran = serializers.SerializerMethodField(help_text=gettext_lazy("是否已执行暂停发放"))
    suspended_count = serializers.SerializerMethodField(
        help_text=gettext_lazy("暂停发放人数(全县);未执行时为空")
    )

    def _run_count(self, campaign: Campaign) -> int | None:
        count = getattr(campaign, "run_suspended_count", None)
        if count is None and not hasattr(campaign, "run_id"):
            run = selectors.suspension_run_of(year=campaign.year)
            count = run.suspended_count if run is not None else None
        return count

    def get_suspension_ran(self, campaign: Campaign) -> bool:
        return self._run_count(campaign) is not None

    def get_suspended_count(self, campaign: Campaign) -> int | None:
        return self._run_count(campaign)


class TownshipSuspensionSerializer(serializers.Serializer):
    township_id = serializers.IntegerField(source="township.pk")
    township_name = serializers.CharField(source="township.name")
    suspended = serializers.IntegerField(help_text=gettext_lazy("本次暂停发放人数"))
    restored = serializers.IntegerField(help_text=gettext_lazy("其中已认证恢复的人数"))
    still_suspended = serializers.IntegerField(help_text=gettext_lazy("仍暂停的人数"))
    notice_count = serializers.SerializerMethodField(help_text=gettext_lazy("告知书份数;正在生成时为空"))
    notice_url = serializers.SerializerMethodField(help_text=gettext_lazy("告知书PDF下载地址;正在生成时为空"))

    def get_notice_count(self, row: selectors.TownshipRow) -> int | None:
        return row.notice.notice_count if row.notice is not None else None

    def get_notice_url(self, row: selectors.TownshipRow) -> str | None:
        if row.notice is None:
            return None
        return reverse("certification-suspension-notice-pdf", args=[row.notice.pk])


class SuspensionRunSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    started_at = serializers.DateTimeField(help_text=gettext_lazy("执行时间"))
    finished_at = serializers.DateTimeField(help_text=gettext_lazy("完成时间"))
    suspended_count = serializers.IntegerField(help_text=gettext_lazy("暂停发放人数(全县)"))
    notices_pending = serializers.IntegerField(help_text=gettext_lazy("还在生成告知书的乡镇数(全县)"))
    notices_status = serializers.ChoiceField(
        choices=SuspensionRun.NoticesStatus.choices,
        help_text=gettext_lazy("告知书生成任务的状态;任务中断或生成失败时由管理员在页面上重新生成"),
    )
    townships = TownshipSuspensionSerializer(many=True, help_text=gettext_lazy("本人管辖范围内的乡镇"))


# Input ------------------------------------------------------------------------------------------------------


class CampaignFieldsSerializer(serializers.Serializer):
    window_start = serializers.DateField(required=False, help_text=gettext_lazy("认证开始日期"))
    window_end = serializers.DateField(required=False, help_text=gettext_lazy("认证截止日期"))
    remote_export_deadline = serializers.DateField(
        required=False, help_text=gettext_lazy("异地人员数据导出截止日期,不晚于认证截止日期")
    )
    suspension_date = serializers.DateField(
        required=False, help_text=gettext_lazy("暂停发放日期,在认证截止日期之后、同一年内")
    )
    mode = serializers.ChoiceField(choices=Mode.choices, required=False, help_text=gettext_lazy("认证方式"))


class CampaignCreateSerializer(CampaignFieldsSerializer):
    year = serializers.IntegerField(
        min_value=2000, max_value=2999, help_text=gettext_lazy("年度,最晚为明年;不填的日期按默认")
    )


# Views ------------------------------------------------------------------------------------------------------


class CampaignListApi(APIView):
    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("认证年度列表"),
        description=gettext_lazy(
            "每年的认证期、异地数据导出截止日期、暂停发放日期、认证方式和暂停发放情况。"
        ),
        responses={200: CampaignOutputSerializer(many=True), 403: _FORBIDDEN},
    )
    def get(self, request: Request) -> Response:
        return Response(CampaignOutputSerializer(selectors.campaign_list(), many=True).data)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("建立认证年度"),
        description=gettext_lazy(
            "管理员建立一个年度的资格认证,不填的日期按默认(4月1日至5月31日认证,3月31日前导出异地数据,"
            "8月1日暂停发放),认证方式按本县设置。"
        ),
        request=CampaignCreateSerializer,
        responses={201: CampaignOutputSerializer, 400: _ERRORS, 403: _FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        # The role first: only MANAGE_SETTINGS makes campaigns, and others get 403 before the body is read.
        access.require(_staff(request), Action.MANAGE_SETTINGS)
        data = CampaignCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields: dict[str, Any] = dict(data.validated_data)
        campaign = services.campaign_create(year=fields.pop("year"), by=_staff(request), **fields)
        return Response(CampaignOutputSerializer(campaign).data, status=status.HTTP_201_CREATED)


class CampaignDetailApi(APIView):
    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("认证年度"),
        responses={200: CampaignOutputSerializer, 403: _FORBIDDEN, 404: _NO_CAMPAIGN},
    )
    def get(self, request: Request, year: int) -> Response:
        return Response(CampaignOutputSerializer(_campaign_or_404(year)).data)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("修改认证年度"),
        description=gettext_lazy(
            "管理员修改日期或认证方式(只传要改的项目)。日期都须在该年度内;认证开始不晚于认证截止;"
            "异地数据导出截止不晚于认证截止;暂停发放日期在认证截止之后,且不能改为今天以前。"
            "该年度执行暂停发放后不能再修改。"
        ),
        request=CampaignFieldsSerializer,
        responses={200: CampaignOutputSerializer, 400: _ERRORS, 403: _FORBIDDEN, 404: _NO_CAMPAIGN},
    )
    def patch(self, request: Request, year: int) -> Response:
        access.require(_staff(request), Action.MANAGE_SETTINGS)
        campaign = _campaign_or_404(year)
        data = CampaignFieldsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = services.campaign_update(campaign=campaign, by=_staff(request), **data.validated_data)
        return Response(CampaignOutputSerializer(campaign).data)


class SuspensionRunApi(APIView):
    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("年度暂停发放情况"),
        description=gettext_lazy(
            "该年度暂停发放的执行时间和人数,以及本人管辖范围内各乡镇的暂停人数、已认证恢复人数和告知书。"
            "尚未执行时为 404。"
        ),
        responses={
            200: SuspensionRunSerializer,
            403: _FORBIDDEN,
            404: OpenApiResponse(description=gettext_lazy("没有这个认证年度,或尚未执行暂停发放")),
        },
    )
    def get(self, request: Request, year: int) -> Response:
        campaign = _campaign_or_404(year)
        run = selectors.suspension_run_of(year=campaign.year)
        if run is None:
            raise Http404
        summary = {
            "year": run.year,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "suspended_count": run.suspended_count,
            "notices_pending": selectors.notices_pending(run=run),
            "notices_status": run.notices_status,
            "townships": selectors.run_townships(run=run, user=_staff(request)),
        }
        return Response(SuspensionRunSerializer(summary).data)
