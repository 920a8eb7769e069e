"""The money API of a payout plan: fundings, the funding request PDF, the bank files' export and
download, return files, and failed payments re-issued or paid by hand. Thin views over pensions.selectors and
pensions.services, the same the pages use (pensions.views.money); the same roles (a township officer gets
403). Errors come back as {field: [message]} (registry.api.errors).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access
from registry.access import Action
from registry.api.renderers import PdfRenderer
from registry.id_numbers import mask_resident_id
from registry.models import Bank, Staff

from .. import selectors, services
from ..api.plans import (
    FORBIDDEN_RESPONSE,
    PLAN_NOT_FOUND_RESPONSE,
    TAG,
    PlanViewerPermission,
    RefSerializer,
    amount_field,
)
from ..bankfiles.writer import XLSX_CONTENT_TYPE
from ..downloads import bank_file_response, inline_pdf_response
from ..models import BankFile, PayoutLine
from ..pdfs.funding_request import funding_request_pdf
from ..services.plan_jobs import bank_files_start
from .plan_jobs import PlanJobSerializer, UnencodableLineSerializer, plan_job_accepted

_ERRORS = OpenApiResponse(description=gettext_lazy("{字段: [错误信息]}:状态不允许、金额不符、已处理过等"))


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


class _BinaryRenderer(PdfRenderer):
    """Accept: application/octet-stream for a bank file; an error still comes back as JSON text."""

    media_type = "application/octet-stream"
    format = "bin"


class _XlsxRenderer(PdfRenderer):
    """Accept: the xlsx type, for the banks whose file is a workbook (CCB, generic_xlsx)."""

    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"


class _TextRenderer(PdfRenderer):
    """Accept: text/plain, for the fixed-width and delimited text files (in the bank's encoding)."""

    media_type = "text/plain"
    format = "txt"


# Output -----------------------------------------------------------------------------------------------------


class BankRefSerializer(RefSerializer):
    code = serializers.CharField()


class FundingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    bank = BankRefSerializer()
    amount = amount_field(gettext_lazy("拨付金额(元)"))
    reference_number = serializers.CharField()
    transferred_on = serializers.DateField()
    recorded_by = serializers.CharField(source="recorded_by.display_name")
    recorded_at = serializers.DateTimeField()


class FundingBankSerializer(serializers.Serializer):
    bank = BankRefSerializer()
    net_total = amount_field(gettext_lazy("应拨付金额:该银行的实发合计(元)"))
    funding = FundingSerializer(allow_null=True, help_text=gettext_lazy("空:尚未拨付"))


class ReturnFileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    sha256 = serializers.CharField()
    paid_count = serializers.IntegerField()
    paid_total = amount_field()
    failed_count = serializers.IntegerField()
    failed_total = amount_field()
    imported_by = serializers.CharField(source="imported_by.display_name")
    imported_at = serializers.DateTimeField()


class BankFileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    bank = BankRefSerializer()
    name = serializers.CharField()
    content_type = serializers.CharField()
    sha256 = serializers.CharField()
    line_count = serializers.IntegerField()
    total = amount_field(gettext_lazy("金额合计(元)"))
    profile_code = serializers.CharField()
    created_by = serializers.CharField(source="created_by.display_name")
    created_at = serializers.DateTimeField()
    download_count = serializers.IntegerField(default=0)
    return_file = serializers.SerializerMethodField(help_text=gettext_lazy("空:尚未导入回盘"))

    @extend_schema_field(ReturnFileSerializer(allow_null=True))
    def get_return_file(self, bank_file: BankFile) -> dict[str, Any] | None:
        imported = getattr(bank_file, "return_file", None)
        return None if imported is None else dict(ReturnFileSerializer(imported).data)


class ResolutionSerializer(serializers.Serializer):
    # Plain text with the values listed: another "kind" enum would collide in the schema's enum names.
    kind = serializers.CharField(
        help_text=gettext_lazy("处理方式:reissued 转入下月补发,paid_by_hand 手工发放")
    )
    kind_label = serializers.CharField(source="get_kind_display")
    arrears_item_id = serializers.IntegerField(allow_null=True)
    reference = serializers.CharField()
    paid_on = serializers.DateField(allow_null=True)
    by = serializers.CharField(source="by.display_name")
    at = serializers.DateTimeField()


class FailedLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    retiree_id = serializers.IntegerField()
    name = serializers.CharField()
    id_number_masked = serializers.SerializerMethodField()
    bank = BankRefSerializer(allow_null=True)
    net = amount_field()
    bank_reason = serializers.CharField()
    resolution = serializers.SerializerMethodField()

    def get_id_number_masked(self, line: PayoutLine) -> str:
        return mask_resident_id(line.id_number)

    @extend_schema_field(ResolutionSerializer(allow_null=True))
    def get_resolution(self, line: PayoutLine) -> dict[str, Any] | None:
        done = getattr(line, "failure_resolution", None)
        return None if done is None else dict(ResolutionSerializer(done).data)


class ExportRefusedSerializer(serializers.Serializer):
    non_field_errors = serializers.ListField(child=serializers.CharField())
    unencodable_lines = UnencodableLineSerializer(many=True, required=False)


class ReturnImportSerializer(serializers.Serializer):
    return_file = ReturnFileSerializer()
    already_imported = serializers.BooleanField(help_text=gettext_lazy("这份文件已导入过,没有变化"))
    plan_reconciled = serializers.BooleanField(help_text=gettext_lazy("全部回盘已导入,计划已对账"))


def _funding_banks(plan: Any) -> list[dict[str, Any]]:
    fundings = {funding.bank_id: funding for funding in selectors.plan_fundings(plan=plan)}
    rows = [
        {"bank": total.bank, "net_total": total.net_total, "funding": fundings.get(bank_id)}
        for bank_id, total in services.funding_banks(plan=plan).items()
    ]
    return sorted(rows, key=lambda row: row["bank"].code)


def _failed_line(line: PayoutLine) -> PayoutLine:
    """The line again as the failed-lines list shows it, with its resolution."""
    return selectors.plan_failed_lines(plan=line.plan).get(pk=line.pk)


# Funding ----------------------------------------------------------------------------------------------------


# A transfer to one bank's special account, for a plan (here) or a one-off batch (api.one_off, which only
# words the amount's help for its own total). A comment, not a docstring: drf-spectacular would publish it.
class FundingInputSerializer(serializers.Serializer):
    bank = serializers.PrimaryKeyRelatedField(queryset=Bank.objects.all(), help_text=gettext_lazy("银行 ID"))
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text=gettext_lazy("拨付金额(元),须等于该银行的实发合计")
    )
    reference_number = serializers.CharField(max_length=64, help_text=gettext_lazy("拨付凭证号"))
    transferred_on = serializers.DateField(help_text=gettext_lazy("拨付日期,不晚于今天"))


class PlanFundingsApi(APIView):
    permission_classes = [PlanViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("资金拨付情况"),
        description=gettext_lazy("每家有实发金额的银行:应拨付金额(实发合计)与已登记的拨付(空为未拨付)。"),
        responses={200: FundingBankSerializer(many=True), 404: PLAN_NOT_FOUND_RESPONSE},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            FundingBankSerializer(_funding_banks(selectors.plan_get_or_404(pk=pk)), many=True).data
        )

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("登记资金拨付"),
        description=gettext_lazy(
            "登记一家银行的拨付(从财政专户划入银行专户),金额须与该银行的实发合计分毫不差,每家银行一次。"
            "最后一家登记后计划进入“已拨付”。财务审核人员办理。"
        ),
        request=FundingInputSerializer,
        responses={
            201: FundingSerializer,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: PLAN_NOT_FOUND_RESPONSE,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        plan = selectors.plan_get_or_404(pk=pk)
        access.require(_staff(request), Action.APPROVE_PAYMENTS)
        data = FundingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        funding = services.funding_record(plan=plan, by=_staff(request), **data.validated_data)
        return Response(FundingSerializer(funding).data, status=status.HTTP_201_CREATED)


class FundingRequestPdfApi(APIView):
    permission_classes = [PlanViewerPermission]
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("拨付申请(PDF)"),
        description=gettext_lazy("按银行列出应拨付金额与大写合计的拨付申请,A4 PDF。计划审批后可打印。"),
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            400: _ERRORS,
            404: PLAN_NOT_FOUND_RESPONSE,
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        plan = selectors.plan_get_or_404(pk=pk)
        response = inline_pdf_response(
            funding_request_pdf(plan=plan), _("拨付申请-%(month)s.pdf") % {"month": plan.month}
        )
        response["Cache-Control"] = "no-store"
        return response


# Bank files -------------------------------------------------------------------------------------------------


def bank_files_export_response(
    *, export: Callable[[], object], files: Callable[[], Iterable[BankFile]], already: bool
) -> Response:
    """The export answer, the same for a plan and a one-off batch: 201 with the files just made, 200 with
    those made before (`already`: exported earlier, nothing new), or 400 listing the names the banks'
    encodings cannot carry (then no file was made)."""
    try:
        export()
    except services.UnencodableNamesError as error:
        body = {"non_field_errors": [error.message], "unencodable_lines": error.rows()}
        return Response(ExportRefusedSerializer(body).data, status=status.HTTP_400_BAD_REQUEST)
    made = BankFileSerializer(files(), many=True).data
    return Response(made, status=status.HTTP_200_OK if already else status.HTTP_201_CREATED)


class PlanBankFilesApi(APIView):
    permission_classes = [PlanViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("银行文件列表"),
        description=gettext_lazy("计划的各银行文件:笔数、合计、SHA-256、下载次数与回盘结果。"),
        responses={200: BankFileSerializer(many=True), 404: PLAN_NOT_FOUND_RESPONSE},
    )
    def get(self, request: Request, pk: int) -> Response:
        plan = selectors.plan_get_or_404(pk=pk)
        return Response(BankFileSerializer(selectors.plan_bank_files(plan=plan), many=True).data)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("生成银行文件(后台任务)"),
        description=gettext_lazy(
            "按各银行的文件格式生成代发文件并保存,计划进入“已生成银行文件”。全县的文件由后台处理进程生成:"
            "返回 202 和后台任务(url 为查询地址,响应头 Location 同),完成后任务给出 plan_id,"
            "文件在本接口的 GET 中列出。已生成过的计划再次调用返回已保存的同一批文件(200),"
            "不会产生第二份文件;同一计划的生成正在进行时再次调用返回 400。"
            "姓名含有编码无法表示的字符时全部不生成,任务失败,其 unencodable_lines 列出这些人员。"
            "经办人员办理。"
        ),
        request=None,
        responses={
            202: PlanJobSerializer,
            200: BankFileSerializer(many=True),
            400: OpenApiResponse(description=gettext_lazy("{字段: [错误信息]}:计划未拨付、正在生成等")),
            403: FORBIDDEN_RESPONSE,
            404: PLAN_NOT_FOUND_RESPONSE,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        plan = selectors.plan_get_or_404(pk=pk)
        access.require(_staff(request), Action.PREPARE_PAYMENTS)
        if plan.status in (plan.Status.EXPORTED, plan.Status.RECONCILED):
            # Exported already: the stored files, never a second export (the service refuses one too).
            return Response(BankFileSerializer(selectors.plan_bank_files(plan=plan), many=True).data)
        return plan_job_accepted(bank_files_start(plan=plan, by=_staff(request)))


def _bank_file_or_404(pk: int) -> BankFile:
    bank_file = BankFile.objects.defer("content").select_related("plan", "bank").filter(pk=pk).first()
    if bank_file is None:
        raise Http404
    return bank_file


class BankFileDownloadApi(APIView):
    permission_classes = [PlanViewerPermission]
    renderer_classes = [JSONRenderer, _XlsxRenderer, _TextRenderer, _BinaryRenderer]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("下载银行文件"),
        description=gettext_lazy(
            "银行文件原样下载(附件,文件名为生成时的文件名),每次下载都记录下载人和时间。"
            "下载前核对 SHA-256,响应头 X-Content-SHA256 给出该值。经办和财务审核人员可下载。"
            "文件类型随银行的文件格式:xlsx 工作簿(如建设银行),或定长/分隔的文本文件(text/plain,"
            "按银行要求的编码,多为 GBK)。发放计划和一次性支付批次的银行文件都用此接口。"
        ),
        responses={
            (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            (200, "text/plain"): OpenApiTypes.BINARY,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: OpenApiResponse(description=gettext_lazy("没有这个银行文件")),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        bank_file = _bank_file_or_404(pk)
        content = services.bank_file_download(bank_file=bank_file, by=_staff(request))
        return bank_file_response(bank_file, content)


class ReturnFileImportApi(APIView):
    permission_classes = [PlanViewerPermission]
    parser_classes = [MultiPartParser, FormParser]

    class ReturnFileInputSerializer(serializers.Serializer):
        file = serializers.FileField(help_text=gettext_lazy("银行的回盘文件"))

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("导入回盘文件"),
        description=gettext_lazy(
            "按银行文件的格式读取银行的回盘,逐笔标记成功或失败(金额不变)。同一份文件再次导入不做任何改动,"
            "返回 200 且 already_imported 为 true;另一份文件被拒绝。"
            "全部银行回盘后计划(或一次性支付批次)对账完成。发放计划和一次性支付批次的银行文件都用此接口。"
            "经办人员办理。"
        ),
        request={"multipart/form-data": ReturnFileInputSerializer},
        responses={
            201: ReturnImportSerializer,
            200: ReturnImportSerializer,
            400: _ERRORS,
            403: FORBIDDEN_RESPONSE,
            404: OpenApiResponse(description=gettext_lazy("没有这个银行文件")),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        bank_file = _bank_file_or_404(pk)
        access.require(_staff(request), Action.PREPARE_PAYMENTS)
        data = self.ReturnFileInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        result = services.return_file_import(
            bank_file=bank_file, content=upload.read(), by=_staff(request), name=upload.name or ""
        )
        body = ReturnImportSerializer(
            {
                "return_file": result.return_file,
                "already_imported": result.already_imported,
                "plan_reconciled": result.plan_reconciled,
            }
        ).data
        return Response(
            body, status=status.HTTP_200_OK if result.already_imported else status.HTTP_201_CREATED
        )


# Failed lines -----------------------------------------------------------------------------------------------


class PlanFailedLinesApi(APIView):
    permission_classes = [PlanViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("发放失败明细"),
        description=gettext_lazy("银行回盘为失败的明细(身份证号码脱敏),及其处理情况(空为未处理)。"),
        responses={200: FailedLineSerializer(many=True), 404: PLAN_NOT_FOUND_RESPONSE},
    )
    def get(self, request: Request, pk: int) -> Response:
        plan = selectors.plan_get_or_404(pk=pk)
        return Response(FailedLineSerializer(selectors.plan_failed_lines(plan=plan), many=True).data)


def _line_or_404(pk: int) -> PayoutLine:
    line = PayoutLine.objects.select_related("plan").filter(pk=pk).first()
    if line is None:
        raise Http404
    return line


_NO_LINE = OpenApiResponse(description=gettext_lazy("没有这条发放明细"))


class LineReissueApi(APIView):
    permission_classes = [PlanViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("失败发放转入下月补发"),
        description=gettext_lazy(
            "把失败的发放记为一笔补发,由下一个发放计划发放。每笔只能处理一次,已手工发放的不能再补发。"
        ),
        request=None,
        responses={201: FailedLineSerializer, 400: _ERRORS, 403: FORBIDDEN_RESPONSE, 404: _NO_LINE},
    )
    def post(self, request: Request, pk: int) -> Response:
        line = _line_or_404(pk)
        access.require(_staff(request), Action.PREPARE_PAYMENTS)
        services.failed_line_reissue(line=line, by=_staff(request))
        return Response(FailedLineSerializer(_failed_line(line)).data, status=status.HTTP_201_CREATED)


class LinePaidByHandApi(APIView):
    permission_classes = [PlanViewerPermission]

    class PaidByHandInputSerializer(serializers.Serializer):
        reference = serializers.CharField(
            max_length=64, help_text=gettext_lazy("手工发放的凭证号或转账流水号")
        )
        paid_on = serializers.DateField(required=False, help_text=gettext_lazy("发放日期,不填为今天"))

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("登记失败发放已手工发放"),
        description=gettext_lazy(
            "更正账户后另行发放的,登记凭证号和日期。每笔只能处理一次,已转入补发的不能再登记。"
        ),
        request=PaidByHandInputSerializer,
        responses={201: FailedLineSerializer, 400: _ERRORS, 403: FORBIDDEN_RESPONSE, 404: _NO_LINE},
    )
    def post(self, request: Request, pk: int) -> Response:
        line = _line_or_404(pk)
        access.require(_staff(request), Action.PREPARE_PAYMENTS)
        data = self.PaidByHandInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.failed_line_paid_by_hand(line=line, by=_staff(request), **data.validated_data)
        return Response(FailedLineSerializer(_failed_line(line)).data, status=status.HTTP_201_CREATED)
