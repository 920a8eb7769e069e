"""The REST API of death registrations: the same services and scoping as the pages (docs/deaths.md "API").

POST /api/benefits/deaths/ records a death (multipart: the scans are optional files); refusals come back as
{field: [message]} (registry.api.errors)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from certification.models import DeathMatch
from registry import access
from registry.access import Action
from registry.models import Staff

from .. import services
from ..models import DeathRegistration
from ..selectors import deaths as selectors

TAG = "deaths"


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


class DeathOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    retiree = serializers.IntegerField(source="retiree_id")
    retiree_name = serializers.CharField(source="retiree.name")
    retiree_id_number = serializers.CharField(source="retiree.masked_id_number", help_text=_("脱敏身份证号"))
    died_on = serializers.DateField()
    source_kind = serializers.ChoiceField(choices=DeathRegistration.Source.choices, source="source")
    status = serializers.ChoiceField(choices=DeathRegistration.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    reporter_name = serializers.CharField()
    reporter_relation = serializers.CharField()
    note = serializers.CharField()
    reported_by = serializers.CharField(source="reported_by.display_name", allow_null=True, default=None)
    reported_at = serializers.DateTimeField(allow_null=True)
    recorded_by = serializers.CharField(source="recorded_by.display_name", allow_null=True, default=None)
    recorded_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.CharField(source="decided_by.display_name", allow_null=True, default=None)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()
    corrected_at = serializers.DateTimeField(allow_null=True)
    correction_reason = serializers.CharField()
    recovery = serializers.IntegerField(source="recovery_id", allow_null=True)
    settlement = serializers.JSONField(help_text=_("确认时的待遇处理结果(金额为字符串,单位元)"))


class DeathDetailOutputSerializer(DeathOutputSerializer):
    preview = serializers.JSONField(
        allow_null=True,
        help_text=_(
            "待复核时:{recovered_months: [YYYY-MM], recovered_total: 金额},确认时原样带回;否则为 null"
        ),
    )


class _RecordSerializer(serializers.Serializer):
    died_on = serializers.DateField()
    reporter_name = serializers.CharField(required=False, allow_blank=True, max_length=50)
    reporter_relation = serializers.CharField(required=False, allow_blank=True, max_length=20)
    reporter_phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


def _visible(request: Request, pk: int) -> DeathRegistration:
    if not selectors.may_see_registrations(_staff(request)):
        raise PermissionDenied("death registrations")
    try:
        return selectors.registration_get(user=_staff(request), pk=pk)
    except DeathRegistration.DoesNotExist:
        raise Http404 from None


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary=_("死亡登记列表"),
        description=_("可见范围内的死亡登记,新的在前;可按状态和乡镇筛选。乡镇经办人员使用“我报告的死亡”。"),
    )
)
class DeathListApi(ListAPIView):
    serializer_class = DeathOutputSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=DeathRegistration.Status.choices, required=False)
        township = serializers.IntegerField(required=False)

    class DeathCreateSerializer(_RecordSerializer):
        retiree = serializers.IntegerField(required=False, help_text=_("家属到柜台报告:退休人员 ID"))
        report = serializers.IntegerField(required=False, help_text=_("补充乡镇报告:该报告的登记 ID"))
        death_match = serializers.IntegerField(required=False, help_text=_("死亡名单比对记录 ID"))
        cremation_certificate = serializers.FileField(required=False, allow_null=True)
        burial_certificate = serializers.FileField(required=False, allow_null=True)
        deceased_id_copy = serializers.FileField(required=False, allow_null=True)
        reporter_id_copy = serializers.FileField(required=False, allow_null=True)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            given = [name for name in ("retiree", "report", "death_match") if attrs.get(name)]
            if len(given) != 1:
                raise serializers.ValidationError(_("retiree、report、death_match 须且只须填写一项。"))
            return attrs

    def get_queryset(self) -> QuerySet[DeathRegistration]:
        if not selectors.may_see_registrations(_staff(self.request)):
            raise PermissionDenied("death registrations")
        params = self.FilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.registration_list(
            user=_staff(self.request),
            status=params.validated_data.get("status", ""),
            township_id=params.validated_data.get("township"),
        )

    @extend_schema(
        tags=[TAG],
        summary=_("登记死亡"),
        description=_(
            "经办人员登记死亡(待复核):家属到柜台报告(retiree)、补充乡镇报告(report)或据死亡名单比对(death_match)。"
            "证明材料可选,按内容检查。同一人已有未完成或已确认的登记时拒绝。"
        ),
        request={"multipart/form-data": DeathCreateSerializer},
        responses={
            201: DeathOutputSerializer,
            400: OpenApiResponse(description=_("{字段: [错误信息]}")),
            403: OpenApiResponse(description=_("无登记权限")),
            404: OpenApiResponse(description=_("退休人员、报告或比对记录不存在或不在可见范围内")),
        },
    )
    def post(self, request: Request) -> Response:
        user = _staff(request)
        access.require(user, Action.EDIT_REGISTRY)
        data = self.DeathCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        source: dict[str, Any] = {}
        if values.get("retiree"):
            source["retiree"] = access.get_visible_retiree_or_404(user, values["retiree"])
        elif values.get("report"):
            source["report"] = _visible(request, values["report"])
        else:
            source["death_match"] = get_object_or_404(
                DeathMatch, pk=values["death_match"], retiree__in=access.retirees_visible_to(user)
            )
        documents = {
            name: values.get(name)
            for name in (
                "cremation_certificate",
                "burial_certificate",
                "deceased_id_copy",
                "reporter_id_copy",
            )
        }
        registration = services.death_registration_record(
            by=user,
            died_on=values["died_on"],
            reporter_name=values.get("reporter_name", ""),
            reporter_relation=values.get("reporter_relation", ""),
            reporter_phone=values.get("reporter_phone", ""),
            note=values.get("note", ""),
            documents=documents,
            **source,
        )
        return Response(DeathOutputSerializer(registration).data, status=status.HTTP_201_CREATED)


class DeathDetailApi(APIView):
    @extend_schema(
        tags=[TAG],
        summary=_("死亡登记详情"),
        description=_("待复核的登记另有 preview:确认后将追回的死亡后多发月份和合计,确认时原样带回。"),
        responses={
            200: DeathDetailOutputSerializer,
            403: OpenApiResponse(description=_("无查看权限")),
            404: OpenApiResponse(description=_("死亡登记不存在或不在可见范围内")),
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        registration = _visible(request, pk)
        # What confirming would recover, for the reviewer to check and send back with the confirmation.
        preview = None
        if registration.status == DeathRegistration.Status.PENDING:
            figures = services.DeathFigures.of(services.death_registration_preview(registration=registration))
            preview = {
                "recovered_months": list(figures.recovered_months),
                "recovered_total": str(figures.recovered_total),
            }
        registration.preview = preview  # type: ignore[attr-defined]
        return Response(DeathDetailOutputSerializer(registration).data)


class DeathReportApi(APIView):
    class DeathReportInputSerializer(_RecordSerializer):
        retiree = serializers.IntegerField(help_text=_("本乡镇的退休人员 ID"))

    @extend_schema(
        tags=[TAG],
        summary=_("报告死亡(乡镇)"),
        description=_("乡镇经办人员报告本乡镇退休人员死亡,由县社保局登记复核。"),
        request=DeathReportInputSerializer,
        responses={
            201: DeathOutputSerializer,
            400: OpenApiResponse(description=_("{字段: [错误信息]}")),
            403: OpenApiResponse(description=_("无报告权限")),
            404: OpenApiResponse(description=_("退休人员不存在或不在可见范围内")),
        },
    )
    def post(self, request: Request) -> Response:
        user = _staff(request)
        access.require(user, Action.CERTIFY)
        data = self.DeathReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        retiree = access.get_visible_retiree_or_404(user, values["retiree"])
        registration = services.death_report(
            retiree=retiree,
            died_on=values["died_on"],
            reporter_name=values.get("reporter_name", ""),
            reporter_relation=values.get("reporter_relation", ""),
            reporter_phone=values.get("reporter_phone", ""),
            note=values.get("note", ""),
            by=user,
        )
        return Response(DeathOutputSerializer(registration).data, status=status.HTTP_201_CREATED)


class DeathConfirmApi(APIView):
    class DeathConfirmInputSerializer(serializers.Serializer):
        recovered_months = serializers.ListField(
            child=serializers.CharField(), allow_empty=True, help_text=_("核对过的死亡后多发月份(YYYY-MM)")
        )
        recovered_total = serializers.DecimalField(
            max_digits=12, decimal_places=2, help_text=_("核对过的死亡后多发合计")
        )

    @extend_schema(
        tags=[TAG],
        summary=_("确认死亡"),
        description=_(
            "非登记人的复核人员确认:人员状态改为死亡,死亡次月起已发月份登记追回,死亡后发放失败的月份不再发放。"
            "须带上核对过的多发月份和合计(见详情的预览),有变化时拒绝。"
        ),
        request=DeathConfirmInputSerializer,
        responses={
            200: DeathOutputSerializer,
            400: OpenApiResponse(description=_("{字段: [错误信息]}")),
            403: OpenApiResponse(description=_("无复核权限")),
            404: OpenApiResponse(description=_("死亡登记不存在或不在可见范围内")),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _staff(request)
        access.require(user, Action.APPROVE_CHANGES)
        registration = _visible(request, pk)
        data = self.DeathConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        seen = services.DeathFigures(
            recovered_months=tuple(data.validated_data["recovered_months"]),
            recovered_total=Decimal(data.validated_data["recovered_total"]),
        )
        registration = services.death_registration_confirm(registration=registration, by=user, seen=seen)
        return Response(DeathOutputSerializer(registration).data)


class DeathReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


def _reviewed_with_reason(request: Request, pk: int, move: Callable[..., DeathRegistration]) -> Response:
    """Reject and correct alike: a reviewer's move on a visible registration that must say why."""
    user = _staff(request)
    access.require(user, Action.APPROVE_CHANGES)
    registration = _visible(request, pk)
    data = DeathReasonSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    registration = move(registration=registration, reason=data.validated_data["reason"], by=user)
    return Response(DeathOutputSerializer(registration).data)


class DeathRejectApi(APIView):
    @extend_schema(
        tags=[TAG],
        summary=_("退回死亡登记"),
        request=DeathReasonSerializer,
        responses={
            200: DeathOutputSerializer,
            400: OpenApiResponse(description=_("{字段: [错误信息]}")),
            403: OpenApiResponse(description=_("无复核权限")),
            404: OpenApiResponse(description=_("死亡登记不存在或不在可见范围内")),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        return _reviewed_with_reason(request, pk, services.death_registration_reject)


class DeathCorrectApi(APIView):
    @extend_schema(
        tags=[TAG],
        summary=_("更正误报死亡"),
        description=_(
            "人员健在:恢复正常发放,撤销死亡后多发追回,登记为死亡期间未发及暂停期间的月份转入补发。"
            "丧葬抚恤待遇已审批或已发放、追回项已有退款/退回/抵扣/核销时拒绝。"
        ),
        request=DeathReasonSerializer,
        responses={
            200: DeathOutputSerializer,
            400: OpenApiResponse(description=_("{字段: [错误信息]}")),
            403: OpenApiResponse(description=_("无复核权限")),
            404: OpenApiResponse(description=_("死亡登记不存在或不在可见范围内")),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        return _reviewed_with_reason(request, pk, services.death_registration_correct)
