"""The recoveries API (追回): recoveries with their balance, a refund recorded by a clerk, a write-off asked
for by a clerk and approved or rejected by a reviewer who is neither the requester nor whoever recorded the
recovery. Thin views over pensions.selectors and pensions.services,
the same the pages use (pensions.views.recoveries); the same roles (a township officer gets 403). Errors come
back as {field: [message]} (registry.api.errors).
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access
from registry.access import Action
from registry.api.renderers import PdfRenderer
from registry.id_numbers import mask_account_number, mask_resident_id
from registry.models import Bank, Recovery, Staff
from registry.selectors.exports import XLSX_CONTENT_TYPE
from registry.services import sensitive_export_numbers

from .. import selectors, services
from ..api.plans import FORBIDDEN_RESPONSE, TAG, PlanViewerPermission, amount_field
from ..models import (
    RecoveryClawback,
    RecoveryDocumentPrint,
    RecoveryReferral,
    RecoveryRefund,
    WriteOffRequest,
)
from ..pdfs.recovery_documents import IssuedDocument, recovery_document_issue

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
        help_text=gettext_lazy("状态:open 待追回,settled 已追回,written_off 已核销,cancelled 已撤销")
    )
    status_label = serializers.CharField(source="get_status_display")
    note = serializers.CharField()
    amount = amount_field(gettext_lazy("应追回金额(元)"))
    deducted = amount_field(gettext_lazy("发放计划已扣回(元),含未审批计划中的扣款"))
    refunded = amount_field(gettext_lazy("已退款(元)"))
    written_off = amount_field(gettext_lazy("已核销(元)"))
    clawed_back = amount_field(gettext_lazy("银行已退回(元)"))
    offset = amount_field(gettext_lazy("抚恤待遇抵扣(元)"))
    balance = amount_field(
        gettext_lazy("待追回余额(元)= 应追回 − 已扣回 − 已退款 − 银行退回 − 抵扣 − 已核销")
    )
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
        payer = serializers.CharField(
            max_length=50,
            required=False,
            allow_blank=True,
            help_text=gettext_lazy("缴款人(家属等),本人退回可不填"),
        )

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


# Follow-up: history, claw-backs, referral, documents, aging (docs/recoveries.md) ---------------------------

_NO_CLAWBACK = OpenApiResponse(description=gettext_lazy("没有这个银行退回请求(或不在本人管辖范围内)"))
_NO_REFERRAL = OpenApiResponse(description=gettext_lazy("没有这个移送记录(或不在本人管辖范围内)"))
_NO_REFUND = OpenApiResponse(description=gettext_lazy("没有这笔退款(或不在本人管辖范围内)"))
_PURPOSE_PARAMETERS = [
    OpenApiParameter(
        "purpose",
        str,
        required=False,
        description=gettext_lazy(
            "要完整的身份证号码和账号时填写用途;不填则为掩码。仅限可查看完整号码的角色,每次记录。"
        ),
    ),
    OpenApiParameter("purpose_note", str, required=False, description=gettext_lazy("用途说明(other 时必填)")),
]


class _XlsxRenderer(PdfRenderer):
    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"


class RecoveryMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text=gettext_lazy("所属月份,YYYY-MM"))
    amount = amount_field(gettext_lazy("多发金额(元)"))
    plan_id = serializers.IntegerField(source="line.plan_id")
    line_id = serializers.IntegerField()
    bank = serializers.CharField(source="line.bank.name", allow_null=True)
    account_number_masked = serializers.SerializerMethodField()
    payment_status = serializers.CharField(source="line.payment_status")

    def get_account_number_masked(self, item: Any) -> str:
        return mask_account_number(item.line.account_number)


class RefundOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = amount_field(gettext_lazy("退款金额(元)"))
    reference = serializers.CharField()
    paid_on = serializers.DateField()
    payer = serializers.CharField(help_text=gettext_lazy("缴款人,空为本人"))
    by = serializers.CharField(source="by.display_name")
    at = serializers.DateTimeField()


class ClawbackSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    recovery_id = serializers.IntegerField()
    bank_id = serializers.IntegerField()
    bank = serializers.CharField(source="bank.name")
    account_number_masked = serializers.SerializerMethodField()
    requested_amount = amount_field(gettext_lazy("请求退回金额(元)"))
    status = serializers.CharField(
        help_text=gettext_lazy("requested 已发函,returned 银行已退回,refused 银行未能退回")
    )
    requested_by = serializers.CharField(source="requested_by.display_name")
    requested_at = serializers.DateTimeField()
    returned_amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    returned_on = serializers.DateField(allow_null=True)
    returned_reference = serializers.CharField()
    result_note = serializers.CharField()
    result_by = serializers.CharField(source="result_by.display_name", allow_null=True)
    result_at = serializers.DateTimeField(allow_null=True)

    def get_account_number_masked(self, item: RecoveryClawback) -> str:
        return mask_account_number(item.account_number)


class OffsetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    claim_id = serializers.IntegerField()
    amount = amount_field(gettext_lazy("抵扣金额(元)"))
    consent = serializers.CharField()
    by = serializers.CharField(source="by.display_name")
    at = serializers.DateTimeField()


class ReferralSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    recovery_id = serializers.IntegerField()
    agency = serializers.CharField()
    referred_on = serializers.DateField()
    case_number = serializers.CharField()
    status = serializers.CharField(
        help_text=gettext_lazy("referred 已移送,in_proceedings 诉讼中,closed 已结案")
    )
    note = serializers.CharField()
    by = serializers.CharField(source="by.display_name")
    at = serializers.DateTimeField()


class DeductionSerializer(serializers.Serializer):
    month = serializers.CharField()
    plan_id = serializers.IntegerField()
    plan_status = serializers.CharField()
    amount = amount_field()


class RecoveryDetailSerializer(RecoverySerializer):
    months = RecoveryMonthSerializer(many=True, source="history.months")
    deductions = DeductionSerializer(many=True, source="history.deductions")
    refunds = RefundOutSerializer(many=True, source="history.refunds")
    clawbacks = ClawbackSerializer(many=True, source="history.clawbacks")
    offsets = OffsetSerializer(many=True, source="history.offsets")
    referral = ReferralSerializer(source="history.referral", allow_null=True)
    write_off_requests = WriteOffRequestSerializer(many=True, source="history.write_off_requests")


def _detail_out(request: Request, pk: int, code: int = status.HTTP_200_OK) -> Response:
    recovery: Any = _recovery_or_404(request, pk)
    recovery.history = selectors.recovery_history(recovery=recovery)
    return Response(RecoveryDetailSerializer(recovery).data, status=code)


class RecoveryDetailApi(APIView):
    permission_classes = [PlanViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("追回项及其全部记录"),
        description=gettext_lazy(
            "余额及其构成,死亡后多发月份(含发放计划),发放计划扣回、退款、银行退回请求与结果、抚恤待遇抵扣、"
            "移送司法、核销申请。账号只给掩码。"
        ),
        responses={200: RecoveryDetailSerializer, 403: FORBIDDEN_RESPONSE, 404: _NO_RECOVERY},
    )
    def get(self, request: Request, pk: int) -> Response:
        return _detail_out(request, pk)


def _scoped(request: Request, model: Any, pk: int) -> Any:
    row = model.objects.filter(pk=pk).first()
    if row is None:
        raise Http404
    _recovery_or_404(request, row.recovery_id)
    return row


class RecoveryClawbackApi(APIView):
    permission_classes = [PlanViewerPermission]

    class ClawbackInputSerializer(serializers.Serializer):
        bank = serializers.PrimaryKeyRelatedField(
            queryset=Bank.objects.all(), help_text=gettext_lazy("银行 ID:死亡后多发月份经该银行发放")
        )

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("请银行协助退回"),
        description=gettext_lazy(
            "死亡后多发的追回项:请该银行从死者账户退回经该行发放的多发金额(扣除该行已退回部分,不超过余额)。"
            "同一银行同时只能有一个待回复的请求。经办人员办理。"
        ),
        request=ClawbackInputSerializer,
        responses={201: ClawbackSerializer, 400: _ERRORS, 403: FORBIDDEN_RESPONSE, 404: _NO_RECOVERY},
    )
    def post(self, request: Request, pk: int) -> Response:
        recovery = _recovery_or_404(request, pk)
        access.require(_staff(request), Action.PREPARE_PAYMENTS)
        data = self.ClawbackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = services.recovery_clawback_request(
            recovery=recovery, bank=data.validated_data["bank"], by=_staff(request)
        )
        return Response(ClawbackSerializer(made).data, status=status.HTTP_201_CREATED)


class ClawbackResultApi(APIView):
    permission_classes = [PlanViewerPermission]

    class ClawbackResultInputSerializer(serializers.Serializer):
        outcome = serializers.ChoiceField(
            choices=[("returned", "returned"), ("refused", "refused")],
            help_text=gettext_lazy("returned 银行已退回,refused 银行未能退回"),
        )
        returned_amount = serializers.DecimalField(
            max_digits=12, decimal_places=2, required=False, help_text=gettext_lazy("退回金额(元)")
        )
        returned_on = serializers.DateField(required=False, help_text=gettext_lazy("退回日期"))
        reference = serializers.CharField(
            max_length=64, required=False, allow_blank=True, help_text=gettext_lazy("退回凭证号")
        )
        note = serializers.CharField(
            max_length=200, required=False, allow_blank=True, help_text=gettext_lazy("说明(未能退回时必填)")
        )

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("登记银行退回结果"),
        description=gettext_lazy(
            "银行已退回:金额不超过请求金额和余额,减少余额,余额为零时追回项变为已追回;"
            "银行未能退回:须说明原因,余额不变。经办人员办理。"
        ),
        request=ClawbackResultInputSerializer,
        responses={201: ClawbackSerializer, 400: _ERRORS, 403: FORBIDDEN_RESPONSE, 404: _NO_CLAWBACK},
    )
    def post(self, request: Request, pk: int) -> Response:
        clawback = _scoped(request, RecoveryClawback, pk)
        access.require(_staff(request), Action.PREPARE_PAYMENTS)
        data = self.ClawbackResultInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        returned = values["outcome"] == "returned"
        if returned and values.get("returned_amount") is None:
            raise serializers.ValidationError({"returned_amount": [_("请填写银行退回的金额。")]})
        done = services.recovery_clawback_result(
            clawback=clawback,
            returned_amount=values.get("returned_amount") if returned else None,
            returned_on=values.get("returned_on") if returned else None,
            reference=values.get("reference", "") if returned else "",
            note=values.get("note", ""),
            by=_staff(request),
        )
        done = RecoveryClawback.objects.select_related("bank", "requested_by", "result_by").get(pk=done.pk)
        return Response(ClawbackSerializer(done).data, status=status.HTTP_201_CREATED)


class RecoveryReferralApi(APIView):
    permission_classes = [PlanViewerPermission]

    class ReferralInputSerializer(serializers.Serializer):
        agency = serializers.CharField(max_length=100, help_text=gettext_lazy("移送机关"))
        referred_on = serializers.DateField(help_text=gettext_lazy("移送日期,不晚于今天"))
        case_number = serializers.CharField(max_length=60, required=False, allow_blank=True)
        note = serializers.CharField(max_length=300, required=False, allow_blank=True)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("移送司法"),
        description=gettext_lazy(
            "待追回项移送司法机关,每个追回项一次;以后用更新接口登记进展。经办人员办理。"
        ),
        request=ReferralInputSerializer,
        responses={201: ReferralSerializer, 400: _ERRORS, 403: FORBIDDEN_RESPONSE, 404: _NO_RECOVERY},
    )
    def post(self, request: Request, pk: int) -> Response:
        recovery = _recovery_or_404(request, pk)
        access.require(_staff(request), Action.PREPARE_PAYMENTS)
        data = self.ReferralInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = services.recovery_referral_create(recovery=recovery, by=_staff(request), **data.validated_data)
        return Response(ReferralSerializer(made).data, status=status.HTTP_201_CREATED)


class ReferralUpdateApi(APIView):
    permission_classes = [PlanViewerPermission]

    class ReferralUpdateInputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(
            choices=RecoveryReferral.Status.choices,
            help_text=gettext_lazy("referred 已移送,in_proceedings 诉讼中(须有案号),closed 已结案"),
        )
        case_number = serializers.CharField(max_length=60, required=False, allow_blank=True)
        note = serializers.CharField(max_length=300, required=False, allow_blank=True)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("更新移送情况"),
        description=gettext_lazy("已移送 → 诉讼中 → 已结案(或直接结案),已结案的不再变更。经办人员办理。"),
        request=ReferralUpdateInputSerializer,
        responses={201: ReferralSerializer, 400: _ERRORS, 403: FORBIDDEN_RESPONSE, 404: _NO_REFERRAL},
    )
    def post(self, request: Request, pk: int) -> Response:
        referral = _scoped(request, RecoveryReferral, pk)
        access.require(_staff(request), Action.PREPARE_PAYMENTS)
        data = self.ReferralUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = services.recovery_referral_update(referral=referral, by=_staff(request), **data.validated_data)
        return Response(ReferralSerializer(done).data, status=status.HTTP_201_CREATED)


def _document(document: IssuedDocument) -> HttpResponse:
    response = HttpResponse(document.content, content_type=document.content_type)
    inline = document.content_type == "application/pdf"
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=not inline, filename=document.filename) or "inline"
    )
    response["Cache-Control"] = "no-store"
    return response


def _numbers(request: Request) -> Any:
    return sensitive_export_numbers(
        user=request.user,
        purpose=request.query_params.get("purpose"),
        purpose_note=request.query_params.get("purpose_note"),
    )


def _numbered_document(request: Request, kind: str, **subject: Any) -> HttpResponse:
    """A document that shows account or ID numbers: masked, or whole when the query gives a purpose
    (checked and recorded by _numbers). `subject`: the claw-back or referral it is about, already scoped."""
    return _document(
        recovery_document_issue(kind=kind, numbers=_numbers(request), by=_staff(request), **subject)
    )


class RefundReceiptApi(APIView):
    permission_classes = [PlanViewerPermission]
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("退款收款收据(PDF)"),
        description=gettext_lazy(
            "缴款人、代谁退回、月份、金额(小写和大写)、凭证号、收款经办人、日期;身份证号码脱敏。每次打印均记录。"
        ),
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 403: FORBIDDEN_RESPONSE, 404: _NO_REFUND},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        refund = _scoped(request, RecoveryRefund, pk)
        return _document(
            recovery_document_issue(
                kind=RecoveryDocumentPrint.Kind.RECEIPT, refund=refund, by=_staff(request)
            )
        )


class ClawbackLetterApi(APIView):
    permission_classes = [PlanViewerPermission]
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("银行退回函(PDF)"),
        description=gettext_lazy(
            "致银行的协助退回函:账户、月份与金额。号码默认脱敏;给出用途时为完整号码并记录。"
        ),
        parameters=_PURPOSE_PARAMETERS,
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: _NO_CLAWBACK,
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return _numbered_document(
            request,
            RecoveryDocumentPrint.Kind.CLAWBACK_LETTER,
            clawback=_scoped(request, RecoveryClawback, pk),
        )


class ClawbackListApi(APIView):
    permission_classes = [PlanViewerPermission]
    renderer_classes = [JSONRenderer, _XlsxRenderer]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("银行退回明细表(xlsx)"),
        description=gettext_lazy(
            "账号、户名、姓名、月份、金额,一月一行。号码默认脱敏;给出用途时为完整号码并记录。"
        ),
        parameters=_PURPOSE_PARAMETERS,
        responses={
            (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: _NO_CLAWBACK,
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return _numbered_document(
            request, RecoveryDocumentPrint.Kind.CLAWBACK_LIST, clawback=_scoped(request, RecoveryClawback, pk)
        )


class ReferralLetterApi(APIView):
    permission_classes = [PlanViewerPermission]
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("移送函(PDF)"),
        description=gettext_lazy(
            "移送函:人员、月份与金额、已追回与尚未追回。号码默认脱敏;给出用途时为完整号码并记录。"
        ),
        parameters=_PURPOSE_PARAMETERS,
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: _NO_REFERRAL,
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return _numbered_document(
            request,
            RecoveryDocumentPrint.Kind.REFERRAL_LETTER,
            referral=_scoped(request, RecoveryReferral, pk),
        )


class AgingCellSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    balance = amount_field(gettext_lazy("待追回余额(元)"))


class AgingRowSerializer(serializers.Serializer):
    township_id = serializers.IntegerField(source="township.pk", allow_null=True)
    township = serializers.CharField(source="township.name", allow_null=True)
    cells = AgingCellSerializer(many=True, help_text=gettext_lazy("按账龄段顺序"))
    total = AgingCellSerializer()


class AgingReportSerializer(serializers.Serializer):
    today = serializers.DateField()
    bands = serializers.SerializerMethodField(
        help_text=gettext_lazy("账龄段:d0_30, d31_90, d91_365, over_365")
    )
    rows = AgingRowSerializer(many=True)
    totals = AgingCellSerializer(many=True)
    total = AgingCellSerializer()

    def get_bands(self, report: Any) -> list[dict[str, str]]:
        return [{"key": key, "label": label} for key, label in report.bands]


class RecoveryAgingApi(APIView):
    permission_classes = [PlanViewerPermission]

    class AgingFilterSerializer(serializers.Serializer):
        reason = serializers.ChoiceField(
            choices=Recovery.Reason.choices, required=False, help_text=gettext_lazy("原因,不填为全部")
        )

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("待追回款账龄"),
        description=gettext_lazy(
            "待追回项按乡镇(单位顺序)和账龄段(登记后 0–30、31–90、91–365、365 天以上)汇总笔数和余额。"
        ),
        parameters=[AgingFilterSerializer],
        responses={200: AgingReportSerializer, 403: FORBIDDEN_RESPONSE},
    )
    def get(self, request: Request) -> Response:
        params = self.AgingFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        report = selectors.recovery_aging(user=_staff(request), reason=params.validated_data.get("reason"))
        return Response(AgingReportSerializer(report).data)
