"""The REST API of information changes (maker-checker): the same services and scoping as the pages.

POST /api/change-requests/ is multipart (the scanned document is a file); `new_value` is a JSON object sent
as a string field. Refusals come back as {field: [message]} (registry.api.errors).
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import access
from ..access import Action
from ..fields import PensionMonthFormField
from ..models import ChangeRequest, Staff
from ..selectors import changes as selectors
from ..services import changes as services

TAG = "change-requests"


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


class ChangeRequestOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    retiree = serializers.IntegerField(source="retiree_id")
    retiree_name = serializers.CharField(source="retiree.name")
    field = serializers.ChoiceField(choices=ChangeRequest.Field.choices)
    field_label = serializers.CharField(source="get_field_display")
    old_value = serializers.JSONField()
    new_value = serializers.JSONField()
    reason = serializers.CharField()
    approval_reference = serializers.CharField()
    new_amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    effective_month = serializers.CharField(allow_null=True, help_text=_("YYYY-MM"))
    status = serializers.ChoiceField(choices=ChangeRequest.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    requested_by = serializers.CharField(source="requested_by.display_name")
    requested_at = serializers.DateTimeField()
    decided_by = serializers.CharField(source="decided_by.display_name", allow_null=True, default=None)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_comment = serializers.CharField()
    document_url = serializers.SerializerMethodField()

    def get_document_url(self, change: ChangeRequest) -> str | None:
        # None for an item that needs no proof (contact details) and was sent without one.
        return reverse("change-request-document", args=[change.pk]) if change.document else None


class MonthField(serializers.CharField):
    """YYYY-MM, read as a PensionMonth (the same parser as the pages)."""

    def to_internal_value(self, data: Any) -> Any:
        text = super().to_internal_value(data)
        return PensionMonthFormField(required=False).clean(text) if text else None


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary=_("信息变更申请列表"),
        description=_("审核人员和审计人员看到可见范围内的全部申请,经办人员看到自己提交的;待审核的在前。"),
    )
)
class ChangeRequestListApi(ListAPIView):
    serializer_class = ChangeRequestOutputSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=ChangeRequest.Status.choices, required=False)
        field = serializers.ChoiceField(choices=ChangeRequest.Field.choices, required=False)

    class CreateSerializer(serializers.Serializer):
        retiree = serializers.IntegerField(help_text=_("退休人员 ID"))
        field = serializers.ChoiceField(choices=ChangeRequest.Field.choices)
        new_value = serializers.JSONField(
            binary=True,
            help_text=_(
                "新值(JSON 对象)。name: {name};id_number: {id_number, birth_date_differs};birth_date: "
                "{birth_date};work_start_date: {work_start_date};contribution_months: {contribution_months};"
                "contact: {phone, address};residence: "
                "{residence, community_id, remote_province, remote_city, remote_address};bank_account: "
                "{bank_id, account_number, holder_name};"
                "agent: {name, id_number, relation, phone} 或 {remove: true}"
            ),
        )
        reason = serializers.CharField(allow_blank=True, max_length=300)
        document = serializers.FileField(
            required=False,
            allow_null=True,
            help_text=_("证明材料扫描件:PDF、JPG 或 PNG。联系方式(contact)的变更不需要,其他项目必须附"),
        )
        approval_reference = serializers.CharField(required=False, allow_blank=True, max_length=60)
        new_amount = serializers.DecimalField(
            max_digits=12, decimal_places=2, required=False, allow_null=True
        )
        effective_month = MonthField(
            required=False, allow_blank=True, allow_null=True, help_text=_("YYYY-MM")
        )

    def get_queryset(self) -> QuerySet[ChangeRequest]:
        params = self.FilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.change_request_queue(
            user=_staff(self.request),
            status=params.validated_data.get("status", ""),
            field=params.validated_data.get("field", ""),
        )

    @extend_schema(
        tags=[TAG],
        summary=_("申请信息变更"),
        description=_(
            "提交后须由他人审核。出生日期、参加工作时间、缴费月数须附人社局审批文号、调整后月养老金和调整起始月份;"
            "起始月份可早于已执行的年度调待(批准时按新情况重新计算该次调待)。"
            "同一项目已有待审核申请时拒绝。"
        ),
        request={"multipart/form-data": CreateSerializer},
        responses={
            201: ChangeRequestOutputSerializer,
            400: OpenApiResponse(description=_("{字段: [错误信息]}")),
            403: OpenApiResponse(description=_("无申请权限")),
            404: OpenApiResponse(description=_("退休人员不存在或不在可见范围内")),
        },
    )
    def post(self, request: Request) -> Response:
        # The role first: a role that may not ask for changes gets 403, not its body's validation errors.
        access.require(_staff(request), Action.EDIT_REGISTRY)
        data = self.CreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        retiree = access.get_visible_retiree_or_404(_staff(request), values["retiree"])
        change = services.change_request_create(
            retiree=retiree,
            field=values["field"],
            new_value=values["new_value"],
            reason=values["reason"],
            document=values.get("document"),
            approval_reference=values.get("approval_reference", ""),
            new_amount=values.get("new_amount"),
            effective_month=values.get("effective_month"),
            by=_staff(request),
        )
        return Response(ChangeRequestOutputSerializer(change).data, status=status.HTTP_201_CREATED)


def _visible(request: Request, pk: int) -> ChangeRequest:
    try:
        return selectors.change_request_for(user=_staff(request), pk=pk)
    except ChangeRequest.DoesNotExist:
        raise Http404 from None


class ChangeRequestDetailApi(APIView):
    @extend_schema(
        tags=[TAG],
        summary=_("信息变更申请详情"),
        responses={
            200: ChangeRequestOutputSerializer,
            404: OpenApiResponse(description=_("不存在或不在可见范围内")),
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(ChangeRequestOutputSerializer(_visible(request, pk)).data)


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=300, help_text=_("审核意见"))


class ChangeRequestApproveApi(APIView):
    @extend_schema(
        tags=[TAG],
        summary=_("批准信息变更"),
        description=_(
            "由申请人以外、有审核权限的人员批准;批准即生效,零星调资同时重新计算其后已执行的年度调待,"
            "并按月登记补发或追回。"
        ),
        request=DecisionSerializer,
        responses={
            200: ChangeRequestOutputSerializer,
            400: OpenApiResponse(description=_("{字段: [错误信息]}")),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        change = _visible(request, pk)
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = services.change_request_approve(
            change_request=change, by=_staff(request), comment=data.validated_data.get("comment", "")
        )
        return Response(ChangeRequestOutputSerializer(change).data)


class ChangeRequestRejectApi(APIView):
    @extend_schema(
        tags=[TAG],
        summary=_("驳回信息变更"),
        description=_("须填写审核意见;驳回不改变任何登记内容。"),
        request=DecisionSerializer,
        responses={
            200: ChangeRequestOutputSerializer,
            400: OpenApiResponse(description=_("{字段: [错误信息]}")),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        change = _visible(request, pk)
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = services.change_request_reject(
            change_request=change, by=_staff(request), comment=data.validated_data.get("comment", "")
        )
        return Response(ChangeRequestOutputSerializer(change).data)
