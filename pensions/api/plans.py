"""The payout plan API: plans with their totals, their lines, and the moves draft → submitted → approved (or
back to draft). Thin views over pensions.selectors and pensions.services, the same the pages use; the same
roles (a township officer gets 403). Errors come back as {field: [message]} (registry.api.errors).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access
from registry.access import Action
from registry.id_numbers import mask_account_number, mask_resident_id
from registry.models import Bank, OrgUnit, SensitiveExport, Staff
from registry.months import PensionMonth
from registry.services import MASKED, sensitive_export_numbers, sensitive_export_record

from .. import selectors, services
from ..models import PayoutLine, PayoutPlan
from ..services.plan_jobs import plan_draft_start
from .plan_jobs import PlanJobSerializer, plan_job_accepted

TAG = "pensions"


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


class PlanViewerPermission(BasePermission):
    """The roles that work with payouts may read; each write is checked again by its service (403)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return selectors.can_view_plans(request.user)


# Output -----------------------------------------------------------------------------------------------------


def amount_field(help_text: Any = "") -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, help_text=help_text)


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PlanOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    month = serializers.CharField(help_text=gettext_lazy("发放月份,YYYY-MM"))
    status = serializers.ChoiceField(choices=PayoutPlan.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    line_count = serializers.IntegerField()
    regular_total = amount_field(gettext_lazy("按月发放合计(元)"))
    arrears_total = amount_field(gettext_lazy("补发合计(元)"))
    deduction_total = amount_field(gettext_lazy("扣回合计(元)"))
    withheld_total = amount_field(gettext_lazy("暂停发放合计(元)"))
    net_total = amount_field(gettext_lazy("实发合计(元)"))
    lines_hash = serializers.CharField(help_text=gettext_lazy("审批时明细的 sha256,审批前为空"))
    created_by = serializers.CharField(
        source="created_by.display_name",
        allow_null=True,
        default=None,
        help_text=gettext_lazy("空为系统生成"),
    )
    generated_at = serializers.DateTimeField()
    submitted_by = serializers.CharField(source="submitted_by.display_name", allow_null=True, default=None)
    submitted_at = serializers.DateTimeField(allow_null=True)
    approved_by = serializers.CharField(source="approved_by.display_name", allow_null=True, default=None)
    approved_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField()


class TotalRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="key_id", allow_null=True, help_text=gettext_lazy("空:无当前账户"))
    name = serializers.CharField()
    line_count = serializers.IntegerField()
    regular_total = amount_field()
    arrears_total = amount_field()
    deduction_total = amount_field()
    withheld_total = amount_field()
    net_total = amount_field()


class TotalsSerializer(serializers.Serializer):
    matches_lines = serializers.BooleanField(help_text=gettext_lazy("保存的合计与明细重新汇总的结果一致"))
    mismatch = serializers.CharField()
    banks = TotalRowSerializer(many=True)
    townships = TotalRowSerializer(many=True)


class TransitionSerializer(serializers.Serializer):
    # Plain text rather than the status enum a second and third time under other names.
    from_status = serializers.CharField(help_text=gettext_lazy("原状态,空为新生成"))
    to_status = serializers.CharField()
    by = serializers.CharField(source="by.display_name", allow_null=True, default=None)
    at = serializers.DateTimeField()
    reason = serializers.CharField()


class PlanDetailSerializer(PlanOutputSerializer):
    totals = serializers.SerializerMethodField()
    transitions = serializers.SerializerMethodField()

    @extend_schema_field(TotalsSerializer)
    def get_totals(self, plan: PayoutPlan) -> dict[str, Any]:
        return dict(TotalsSerializer(selectors.plan_totals(plan=plan)).data)

    @extend_schema_field(TransitionSerializer(many=True))
    def get_transitions(self, plan: PayoutPlan) -> list[Any]:
        return list(TransitionSerializer(selectors.plan_transitions(plan=plan), many=True).data)


class LineOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    retiree_id = serializers.IntegerField()
    name = serializers.CharField()
    id_number_masked = serializers.SerializerMethodField()
    township = RefSerializer()
    community = RefSerializer()
    bank = RefSerializer(allow_null=True)
    account_number_masked = serializers.SerializerMethodField()
    holder_name = serializers.CharField()
    is_withheld = serializers.BooleanField()
    regular = amount_field()
    arrears = amount_field()
    deduction = amount_field()
    withheld = amount_field()
    net = amount_field()
    payment_status = serializers.ChoiceField(choices=PayoutLine.PaymentStatus.choices)
    bank_reason = serializers.CharField()

    def get_id_number_masked(self, line: PayoutLine) -> str:
        return mask_resident_id(line.id_number)

    def get_account_number_masked(self, line: PayoutLine) -> str:
        return mask_account_number(line.account_number) if line.account_number else ""


class LineFullOutputSerializer(LineOutputSerializer):
    """A line with the full numbers beside the masked ones: only with a stated purpose (PlanLinesApi.get)."""

    id_number = serializers.CharField(help_text=gettext_lazy("完整身份证号码(仅在填写用途时)"))
    account_number = serializers.CharField(help_text=gettext_lazy("完整账号(仅在填写用途时)"))


FULL_NUMBER_PURPOSES = [
    value for value in SensitiveExport.Purpose.values if value != SensitiveExport.Purpose.REMOTE_CERTIFICATION
]

_ERRORS = OpenApiResponse(description=gettext_lazy("{字段: [错误信息]}:状态不允许、合计不符、四眼原则等"))
FORBIDDEN_RESPONSE = OpenApiResponse(description=gettext_lazy("当前角色不能做此操作"))
PLAN_NOT_FOUND_RESPONSE = OpenApiResponse(description=gettext_lazy("没有这个发放计划"))


# Plans ------------------------------------------------------------------------------------------------------


class MonthField(serializers.CharField):
    default_error_messages = {"month": gettext_lazy("请按“年-月”填写月份,例如 2026-04。")}

    def to_internal_value(self, data: Any) -> Any:
        text = super().to_internal_value(data)
        try:
            return PensionMonth.parse(text)
        except ValueError:
            self.fail("month")


class PlanListApi(ListAPIView):
    permission_classes = [PlanViewerPermission]
    serializer_class = PlanOutputSerializer

    class DraftInputSerializer(serializers.Serializer):
        month = MonthField(help_text=gettext_lazy("发放月份,YYYY-MM"))

    def get_queryset(self) -> QuerySet[PayoutPlan]:
        return selectors.plan_list()

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("发放计划列表"),
        description=gettext_lazy("全部发放计划,新的月份在前。经办、财务审核和审计人员可看。"),
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("生成发放计划(草稿,后台任务)"),
        description=gettext_lazy(
            "为该月生成发放计划,或在草稿状态下重新生成(替换全部明细,补发和扣回重新计算)。"
            "已提交或已审批的计划不能重新生成。全县的计划由后台处理进程编制:返回 202 和后台任务"
            "(url 为查询地址,响应头 Location 同),完成后任务给出 plan_id。"
            "该月的编制正在进行时再次调用返回 400,不会编制两次。"
        ),
        request=DraftInputSerializer,
        responses={202: PlanJobSerializer, 400: _ERRORS, 403: FORBIDDEN_RESPONSE},
    )
    def post(self, request: Request) -> Response:
        access.require(_staff(request), Action.PREPARE_PAYMENTS)
        data = self.DraftInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        month = data.validated_data["month"]
        # The API has always drafted a missing plan and made an existing draft again with the same call;
        # the service refuses a plan past draft.
        exists = PayoutPlan.objects.filter(month=month.number).exists()
        return plan_job_accepted(plan_draft_start(month=month, by=_staff(request), regenerate=exists))


class PlanDetailApi(APIView):
    permission_classes = [PlanViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("发放计划详情"),
        description=gettext_lazy("合计(总计、按银行、按乡镇,并与明细核对)与办理经过。"),
        responses={200: PlanDetailSerializer, 404: PLAN_NOT_FOUND_RESPONSE},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(PlanDetailSerializer(selectors.plan_get_or_404(pk=pk)).data)


class PersonLineFilterSerializer(serializers.Serializer):
    """The search and township filter every line list has (a plan's, an adjustment run's)."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=50,
        help_text=gettext_lazy("姓名开头,或身份证号码前缀(4位以上)"),
    )
    township = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.filter(kind=OrgUnit.Kind.TOWNSHIP),
        required=False,
        help_text=gettext_lazy("乡镇(街道)单位 ID"),
    )


class PlanLinesApi(ListAPIView):
    permission_classes = [PlanViewerPermission]
    serializer_class = LineOutputSerializer

    class LineFilterSerializer(PersonLineFilterSerializer):
        bank = serializers.PrimaryKeyRelatedField(
            queryset=Bank.objects.all(), required=False, help_text=gettext_lazy("银行 ID")
        )
        withheld = serializers.BooleanField(required=False, help_text=gettext_lazy("仅暂停发放的明细"))
        arrears = serializers.BooleanField(required=False, help_text=gettext_lazy("仅有补发的明细"))
        deduction = serializers.BooleanField(required=False, help_text=gettext_lazy("仅有扣回的明细"))
        purpose = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=30,
            help_text=gettext_lazy(
                "要完整的身份证号码和账号时填写用途(%(choices)s);不填则只给掩码。"
                "仅限可查看完整号码的角色,每次记录导出人、人数和用途。"
            )
            % {"choices": ", ".join(FULL_NUMBER_PURPOSES)},
        )
        purpose_note = serializers.CharField(
            required=False, allow_blank=True, max_length=200, help_text=gettext_lazy("用途说明(other 时必填)")
        )

    def get_queryset(self) -> QuerySet[PayoutLine]:
        plan = selectors.plan_get_or_404(pk=self.kwargs["pk"])
        params = self.LineFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        filters = selectors.LineFilters(
            q=data.get("q", ""),
            township_id=data["township"].pk if data.get("township") else None,
            bank_id=data["bank"].pk if data.get("bank") else None,
            withheld_only=data.get("withheld", False),
            has_arrears=data.get("arrears", False),
            has_deduction=data.get("deduction", False),
        )
        return selectors.plan_lines(plan=plan, filters=filters)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("发放明细"),
        description=gettext_lazy("每页 50 条,按明细顺序。身份证号码和账号只给掩码。"),
        parameters=[LineFilterSerializer],
        responses={200: LineOutputSerializer(many=True), 404: PLAN_NOT_FOUND_RESPONSE},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The export rule of the pages (docs/personal-data.md): masked unless a purpose is stated by a role
        # that may see full numbers (403 otherwise); each page of full numbers is recorded with its count.
        numbers = sensitive_export_numbers(
            user=request.user,
            purpose=request.query_params.get("purpose"),
            purpose_note=request.query_params.get("purpose_note"),
        )
        self.numbers = numbers
        response = super().get(request, *args, **kwargs)
        if numbers.full:
            plan = selectors.plan_get_or_404(pk=self.kwargs["pk"])
            filters = {
                key: value
                for key, value in request.query_params.items()
                if key not in ("purpose", "purpose_note")
            }
            sensitive_export_record(
                by=_staff(request),
                numbers=numbers,
                export="pensions.plan_lines_api",
                label=_("%(month)s 发放明细(接口)") % {"month": plan.month},
                person_count=len(response.data["results"]),
                detail={"plan": plan.pk, "month": str(plan.month), **filters},
            )
        return response

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        numbers = getattr(self, "numbers", MASKED)
        return LineFullOutputSerializer if numbers.full else LineOutputSerializer


class PlanSubmitApi(APIView):
    permission_classes = [PlanViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("提交发放计划"),
        description=gettext_lazy("经办人员将草稿提交审批;之后须由他人审批。"),
        request=None,
        responses={
            200: PlanDetailSerializer,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: PLAN_NOT_FOUND_RESPONSE,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        plan = services.plan_submit(plan=selectors.plan_get_or_404(pk=pk), by=_staff(request))
        return Response(PlanDetailSerializer(selectors.plan_get(pk=plan.pk)).data)


class PlanApproveApi(APIView):
    permission_classes = [PlanViewerPermission]

    class ApproveInputSerializer(serializers.Serializer):
        """The figures the approver checked, as the plan detail returned them: the same three the page's
        confirmation carries, compared by the same service check (pensions.services.plan_figures_check)."""

        line_count = serializers.IntegerField(min_value=0, help_text=gettext_lazy("审批人核对过的明细笔数"))
        net_total = serializers.DecimalField(
            max_digits=14,
            decimal_places=2,
            help_text=gettext_lazy("审批人核对过的实发合计(元)"),
        )
        generated_at = serializers.DateTimeField(
            help_text=gettext_lazy("审批人核对过的明细生成时间(计划详情中的 generated_at)")
        )

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("审批发放计划"),
        description=gettext_lazy(
            "由未参与编制(生成、重新生成、提交)该计划、有审批权限的人员审批。"
            "须写明所核对的笔数、实发合计和生成时间:计划在此期间有变化时拒绝。"
            "审批后计划冻结(保存明细校验值)。"
        ),
        request=ApproveInputSerializer,
        responses={
            200: PlanDetailSerializer,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: PLAN_NOT_FOUND_RESPONSE,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        access.require(_staff(request), Action.APPROVE_PAYMENTS)
        plan = selectors.plan_get_or_404(pk=pk)
        data = self.ApproveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        seen = services.PlanFigures(
            line_count=data.validated_data["line_count"],
            net_total=Decimal(data.validated_data["net_total"]),
            generated_at=data.validated_data["generated_at"],
        )
        plan = services.plan_approve(plan=plan, by=_staff(request), seen=seen)
        return Response(PlanDetailSerializer(selectors.plan_get(pk=plan.pk)).data)


class PlanRejectApi(APIView):
    permission_classes = [PlanViewerPermission]

    class RejectInputSerializer(serializers.Serializer):
        reason = serializers.CharField(
            max_length=300,
            help_text=gettext_lazy("退回原因(必填)"),
            error_messages={
                "required": gettext_lazy("请填写退回原因。"),
                "blank": gettext_lazy("请填写退回原因。"),
            },
        )

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("退回发放计划"),
        description=gettext_lazy("审核人员将已提交的计划退回草稿,须填写原因。"),
        request=RejectInputSerializer,
        responses={
            200: PlanDetailSerializer,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: PLAN_NOT_FOUND_RESPONSE,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        access.require(_staff(request), Action.APPROVE_PAYMENTS)
        plan = selectors.plan_get_or_404(pk=pk)
        data = self.RejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = services.plan_reject(plan=plan, by=_staff(request), reason=data.validated_data["reason"])
        return Response(PlanDetailSerializer(selectors.plan_get(pk=plan.pk)).data)
