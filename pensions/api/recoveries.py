"""The recoveries API (追回): recoveries with their balance, a refund recorded by a clerk, a write-off asked
for by a clerk and approved or rejected by a reviewer who is neither the requester nor whoever recorded the
recovery. Thin views over pensions.selectors and pensions.services,
the same the pages use (pensions.views.recoveries); the same roles (a township officer gets 403). Errors come
back as {field: [message]} (registry.api.errors).
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access
from registry.access import Action
from registry.id_numbers import mask_resident_id
from registry.models import Recovery, Staff

from .. import selectors, services
from ..api.plans import FORBIDDEN_RESPONSE, TAG, PlanViewerPermission, amount_field
from ..models import WriteOffRequest

_ERRORS = OpenApiResponse(
    description=gettext_lazy("{字段: [错误信息]}:状态不允许、超过余额、本人登记的不能核销、余额已变化等")
)
_NO_RECOVERY = OpenApiResponse(description=gettext_lazy("没有这个追回项(或不在本人管辖范围内)"))
_NO_REQUEST = OpenApiResponse(description=gettext_lazy("没有这个核销申请(或不在本人管辖范围内)"))


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


def _recovery_or_404(request: Request, pk: int) -> Recovery:
    try:
        return selectors.recovery_get(user=_staff(request), pk=pk)
    except Recovery.DoesNotExist:
        raise Http404 from None


# Output -----------------------------------------------------------------------------------------------------


class WriteOffRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    recovery_id = serializers.IntegerField()
    reason = serializers.CharField(help_text=gettext_lazy("核销原因"))
    balance_at_request = amount_field(gettext_lazy("申请时的待追回余额(元)"))
    status = serializers.CharField(
        help_text=gettext_lazy("状态:pending 待审批,approved 已批准,rejected 已驳回")
    )
    status_label = serializers.CharField(source="get_status_display")
    requested_by = serializers.CharField(source="requested_by.display_name")
    requested_at = serializers.DateTimeField()
    decided_by = serializers.CharField(
        source="decided_by.display_name", allow_null=True, help_text=gettext_lazy("审批人,待审批时为空")
    )
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField(help_text=gettext_lazy("驳回理由"))


class RecoverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    retiree_id = serializers.IntegerField()
    retiree_name = serializers.CharField(source="retiree.name")
    id_number_masked = serializers.SerializerMethodField()
    # Plain text with the values listed: the registry's enums would collide in the schema's enum names.
    reason = serializers.CharField(
        help_text=gettext_lazy("原因:rate_change 调整标准多发,after_death 死亡后多发,other 其他多发")
    )
    reason_label = serializers.CharField(source="get_reason_display")
    from_month = serializers.CharField(help_text=gettext_lazy("起始月份,YYYY-MM"))
    to_month = serializers.CharField(help_text=gettext_lazy("截止月份,YYYY-MM"))
    status = serializers.CharField(
        help_text=gettext_lazy("状态:open 待追回,settled 已追回,written_off 已核销")
    )
    status_label = serializers.CharField(source="get_status_display")
    note = serializers.CharField()
    amount = amount_field(gettext_lazy("应追回金额(元)"))
    deducted = amount_field(gettext_lazy("发放计划已扣回(元),含未审批计划中的扣款"))
    refunded = amount_field(gettext_lazy("已退款(元)"))
    written_off = amount_field(gettext_lazy("已核销(元)"))
    balance = amount_field(gettext_lazy("待追回余额(元)= 应追回 − 已扣回 − 已退款 − 已核销"))
    created_by = serializers.CharField(source="created_by.display_name")
    created_at = serializers.DateTimeField()
    write_off_pending = serializers.BooleanField(help_text=gettext_lazy("有待审批的核销申请"))

    def get_id_number_masked(self, recovery: Recovery) -> str:
        return mask_resident_id(recovery.retiree.id_number)


# Views ------------------------------------------------------------------------------------------------------


class RecoveryListApi(ListAPIView):
    permission_classes = [PlanViewerPermission]
    serializer_class = RecoverySerializer

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(
            choices=Recovery.Status.choices, required=False, help_text=gettext_lazy("状态,不填为全部")
        )
        reason = serializers.ChoiceField(
            choices=Recovery.Reason.choices, required=False, help_text=gettext_lazy("原因,不填为全部")
        )

    def get_queryset(self) -> QuerySet[Recovery]:
        params = self.FilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.recovery_list(
            user=_staff(self.request),
            status=params.validated_data.get("status"),
            reason=params.validated_data.get("reason"),
        )

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("追回项列表"),
        description=gettext_lazy(
            "本人管辖范围内的追回项及其余额(身份证号码脱敏),登记早的在前(扣回按此顺序)。"
            "经办、财务审核和审计人员可看。"
        ),
        parameters=[FilterSerializer],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class RecoveryRefundApi(APIView):
    permission_classes = [PlanViewerPermission]

    class RefundInputSerializer(serializers.Serializer):
        amount = serializers.DecimalField(
            max_digits=12, decimal_places=2, help_text=gettext_lazy("退款金额(元),不超过待追回余额")
        )
        reference = serializers.CharField(max_length=64, help_text=gettext_lazy("收款凭证号"))
        paid_on = serializers.DateField(help_text=gettext_lazy("退款日期,不晚于今天"))

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("登记追回退款"),
        description=gettext_lazy(
            "退休人员或家属直接退回的多发金额。只能登记待追回的追回项,金额不超过余额;余额为零时追回项变为"
            "已追回。经办人员办理。"
        ),
        request=RefundInputSerializer,
        responses={201: RecoverySerializer, 400: _ERRORS, 403: FORBIDDEN_RESPONSE, 404: _NO_RECOVERY},
    )
    def post(self, request: Request, pk: int) -> Response:
        recovery = _recovery_or_404(request, pk)
        access.require(_staff(request), Action.PREPARE_PAYMENTS)
        data = self.RefundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.recovery_refund_record(recovery=recovery, by=_staff(request), **data.validated_data)
        return Response(
            RecoverySerializer(_recovery_or_404(request, pk)).data, status=status.HTTP_201_CREATED
        )


def _write_off_request_or_404(request: Request, pk: int) -> WriteOffRequest:
    try:
        return selectors.write_off_request_get(user=_staff(request), pk=pk)
    except WriteOffRequest.DoesNotExist:
        raise Http404 from None


def _request_out(pk: int) -> Response:
    decided = WriteOffRequest.objects.select_related("requested_by", "decided_by").get(pk=pk)
    return Response(WriteOffRequestSerializer(decided).data, status=status.HTTP_201_CREATED)


class RecoveryWriteOffRequestApi(APIView):
    permission_classes = [PlanViewerPermission]

    class WriteOffRequestInputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=300, help_text=gettext_lazy("核销原因(必填)"))

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("申请核销追回余额"),
        description=gettext_lazy(
            "经办人员申请核销待追回项的全部余额,须填写原因。每个追回项同时只能有一个待审批的申请;"
            "由既不是申请人、也不是追回项登记人的财务审核人员审批(双人复核)。"
        ),
        request=WriteOffRequestInputSerializer,
        responses={
            201: WriteOffRequestSerializer,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: _NO_RECOVERY,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        recovery = _recovery_or_404(request, pk)
        access.require(_staff(request), Action.PREPARE_PAYMENTS)
        data = self.WriteOffRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = services.write_off_request(recovery=recovery, by=_staff(request), **data.validated_data)
        return _request_out(made.pk)


class WriteOffRequestApproveApi(APIView):
    permission_classes = [PlanViewerPermission]

    class WriteOffApproveInputSerializer(serializers.Serializer):
        expected_balance = serializers.DecimalField(
            max_digits=12,
            decimal_places=2,
            help_text=gettext_lazy("核对用:确认时看到的待追回余额,余额已变化则拒绝"),
        )

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("批准核销申请"),
        description=gettext_lazy(
            "财务审核人员批准待审批的核销申请:核销追回项的全部余额,不能撤销。申请人和追回项登记人不能审批"
            "(双人复核);有未审批的发放计划正在扣回该追回项、或余额与 expected_balance 不符时拒绝,什么也不写。"
        ),
        request=WriteOffApproveInputSerializer,
        responses={
            201: WriteOffRequestSerializer,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: _NO_REQUEST,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        write_off_request = _write_off_request_or_404(request, pk)
        access.require(_staff(request), Action.APPROVE_PAYMENTS)
        data = self.WriteOffApproveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.write_off_request_approve(
            request=write_off_request, by=_staff(request), **data.validated_data
        )
        return _request_out(write_off_request.pk)


class WriteOffRequestRejectApi(APIView):
    permission_classes = [PlanViewerPermission]

    class WriteOffRejectInputSerializer(serializers.Serializer):
        note = serializers.CharField(max_length=300, help_text=gettext_lazy("驳回理由(必填)"))

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("驳回核销申请"),
        description=gettext_lazy(
            "财务审核人员驳回待审批的核销申请,须填写理由;追回项照常追回。申请人和追回项登记人不能驳回。"
        ),
        request=WriteOffRejectInputSerializer,
        responses={
            201: WriteOffRequestSerializer,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: _NO_REQUEST,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        write_off_request = _write_off_request_or_404(request, pk)
        access.require(_staff(request), Action.APPROVE_PAYMENTS)
        data = self.WriteOffRejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.write_off_request_reject(
            request=write_off_request, by=_staff(request), **data.validated_data
        )
        return _request_out(write_off_request.pk)
