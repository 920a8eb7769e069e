"""The remote residents API (异地居住人员): the year's batches, making one, a batch with its download links
and its members, and recording a returned form. Thin views over certification.selectors.remote and
certification.services.remote, the same the pages use; the same roles (EDIT_REGISTRY + VIEW_SENSITIVE: county
clerks and admins, 403 for others). The files themselves are downloaded from the page URLs given in the batch,
which record every download. Errors come back as {field: [message]} (registry.api.errors).
"""

from __future__ import annotations

from typing import Any, cast

from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access
from registry.access import Action
from registry.id_numbers import mask_resident_id
from registry.models import Staff

from ..forms_entry import validate_certificate_scan
from ..models import Campaign, RemoteBatch, RemoteBatchMember
from ..selectors import remote as selectors
from ..services.remote import remote_batch_create, remote_form_return

TAG = "certification"
_ERRORS = OpenApiResponse(
    description=gettext_lazy(
        "{字段: [错误信息]}:没有需要列入的人员、日期不在批次年度内或晚于今天、未填协助认证机构等"
    )
)
_FORBIDDEN = OpenApiResponse(
    description=gettext_lazy("当前角色不能做此操作(须有登记维护和查看完整证件号码权限)")
)
_NO_BATCH = OpenApiResponse(description=gettext_lazy("没有这个批次或人员(或不在本人管辖范围内)"))


class RemoteClerkPermission(BasePermission):
    """County clerks and admins: the batch files carry full ID numbers."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return access.can(request.user, Action.EDIT_REGISTRY) and access.can(
            request.user, Action.VIEW_SENSITIVE
        )


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


def _batch_or_404(request: Request, pk: int) -> RemoteBatch:
    try:
        return selectors.remote_batch_get(user=_staff(request), pk=pk)
    except RemoteBatch.DoesNotExist:
        raise Http404 from None


# Output -----------------------------------------------------------------------------------------------------


class RemoteBatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    year = serializers.IntegerField()
    # Plain text with the values listed: a ChoiceField named "status" would collide in the schema's enums.
    status = serializers.CharField(
        help_text=gettext_lazy("状态:rendering 正在生成,ready 已生成,failed 生成失败")
    )
    status_label = serializers.CharField(source="get_status_display")
    member_count = serializers.IntegerField(help_text=gettext_lazy("人数"))
    returned_count = serializers.IntegerField(help_text=gettext_lazy("已返回(本年度已认证)人数"))
    outstanding_count = serializers.IntegerField(help_text=gettext_lazy("未返回人数"))
    error = serializers.CharField(help_text=gettext_lazy("生成失败的原因"))
    made_by = serializers.CharField(source="made_by.display_name")
    made_at = serializers.DateTimeField()
    forms_pdf_url = serializers.SerializerMethodField(
        help_text=gettext_lazy("协助认证表PDF下载地址(已生成时);下载记录下载人")
    )
    upload_xlsx_url = serializers.SerializerMethodField(
        help_text=gettext_lazy("异地退管系统上传文件(xlsx)下载地址")
    )
    upload_csv_url = serializers.SerializerMethodField(
        help_text=gettext_lazy("上传文件(CSV,GB18030/GBK)下载地址")
    )

    def get_forms_pdf_url(self, batch: RemoteBatch) -> str | None:
        if batch.status != RemoteBatch.Status.READY:
            return None
        return reverse("certification-remote-forms", kwargs={"pk": batch.pk})

    def get_upload_xlsx_url(self, batch: RemoteBatch) -> str:
        return reverse("certification-remote-upload", kwargs={"pk": batch.pk, "fmt": "xlsx"})

    def get_upload_csv_url(self, batch: RemoteBatch) -> str:
        return reverse("certification-remote-upload", kwargs={"pk": batch.pk, "fmt": "csv"})


class RemoteBatchListSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    remote_export_deadline = serializers.DateField(help_text=gettext_lazy("异地人员数据导出截止日期"))
    days_left = serializers.IntegerField(help_text=gettext_lazy("距截止日期的天数;已逾期为负数"))
    candidates = serializers.IntegerField(
        help_text=gettext_lazy("尚未列入本年度批次、需要协助认证的异地居住人数")
    )
    batches = RemoteBatchSerializer(many=True)


class RemoteMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    retiree_id = serializers.IntegerField()
    name = serializers.CharField()
    id_number_masked = serializers.SerializerMethodField()
    remote_province = serializers.CharField()
    remote_city = serializers.CharField()
    remote_address = serializers.CharField()
    phone = serializers.CharField()
    retiree_status = serializers.CharField(
        source="retiree.status", help_text=gettext_lazy("当前状态:active 正常发放,suspended 暂停发放,…")
    )
    certified_on = serializers.DateField(allow_null=True, help_text=gettext_lazy("本年度认证日期;未返回为空"))
    certified_channel = serializers.CharField(allow_null=True, help_text=gettext_lazy("本年度认证方式"))
    certified_office = serializers.CharField(allow_null=True, help_text=gettext_lazy("协助认证机构"))

    def get_id_number_masked(self, member: RemoteBatchMember) -> str:
        return mask_resident_id(member.retiree.id_number)


class ReturnResultSerializer(serializers.Serializer):
    certification_id = serializers.IntegerField(source="certification.pk")
    year = serializers.IntegerField(source="certification.year")
    certified_on = serializers.DateField(source="certification.certified_on")
    channel = serializers.CharField(source="certification.channel")
    certifying_office = serializers.CharField(source="certification.certifying_office")
    created = serializers.BooleanField(
        help_text=gettext_lazy("false:本年度已有认证记录,保留首次记录,本次未登记")
    )
    restored = serializers.BooleanField(
        help_text=gettext_lazy("true:已恢复发放,暂停期间的养老金在下一期计划中补发")
    )


def _batch_data(request: Request, pk: int) -> dict[str, Any]:
    batch = selectors.remote_batch_list(user=_staff(request), year=_batch_or_404(request, pk).year).get(pk=pk)
    return dict(RemoteBatchSerializer(batch).data)


# Views ------------------------------------------------------------------------------------------------------


class RemoteBatchListApi(APIView):
    permission_classes = [RemoteClerkPermission]

    class YearSerializer(serializers.Serializer):
        year = serializers.IntegerField(
            min_value=2000, max_value=2100, required=False, help_text=gettext_lazy("认证年度,不填为今年")
        )

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("异地认证批次列表"),
        operation_id="certification_remote_batches_list",
        description=gettext_lazy("某年度的异地认证批次(新的在前),导出截止日期和尚未列入批次的人数。"),
        parameters=[YearSerializer],
        responses={200: RemoteBatchListSerializer, 403: _FORBIDDEN},
    )
    def get(self, request: Request) -> Response:
        params = self.YearSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        today = timezone.localdate()
        year = params.validated_data.get("year") or today.year
        user = _staff(request)
        campaign = Campaign.or_default(year)
        data = {
            "year": year,
            "remote_export_deadline": campaign.remote_export_deadline,
            "days_left": (campaign.remote_export_deadline - today).days,
            "candidates": selectors.remote_batch_candidates(user=user, year=year, today=today).count(),
            "batches": selectors.remote_batch_list(user=user, year=year),
        }
        return Response(RemoteBatchListSerializer(data).data)

    class CreateInputSerializer(serializers.Serializer):
        year = serializers.IntegerField(min_value=2000, max_value=2100, help_text=gettext_lazy("认证年度"))

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("生成异地认证批次"),
        description=gettext_lazy(
            "把本人管辖范围内异地居住、正常或暂停发放、该年度尚未认证且不在该年度已有批次中的人员固定为一个批次,"
            "随后在后台生成合并的协助认证表PDF(状态 rendering → ready 或 failed)。没有可列入的人员时拒绝。"
        ),
        request=CreateInputSerializer,
        responses={201: RemoteBatchSerializer, 400: _ERRORS, 403: _FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        data = self.CreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch = remote_batch_create(year=data.validated_data["year"], by=_staff(request))
        return Response(_batch_data(request, batch.pk), status=status.HTTP_201_CREATED)


class RemoteBatchDetailApi(APIView):
    permission_classes = [RemoteClerkPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("异地认证批次"),
        description=gettext_lazy("批次的状态、人数、已返回人数和文件下载地址。生成中时可轮询本接口。"),
        responses={200: RemoteBatchSerializer, 403: _FORBIDDEN, 404: _NO_BATCH},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_batch_data(request, pk))


class RemoteBatchMembersApi(ListAPIView):
    permission_classes = [RemoteClerkPermission]
    serializer_class = RemoteMemberSerializer

    class FilterSerializer(serializers.Serializer):
        returned = serializers.BooleanField(
            required=False,
            allow_null=True,
            default=None,
            help_text=gettext_lazy("true 已返回,false 未返回,不填为全部"),
        )

    def get_queryset(self) -> Any:
        params = self.FilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        batch = _batch_or_404(self.request, self.kwargs["pk"])
        return selectors.remote_batch_members(
            user=_staff(self.request), batch=batch, returned=params.validated_data.get("returned")
        )

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("异地认证批次人员"),
        description=gettext_lazy("批次人员(分页,身份证号码脱敏)及本年度认证情况。"),
        parameters=[FilterSerializer],
        responses={200: RemoteMemberSerializer(many=True), 403: _FORBIDDEN, 404: _NO_BATCH},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class RemoteReturnApi(APIView):
    permission_classes = [RemoteClerkPermission]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    class ReturnInputSerializer(serializers.Serializer):
        certified_on = serializers.DateField(
            help_text=gettext_lazy("认证表上的认证日期:批次年度内,不晚于今天")
        )
        certifying_office = serializers.CharField(
            max_length=100, help_text=gettext_lazy("协助认证的社保经办机构")
        )
        document = serializers.FileField(
            required=False,
            validators=[validate_certificate_scan],
            help_text=gettext_lazy("认证表扫描件(可选,multipart)"),
        )
        note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("登记返回的协助认证表"),
        description=gettext_lazy(
            "把寄回的协助认证表登记为该年度的异地协助认证;暂停发放的人员恢复发放并在下一期计划中补发。"
            "本年度已认证的保留首次记录(created=false,200)。"
        ),
        request={
            "application/json": ReturnInputSerializer,
            "multipart/form-data": ReturnInputSerializer,
        },
        responses={
            201: ReturnResultSerializer,
            200: ReturnResultSerializer,
            400: _ERRORS,
            403: _FORBIDDEN,
            404: _NO_BATCH,
        },
    )
    def post(self, request: Request, pk: int, member_pk: int) -> Response:
        batch = _batch_or_404(request, pk)
        try:
            member = selectors.remote_batch_member_get(user=_staff(request), batch=batch, pk=member_pk)
        except RemoteBatchMember.DoesNotExist:
            raise Http404 from None
        data = self.ReturnInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = remote_form_return(member=member, by=_staff(request), **data.validated_data)
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(ReturnResultSerializer(result).data, status=code)
