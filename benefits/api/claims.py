"""The family's claims API (丧葬抚恤待遇, docs/claims.md): the list (township officers see the progress only),
a claim with its months, prepare (multipart, with the documents), update, recompute, submit, approve (with
the figures the approver saw), reject, cancel, and the approval form PDF. Thin views over
benefits.selectors.claims and benefits.services.claims, the same the pages use. Errors come back as
{field: [message]} (registry.api.errors). Numbers are masked."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access
from registry.access import Action
from registry.api.renderers import PdfRenderer
from registry.id_numbers import mask_account_number, mask_resident_id
from registry.models import Staff

from ..errors import BenefitError
from ..models import DeathRegistration, SurvivorClaim
from ..pdfs.claim_form import claim_form_pdf
from ..selectors import claims as selectors
from ..services import claims as services

TAG = "benefits"
_ERRORS = OpenApiResponse(
    description=gettext_lazy("{字段: [错误信息]}:参数未设置、状态不允许、本人经办不能审批、金额已变化等")
)
_FORBIDDEN = OpenApiResponse(description=gettext_lazy("当前角色不能做此操作"))
_NOT_FOUND = OpenApiResponse(description=gettext_lazy("没有这个丧葬抚恤待遇(或不在本人管辖范围内)"))


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


def _claim_or_404(request: Request, pk: int) -> SurvivorClaim:
    try:
        return selectors.claim_get(user=_staff(request), pk=pk)
    except SurvivorClaim.DoesNotExist:
        raise Http404 from None


def _details_or_403(request: Request) -> None:
    if not selectors.may_see_claim_details(_staff(request)):
        raise PermissionDenied(_("乡镇(街道)只能查看办理进度。"))


def _money(help_text: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, help_text=help_text)


# Output -----------------------------------------------------------------------------------------------------


class ClaimProgressSerializer(serializers.Serializer):
    """What a township officer sees: whose claim and how far it has got."""

    id = serializers.IntegerField()
    registration_id = serializers.IntegerField()
    retiree_id = serializers.IntegerField(source="registration.retiree_id")
    retiree_name = serializers.CharField(source="registration.retiree.name")
    id_number_masked = serializers.SerializerMethodField()
    township = serializers.CharField(source="registration.retiree.community.parent.name")
    died_on = serializers.DateField(source="registration.died_on")
    status = serializers.CharField(
        help_text=gettext_lazy(
            "状态:draft 草稿,submitted 待审批,approved 已审批,paid 已发放,cancelled 已撤销"
        )
    )
    status_label = serializers.CharField(source="get_status_display")

    def get_id_number_masked(self, claim: SurvivorClaim) -> str:
        return mask_resident_id(claim.registration.retiree.id_number)


class ClaimMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text=gettext_lazy("月份,YYYY-MM"))
    amount = _money(gettext_lazy("金额"))
    source = serializers.CharField(help_text=gettext_lazy("来源"))  # type: ignore[assignment]
    part = serializers.CharField(help_text=gettext_lazy("withheld 暂停发放期间应发,unpaid 死亡前应发未发"))


class ClaimSerializer(ClaimProgressSerializer):
    applicant_name = serializers.CharField()
    applicant_relation = serializers.CharField()
    applicant_id_number_masked = serializers.SerializerMethodField()
    applicant_phone = serializers.CharField()
    bank = serializers.CharField(source="bank.name")
    account_number_masked = serializers.SerializerMethodField()
    holder_name = serializers.CharField()
    death_year = serializers.IntegerField()
    funeral_allowance = _money(gettext_lazy("丧葬补助金(死亡年度标准)"))
    compensation_months = serializers.IntegerField(help_text=gettext_lazy("抚恤金月数 N"))
    average_year = serializers.IntegerField(help_text=gettext_lazy("月人均养老金的年度(死亡上一年)"))
    average_computed = _money(gettext_lazy("系统按已审批发放计划计算的月人均养老金,无计划时为空"))
    average_published = _money(gettext_lazy("管理员填写的公布数,有则优先"))
    average_used = _money(gettext_lazy("采用的月人均养老金"))
    compensation = _money(gettext_lazy("抚恤金 = 采用的月人均养老金 × N"))
    withheld_amount = _money(gettext_lazy("暂停发放期间应发(至死亡当月)"))
    unpaid_amount = _money(gettext_lazy("死亡前应发未发、未发补发和发放失败未重发"))
    offset_consent = serializers.CharField(help_text=gettext_lazy("申请人同意抵扣的记录,空为不抵扣"))
    offset_amount = _money(gettext_lazy("抵扣死亡后多发"))
    total = _money(gettext_lazy("实付金额"))
    prepared_by = serializers.CharField(source="prepared_by.display_name")
    prepared_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    approved_by = serializers.CharField(source="approved_by.display_name", allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField()
    payment_id = serializers.IntegerField(allow_null=True)
    payment_status = serializers.CharField(
        source="payment.payment_status", allow_null=True, help_text=gettext_lazy("一次性支付的发放结果")
    )
    months = serializers.SerializerMethodField()

    def get_applicant_id_number_masked(self, claim: SurvivorClaim) -> str:
        return mask_resident_id(claim.applicant_id_number)

    def get_account_number_masked(self, claim: SurvivorClaim) -> str:
        return mask_account_number(claim.account_number)

    @extend_schema_field(ClaimMonthSerializer(many=True))
    def get_months(self, claim: SurvivorClaim) -> list[dict[str, Any]]:
        months = selectors.claim_breakdown(claim=claim).months
        return [dict(ClaimMonthSerializer(m).data) for m in months]


def _out(request: Request, pk: int, code: int = status.HTTP_200_OK) -> Response:
    return Response(ClaimSerializer(_claim_or_404(request, pk)).data, status=code)


# Input ------------------------------------------------------------------------------------------------------


class ClaimInputSerializer(serializers.Serializer):
    applicant_name = serializers.CharField(max_length=50)
    applicant_relation = serializers.CharField(max_length=20)
    applicant_id_number = serializers.CharField(max_length=20, help_text=gettext_lazy("18 位或旧 15 位"))
    applicant_phone = serializers.CharField(max_length=30)
    bank_id = serializers.IntegerField()
    account_number = serializers.CharField(max_length=40)
    holder_name = serializers.CharField(max_length=50)
    offset_consent = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text=gettext_lazy("不填则不抵扣")
    )
    applicant_id_copy = serializers.FileField(required=False, help_text=gettext_lazy("PDF、JPG 或 PNG"))
    relation_proof = serializers.FileField(required=False, help_text=gettext_lazy("PDF、JPG 或 PNG"))

    def applicant(self) -> services.ClaimApplicant:
        data = self.validated_data
        return services.ClaimApplicant(
            name=data["applicant_name"],
            relation=data["applicant_relation"],
            id_number=data["applicant_id_number"],
            phone=data["applicant_phone"],
            bank_id=data["bank_id"],
            account_number=data["account_number"],
            holder_name=data["holder_name"],
            offset_consent=data.get("offset_consent", ""),
        )


class ClaimPrepareInputSerializer(ClaimInputSerializer):
    registration_id = serializers.IntegerField(help_text=gettext_lazy("已确认的死亡登记"))


class FiguresInputSerializer(serializers.Serializer):
    """The figures the approver was shown (GET the claim): refused when they differ from the claim's."""

    funeral_allowance = serializers.DecimalField(max_digits=12, decimal_places=2)
    compensation_months = serializers.IntegerField()
    average_used = serializers.DecimalField(max_digits=12, decimal_places=2)
    compensation = serializers.DecimalField(max_digits=12, decimal_places=2)
    withheld_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    unpaid_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    offset_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


def _posted_reason(request: Request) -> str:
    """The reason a rejection or a cancellation gives (400 without one)."""
    data = ReasonInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    return str(data.validated_data["reason"])


# Views ------------------------------------------------------------------------------------------------------


class ClaimListApi(ListAPIView):
    parser_classes = [MultiPartParser, FormParser]

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=SurvivorClaim.Status.choices, required=False)
        township = serializers.IntegerField(required=False, help_text=gettext_lazy("乡镇(街道)编号"))

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if selectors.may_see_claim_details(_staff(self.request)):
            return ClaimSerializer
        return ClaimProgressSerializer

    def get_queryset(self) -> QuerySet[SurvivorClaim]:
        params = self.FilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.claim_list(
            user=_staff(self.request),
            status=params.validated_data.get("status"),
            township_id=params.validated_data.get("township"),
        )

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("丧葬抚恤待遇列表"),
        description=gettext_lazy(
            "本人管辖范围内的丧葬抚恤待遇,新的在前(号码脱敏)。县局人员看到金额和申请人(ClaimSerializer);"
            "乡镇(街道)人员只看到办理进度(ClaimProgressSerializer)。"
        ),
        parameters=[FilterSerializer],
        responses={200: ClaimSerializer(many=True)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("办理丧葬抚恤待遇"),
        description=gettext_lazy(
            "为已确认的死亡登记办理丧葬抚恤待遇(每个登记一次),multipart 上传申请人身份证复印件和亲属关系"
            "证明。金额由系统计算:丧葬补助金 + 月人均养老金 × N + 暂停发放期间应发 + 死亡前应发未发 − 抵扣"
            "(仅在记录申请人同意时)。经办人员办理。"
        ),
        request={"multipart/form-data": ClaimPrepareInputSerializer},
        responses={201: ClaimSerializer, 400: _ERRORS, 403: _FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        access.require(_staff(request), Action.EDIT_REGISTRY)
        data = ClaimPrepareInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration = (
            DeathRegistration.objects.filter(
                pk=data.validated_data["registration_id"],
                retiree__in=access.retirees_visible_to(_staff(request)),
            )
            .select_related("retiree", "recovery")
            .first()
        )
        if registration is None:
            raise BenefitError(_("没有这个死亡登记(或不在本人管辖范围内)。"), field="registration_id")
        claim = services.claim_prepare(
            registration=registration,
            applicant=data.applicant(),
            applicant_id_copy=data.validated_data.get("applicant_id_copy"),
            relation_proof=data.validated_data.get("relation_proof"),
            by=_staff(request),
        )
        return _out(request, claim.pk, status.HTTP_201_CREATED)


class ClaimDetailApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("丧葬抚恤待遇"),
        description=gettext_lazy("一笔待遇的金额、计算依据和随待遇支付的每个月份(号码脱敏)。"),
        responses={200: ClaimSerializer, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        _claim_or_404(request, pk)
        _details_or_403(request)
        return _out(request, pk)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("修改丧葬抚恤待遇(草稿)"),
        description=gettext_lazy("修改草稿的申请人信息(上传的材料替换原有的)并重新计算。经办人员办理。"),
        request={"multipart/form-data": ClaimInputSerializer},
        responses={200: ClaimSerializer, 400: _ERRORS, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )
    def put(self, request: Request, pk: int) -> Response:
        claim = _claim_or_404(request, pk)
        access.require(_staff(request), Action.EDIT_REGISTRY)
        data = ClaimInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.claim_update(
            claim=claim,
            applicant=data.applicant(),
            applicant_id_copy=data.validated_data.get("applicant_id_copy"),
            relation_proof=data.validated_data.get("relation_proof"),
            by=_staff(request),
        )
        return _out(request, pk)


class _MoveApi(APIView):
    action: Action = Action.EDIT_REGISTRY

    def move(self, request: Request, claim: SurvivorClaim) -> None:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        claim = _claim_or_404(request, pk)
        access.require(_staff(request), self.action)
        self.move(request, claim)
        return _out(request, pk)


class ClaimRecomputeApi(_MoveApi):
    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("重新计算丧葬抚恤待遇"),
        description=gettext_lazy("按当前参数、发放情况和追回余额重新计算草稿的金额。经办人员办理。"),
        request=None,
        responses={200: ClaimSerializer, 400: _ERRORS, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def move(self, request: Request, claim: SurvivorClaim) -> None:
        services.claim_recompute(claim=claim, by=_staff(request))


class ClaimSubmitApi(_MoveApi):
    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("提交丧葬抚恤待遇审批"),
        description=gettext_lazy("草稿重新计算后提交审批,须已上传两项材料。经办人员办理。"),
        request=None,
        responses={200: ClaimSerializer, 400: _ERRORS, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def move(self, request: Request, claim: SurvivorClaim) -> None:
        services.claim_submit(claim=claim, by=_staff(request))


class ClaimApproveApi(_MoveApi):
    action = Action.APPROVE_PAYMENTS

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("审批丧葬抚恤待遇"),
        description=gettext_lazy(
            "财务审核人员审批(不能是经办人)。须回传审核时看到的金额;金额或计算依据自提交以来有变化则拒绝。"
            "审批后死者死亡当月及以前的应发月份列为补发项,抵扣记入追回项,实付金额列入本月一次性支付批次。"
        ),
        request=FiguresInputSerializer,
        responses={200: ClaimSerializer, 400: _ERRORS, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def move(self, request: Request, claim: SurvivorClaim) -> None:
        data = FiguresInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.claim_approve(
            claim=claim, by=_staff(request), seen=services.ClaimFigures(**data.validated_data)
        )


class ClaimRejectApi(_MoveApi):
    action = Action.APPROVE_PAYMENTS

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("退回丧葬抚恤待遇"),
        description=gettext_lazy("退回经办人成为草稿,须填写原因。财务审核人员办理,不能是经办人。"),
        request=ReasonInputSerializer,
        responses={200: ClaimSerializer, 400: _ERRORS, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def move(self, request: Request, claim: SurvivorClaim) -> None:
        services.claim_reject(claim=claim, by=_staff(request), reason=_posted_reason(request))


class ClaimCancelApi(_MoveApi):
    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("撤销丧葬抚恤待遇"),
        description=gettext_lazy("审批前撤销(家属撤回申请等),须填写原因。经办人员办理。"),
        request=ReasonInputSerializer,
        responses={200: ClaimSerializer, 400: _ERRORS, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def move(self, request: Request, claim: SurvivorClaim) -> None:
        services.claim_cancel(claim=claim, by=_staff(request), reason=_posted_reason(request))


class ClaimPdfApi(APIView):
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("丧葬抚恤费审批表(PDF)"),
        description=gettext_lazy("供经办人、复核人、负责人签字的审批表,A4 PDF,号码脱敏。"),
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        claim = _claim_or_404(request, pk)
        _details_or_403(request)
        response = HttpResponse(claim_form_pdf(claim=claim), content_type="application/pdf")
        name = _("丧葬抚恤费审批表-%(name)s.pdf") % {"name": claim.registration.retiree.name}
        response["Content-Disposition"] = f"inline; filename*=UTF-8''{escape_uri_path(name)}"
        response["Cache-Control"] = "no-store"
        return response
