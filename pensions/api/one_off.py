"""The one-off payment batch API (一次性支付): batches with their payments and totals, the moves draft →
submitted → approved (or back to draft), funding per bank, the bank files' export, and the re-issue of a
failed payment. A batch's bank files are downloaded and answered through the payout endpoints
(api-payout-bank-file-download, api-payout-return-file-import), which serve plans and batches alike.
Thin views over pensions.selectors.one_off and pensions.services, the same the pages use; the same roles (a
township officer gets 403). Errors come back as {field: [message]} (registry.api.errors).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any, cast

from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access
from registry.access import Action
from registry.id_numbers import mask_account_number, mask_resident_id
from registry.models import Bank, Staff

from .. import services
from ..models import OneOffBatch, OneOffPayment
from ..one_off_kinds import one_off_kind
from ..selectors import one_off as selectors
from .money import (
    BankFileSerializer,
    BankRefSerializer,
    ExportRefusedSerializer,
    FundingInputSerializer,
    FundingSerializer,
    bank_files_export_response,
)
from .plans import FORBIDDEN_RESPONSE, TAG, PlanViewerPermission, RefSerializer, amount_field

_ERRORS = OpenApiResponse(description=gettext_lazy("{字段: [错误信息]}:状态不允许、金额不符、已处理过等"))
BATCH_NOT_FOUND_RESPONSE = OpenApiResponse(description=gettext_lazy("没有这个一次性支付批次"))


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


# Output -----------------------------------------------------------------------------------------------------


class OneOffBatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    month = serializers.CharField(help_text=gettext_lazy("支付月份,YYYY-MM"))
    status = serializers.ChoiceField(choices=OneOffBatch.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    payment_count = serializers.IntegerField()
    total = amount_field(gettext_lazy("金额合计(元)"))
    lines_hash = serializers.CharField(help_text=gettext_lazy("提交时明细的 sha256,提交前为空"))
    submitted_by = serializers.CharField(source="submitted_by.display_name", allow_null=True, default=None)
    submitted_at = serializers.DateTimeField(allow_null=True)
    approved_by = serializers.CharField(source="approved_by.display_name", allow_null=True, default=None)
    approved_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField()


class OneOffPaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text=gettext_lazy("支付项目:death_claim 丧葬补助金和抚恤金"))
    kind_label = serializers.SerializerMethodField()
    source_id = serializers.IntegerField(help_text=gettext_lazy("来源(如抚恤待遇申请)编号"))
    source_url = serializers.SerializerMethodField(help_text=gettext_lazy("来源页面,空为无"))
    retiree = RefSerializer()
    township = RefSerializer()
    payee_name = serializers.CharField()
    payee_id_number_masked = serializers.SerializerMethodField()
    bank = BankRefSerializer()
    account_number_masked = serializers.SerializerMethodField()
    holder_name = serializers.CharField()
    amount = amount_field(gettext_lazy("金额(元)"))
    payment_status = serializers.ChoiceField(choices=OneOffPayment.PaymentStatus.choices)
    bank_reason = serializers.CharField()
    reissue_of_id = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("重发自哪笔失败支付"))
    reissued_as_id = serializers.SerializerMethodField(help_text=gettext_lazy("失败后重发的支付,空为未重发"))

    def get_kind_label(self, payment: OneOffPayment) -> str:
        kind = one_off_kind(payment.kind)
        return str(kind.label if kind else payment.get_kind_display())

    def get_source_url(self, payment: OneOffPayment) -> str:
        kind = one_off_kind(payment.kind)
        return kind.source_url(payment) if kind else ""

    def get_payee_id_number_masked(self, payment: OneOffPayment) -> str:
        return mask_resident_id(payment.payee_id_number)

    def get_account_number_masked(self, payment: OneOffPayment) -> str:
        return mask_account_number(payment.account_number)

    def get_reissued_as_id(self, payment: OneOffPayment) -> int | None:
        reissue = getattr(payment, "reissue", None)
        return None if reissue is None else int(reissue.pk)


class OneOffTotalRowSerializer(serializers.Serializer):
    key_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField()
    total = amount_field()


class OneOffTransitionSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    by = serializers.CharField(source="by.display_name")
    at = serializers.DateTimeField()
    reason = serializers.CharField()


class OneOffBatchDetailSerializer(OneOffBatchSerializer):
    payments = serializers.SerializerMethodField()
    bank_totals = serializers.SerializerMethodField()
    township_totals = serializers.SerializerMethodField()
    transitions = serializers.SerializerMethodField()

    def get_payments(self, batch: OneOffBatch) -> list[dict[str, Any]]:
        return list(OneOffPaymentSerializer(selectors.one_off_batch_payments(batch=batch), many=True).data)

    def get_bank_totals(self, batch: OneOffBatch) -> list[dict[str, Any]]:
        return list(
            OneOffTotalRowSerializer(selectors.one_off_batch_totals(batch=batch).banks, many=True).data
        )

    def get_township_totals(self, batch: OneOffBatch) -> list[dict[str, Any]]:
        return list(
            OneOffTotalRowSerializer(selectors.one_off_batch_totals(batch=batch).townships, many=True).data
        )

    def get_transitions(self, batch: OneOffBatch) -> list[dict[str, Any]]:
        return list(
            OneOffTransitionSerializer(selectors.one_off_batch_transitions(batch=batch), many=True).data
        )


class OneOffFiguresInputSerializer(serializers.Serializer):
    """The figures the person checked, as the batch detail returned them (compared under the batch's lock)."""

    payment_count = serializers.IntegerField(min_value=0, help_text=gettext_lazy("核对过的笔数"))
    total = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text=gettext_lazy("核对过的金额合计(元)")
    )

    def figures(self) -> services.BatchFigures:
        return services.BatchFigures(
            payment_count=self.validated_data["payment_count"], total=Decimal(self.validated_data["total"])
        )


class OneOffRejectInputSerializer(OneOffFiguresInputSerializer):
    reason = serializers.CharField(max_length=300, help_text=gettext_lazy("退回原因"))


def _detail(pk: int) -> dict[str, Any]:
    return dict(OneOffBatchDetailSerializer(selectors.one_off_batch_get_or_404(pk=pk)).data)


# Batches ----------------------------------------------------------------------------------------------------


def _move(
    request: Request,
    pk: int,
    action: Action,
    input_class: type[OneOffFiguresInputSerializer],
    move: Callable[[OneOffBatch, OneOffFiguresInputSerializer], object],
) -> Response:
    """Submit, approve and reject alike: the role first (403 before 404 or 400), then the batch, the figures
    the person confirmed, the move, and the batch as it is now."""
    access.require(_staff(request), action)
    batch = selectors.one_off_batch_get_or_404(pk=pk)
    data = input_class(data=request.data)
    data.is_valid(raise_exception=True)
    move(batch, data)
    return Response(_detail(pk))


class BatchListApi(APIView):
    permission_classes = [PlanViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("一次性支付批次"),
        description=gettext_lazy("每月一个批次:状态、笔数、金额合计,新月份在前。"),
        responses={200: OneOffBatchSerializer(many=True), 403: FORBIDDEN_RESPONSE},
    )
    def get(self, request: Request) -> Response:
        return Response(OneOffBatchSerializer(selectors.one_off_batch_list(), many=True).data)


class BatchDetailApi(APIView):
    permission_classes = [PlanViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("一次性支付批次详情"),
        description=gettext_lazy(
            "批次及其支付明细(收款人身份证号码、账号脱敏)、按银行和按乡镇的合计、办理经过。"
        ),
        responses={200: OneOffBatchDetailSerializer, 404: BATCH_NOT_FOUND_RESPONSE},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_detail(pk))


class BatchSubmitApi(APIView):
    permission_classes = [PlanViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("提交一次性支付批次"),
        description=gettext_lazy(
            "经办人员提交草稿批次(不能为空),须写明核对过的笔数和金额合计;提交后明细冻结,"
            "之后审批通过的待遇列入下月批次。"
        ),
        request=OneOffFiguresInputSerializer,
        responses={
            200: OneOffBatchDetailSerializer,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: BATCH_NOT_FOUND_RESPONSE,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        return _move(
            request,
            pk,
            Action.PREPARE_PAYMENTS,
            OneOffFiguresInputSerializer,
            lambda batch, data: services.one_off_batch_submit(
                batch=batch, by=_staff(request), seen=data.figures()
            ),
        )


class BatchApproveApi(APIView):
    permission_classes = [PlanViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("审批一次性支付批次"),
        description=gettext_lazy(
            "由提交人以外、有审批权限的人员审批,须写明核对过的笔数和金额合计:批次在此期间有变化时拒绝。"
        ),
        request=OneOffFiguresInputSerializer,
        responses={
            200: OneOffBatchDetailSerializer,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: BATCH_NOT_FOUND_RESPONSE,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        return _move(
            request,
            pk,
            Action.APPROVE_PAYMENTS,
            OneOffFiguresInputSerializer,
            lambda batch, data: services.one_off_batch_approve(
                batch=batch, by=_staff(request), seen=data.figures()
            ),
        )


class BatchRejectApi(APIView):
    permission_classes = [PlanViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("退回一次性支付批次"),
        description=gettext_lazy("审核人员(非提交人)写明原因,将已提交的批次退回草稿。"),
        request=OneOffRejectInputSerializer,
        responses={
            200: OneOffBatchDetailSerializer,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: BATCH_NOT_FOUND_RESPONSE,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        return _move(
            request,
            pk,
            Action.APPROVE_PAYMENTS,
            OneOffRejectInputSerializer,
            lambda batch, data: services.one_off_batch_reject(
                batch=batch, by=_staff(request), reason=data.validated_data["reason"], seen=data.figures()
            ),
        )


# Money ------------------------------------------------------------------------------------------------------


class BatchFundingsApi(APIView):
    permission_classes = [PlanViewerPermission]

    class OneOffFundingInputSerializer(FundingInputSerializer):
        amount = serializers.DecimalField(
            max_digits=12, decimal_places=2, help_text=gettext_lazy("拨付金额(元),须等于该银行的支付合计")
        )

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("一次性支付批次的拨付"),
        description=gettext_lazy("已登记的拨付,每家银行至多一笔。"),
        responses={200: FundingSerializer(many=True), 404: BATCH_NOT_FOUND_RESPONSE},
    )
    def get(self, request: Request, pk: int) -> Response:
        batch = selectors.one_off_batch_get_or_404(pk=pk)
        return Response(FundingSerializer(selectors.one_off_batch_fundings(batch=batch), many=True).data)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("登记一次性支付批次的资金拨付"),
        description=gettext_lazy(
            "登记一家银行的拨付,金额须与该银行的支付合计分毫不差,每家银行一次。"
            "最后一家登记后批次进入“已拨付”。财务审核人员办理。"
        ),
        request=OneOffFundingInputSerializer,
        responses={
            201: FundingSerializer,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: BATCH_NOT_FOUND_RESPONSE,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        batch = selectors.one_off_batch_get_or_404(pk=pk)
        access.require(_staff(request), Action.APPROVE_PAYMENTS)
        data = self.OneOffFundingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        funding = services.one_off_funding_record(batch=batch, by=_staff(request), **data.validated_data)
        return Response(FundingSerializer(funding).data, status=status.HTTP_201_CREATED)


class BatchBankFilesApi(APIView):
    permission_classes = [PlanViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("一次性支付批次的银行文件"),
        description=gettext_lazy(
            "各银行的代发文件(不含内容)及其回盘。下载和导入回盘用发放计划的银行文件接口。"
        ),
        responses={200: BankFileSerializer(many=True), 404: BATCH_NOT_FOUND_RESPONSE},
    )
    def get(self, request: Request, pk: int) -> Response:
        batch = selectors.one_off_batch_get_or_404(pk=pk)
        return Response(BankFileSerializer(selectors.one_off_batch_bank_files(batch=batch), many=True).data)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("生成一次性支付批次的银行文件"),
        description=gettext_lazy(
            "按各银行的文件格式生成代发文件(付款编号 B{批次}P{支付}),批次进入“已生成银行文件”。"
            "再次调用返回已生成的文件(200),不会生成第二份。经办人员办理。"
        ),
        request=None,
        responses={
            201: BankFileSerializer(many=True),
            200: BankFileSerializer(many=True),
            400: ExportRefusedSerializer,
            403: FORBIDDEN_RESPONSE,
            404: BATCH_NOT_FOUND_RESPONSE,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        batch = selectors.one_off_batch_get_or_404(pk=pk)
        access.require(_staff(request), Action.PREPARE_PAYMENTS)
        return bank_files_export_response(
            export=partial(services.one_off_bank_files_export, batch=batch, by=_staff(request)),
            files=lambda: selectors.one_off_batch_bank_files(batch=batch),
            already=batch.status in (OneOffBatch.Status.EXPORTED, OneOffBatch.Status.RECONCILED),
        )


class PaymentReissueApi(APIView):
    permission_classes = [PlanViewerPermission]

    class OneOffReissueInputSerializer(serializers.Serializer):
        bank = serializers.PrimaryKeyRelatedField(
            queryset=Bank.objects.all(), help_text=gettext_lazy("银行 ID")
        )
        account_number = serializers.CharField(max_length=32, help_text=gettext_lazy("更正后的账号"))
        holder_name = serializers.CharField(max_length=50, help_text=gettext_lazy("户名"))

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("重发失败的一次性支付"),
        description=gettext_lazy(
            "银行回盘失败的支付,按更正后的账户重发一次:同额同收款人的新支付列入当前草稿批次。"
            "未失败或已重发过的支付被拒绝。经办人员办理。"
        ),
        request=OneOffReissueInputSerializer,
        responses={
            201: OneOffPaymentSerializer,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: OpenApiResponse(description=gettext_lazy("没有这笔支付")),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        payment = OneOffPayment.objects.filter(pk=pk).first()
        if payment is None:
            raise Http404
        access.require(_staff(request), Action.PREPARE_PAYMENTS)
        data = self.OneOffReissueInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reissue = services.one_off_payment_reissue(payment=payment, by=_staff(request), **data.validated_data)
        shown = selectors.one_off_batch_payments(batch=reissue.batch).get(pk=reissue.pk)
        return Response(OneOffPaymentSerializer(shown).data, status=status.HTTP_201_CREATED)
