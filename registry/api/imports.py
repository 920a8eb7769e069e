"""/api/imports/…: the bulk import through the API, with the same services and scope as the pages.

POST a file to start a dry run, GET the batch to follow its progress and read the problems, POST confirm to
import the good rows. The rejected rows are downloaded from the page's URL (rejected_file_url).
"""

from __future__ import annotations

from typing import Any, cast

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..access import Action
from ..models import ImportBatch, Staff
from ..selectors.imports import get_visible_import_batch_or_404
from ..services import import_batch_confirm, import_batch_restart, import_batch_upload

TAG = "imports"


class ImportBatchSerializer(serializers.Serializer[Any]):
    class ImportProblemSerializer(serializers.Serializer[Any]):
        row = serializers.IntegerField(help_text=_("文件中的行号(表头为第1行)"))
        name = serializers.CharField()
        id_number = serializers.CharField(help_text=_("已遮蔽"))
        reasons = serializers.ListField(child=serializers.CharField())

    id = serializers.IntegerField()
    original_name = serializers.CharField()
    status = serializers.ChoiceField(choices=ImportBatch.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    progress = serializers.IntegerField(help_text=_("0–100"))
    total_rows = serializers.IntegerField()
    good_rows = serializers.IntegerField()
    bad_rows = serializers.IntegerField()
    imported_rows = serializers.IntegerField()
    problems = ImportProblemSerializer(many=True, help_text=_("前若干条问题行;全部见 rejected_file_url"))
    rejected_file_url = serializers.SerializerMethodField()
    error = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    names_indexed_at = serializers.DateTimeField(
        allow_null=True,
        help_text=_("导入后姓名、拼音检索建立的时间;为空时刚导入的人员只能按身份证号码查找(通常几秒钟)"),
    )

    def get_rejected_file_url(self, batch: ImportBatch) -> str | None:
        return reverse("import-rejected", args=[batch.pk]) if batch.rejected_file else None


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


class ImportBatchUploadApi(APIView):
    required_action = Action.EDIT_REGISTRY
    parser_classes = [MultiPartParser, FormParser]

    class ImportUploadInputSerializer(serializers.Serializer[Any]):
        file = serializers.FileField(help_text=_(".xlsx 或 .csv(UTF-8、GBK、GB18030),表头见导入模板"))

    @extend_schema(
        tags=[TAG],
        summary=_("上传导入文件并开始校验"),
        description=_(
            "校验在后台进行,不写入任何数据;用返回的 id 查询进度与问题行。表头错误、空文件立即返回 400。"
        ),
        request={"multipart/form-data": ImportUploadInputSerializer},
        responses={201: ImportBatchSerializer, 400: OpenApiResponse(description=_("{字段: [错误信息]}"))},
    )
    def post(self, request: Request) -> Response:
        data = self.ImportUploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch = import_batch_upload(file=data.validated_data["file"], by=_staff(request))
        return Response(ImportBatchSerializer(batch).data, status=status.HTTP_201_CREATED)


class ImportBatchDetailApi(APIView):
    required_action = Action.EDIT_REGISTRY

    @extend_schema(tags=[TAG], summary=_("导入批次的状态、进度与问题行"), responses=ImportBatchSerializer)
    def get(self, request: Request, pk: int) -> Response:
        batch = get_visible_import_batch_or_404(_staff(request), pk)
        return Response(ImportBatchSerializer(batch).data)


class ImportBatchConfirmApi(APIView):
    required_action = Action.EDIT_REGISTRY

    @extend_schema(
        tags=[TAG],
        summary=_("确认导入合格记录"),
        description=_("只能确认一次;导入在后台一个事务中进行,导入时再次校验,已登记的人员跳过并列为问题行。"),
        request=None,
        responses={202: ImportBatchSerializer, 400: OpenApiResponse(description=_("{字段: [错误信息]}"))},
    )
    def post(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        batch = get_visible_import_batch_or_404(_staff(request), pk)
        batch = import_batch_confirm(batch=batch, by=_staff(request))
        return Response(ImportBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)


class ImportBatchRestartApi(APIView):
    required_action = Action.EDIT_REGISTRY

    @extend_schema(
        tags=[TAG],
        summary=_("重新运行任务中断的批次"),
        description=_(
            "处理进程意外停止(状态 interrupted,或进度长时间不动)的批次:已确认的重新导入,未确认的重新校验。"
            "中断的运行未写入任何数据。"
        ),
        request=None,
        responses={202: ImportBatchSerializer, 400: OpenApiResponse(description=_("{字段: [错误信息]}"))},
    )
    def post(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        batch = get_visible_import_batch_or_404(_staff(request), pk)
        batch = import_batch_restart(batch=batch, by=_staff(request))
        return Response(ImportBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)
