"""/api/exports/…: the background exports beside “我的导出” (docs/exports.md), with the same services.

GET the list of one's own exports or one of them to follow its progress, GET its file when done, POST
restart after 任务中断. Someone else's export answers 404, as one that does not exist.
"""

from __future__ import annotations

import dataclasses
from typing import Any, cast

from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..export_kinds import RETIREE_LIST
from ..models import ExportJob, SensitiveExport, Staff
from ..selectors.retirees import RetireeFilters
from ..services.export_jobs import (
    export_job_download,
    export_job_restart,
    export_job_stalled,
    export_job_start,
)
from ..services.sensitive import PURPOSE_NOTE_MAX, sensitive_export_numbers
from .retirees import RetireeListApi

TAG = "exports"
LIST_SIZE = 50


class ExportJobSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text=_("导出类型,如 registry.retiree_list"))
    name = serializers.CharField(source="label", help_text=_("名称,如“退休人员名单”"))
    parameters = serializers.DictField(help_text=_("筛选条件"))
    status = serializers.ChoiceField(choices=ExportJob.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    progress = serializers.IntegerField(help_text=_("0–100"))
    row_count = serializers.IntegerField()
    full_numbers = serializers.BooleanField()
    error = serializers.CharField()
    stalled = serializers.SerializerMethodField(help_text=_("进度长时间不动:处理进程可能已停止,可以重新生成"))
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    file_url = serializers.SerializerMethodField()

    def get_stalled(self, job: ExportJob) -> bool:
        return export_job_stalled(job)

    def get_file_url(self, job: ExportJob) -> str | None:
        return reverse("api-export-job-file", args=[job.pk]) if job.status == ExportJob.Status.DONE else None


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


def _own_job_or_404(request: Request, pk: int) -> ExportJob:
    job = ExportJob.objects.filter(pk=pk, requested_by=_staff(request)).first()
    if job is None:
        raise Http404("export job")
    return job


class ExportJobListApi(APIView):
    @extend_schema(tags=[TAG], summary=_("我的导出(最近 50 个)"), responses=ExportJobSerializer(many=True))
    def get(self, request: Request) -> Response:
        jobs = ExportJob.objects.filter(requested_by=_staff(request)).order_by("-created_at", "-id")[
            :LIST_SIZE
        ]
        return Response(ExportJobSerializer(jobs, many=True).data)


class ExportJobDetailApi(APIView):
    @extend_schema(tags=[TAG], summary=_("一个后台导出的状态与进度"), responses=ExportJobSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(ExportJobSerializer(_own_job_or_404(request, pk)).data)


class ExportJobFileApi(APIView):
    @extend_schema(
        tags=[TAG],
        summary=_("下载已完成的导出文件"),
        description=_("只有导出人本人、且其角色仍可导出时可以下载;含完整号码的文件每次下载都登记。"),
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        job = _own_job_or_404(request, pk)
        opened = export_job_download(job=job, by=_staff(request))
        return FileResponse(opened, as_attachment=True, filename=job.filename, content_type=job.content_type)


class ExportJobRestartApi(APIView):
    @extend_schema(
        tags=[TAG],
        summary=_("重新生成任务中断或失败的导出"),
        request=None,
        responses={202: ExportJobSerializer, 400: OpenApiResponse(description=_("{字段: [错误信息]}"))},
    )
    def post(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        job = export_job_restart(job=_own_job_or_404(request, pk), by=_staff(request))
        return Response(ExportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class RetireeListExportApi(APIView):
    """The retiree list as an xlsx file, always made by the worker: a script gets the job at once and takes
    the file from /api/exports/<id>/file/ when it is done (the page writes a short list in the request)."""

    class RetireeExportInputSerializer(RetireeListApi.RetireeFilterSerializer):
        page = None  # type: ignore[assignment]  # a file holds every page
        purpose = serializers.ChoiceField(
            choices=[value for value in SensitiveExport.Purpose.values if value != "remote_certification"],
            required=False,
            help_text=_("导出完整号码的用途;不填则号码脱敏。需要查看完整号码的权限"),
        )
        purpose_note = serializers.CharField(
            required=False, allow_blank=True, max_length=PURPOSE_NOTE_MAX, help_text=_("用途为“其他”时必填")
        )

    @extend_schema(
        tags=[TAG],
        summary=_("导出退休人员名单(后台生成)"),
        description=_(
            "与列表接口相同的筛选条件和可见范围;由后台处理进程生成 xlsx,返回 202 和导出任务,"
            "完成后从 file_url 下载。填写用途时导出完整号码并登记。"
        ),
        request=RetireeExportInputSerializer,
        responses={
            202: ExportJobSerializer,
            400: OpenApiResponse(description=_("{字段: [错误信息]}")),
            403: OpenApiResponse(description=_("当前角色不能导出名单,或不能导出完整号码")),
        },
    )
    def post(self, request: Request) -> Response:
        data_in = self.RetireeExportInputSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        user = _staff(request)
        numbers = sensitive_export_numbers(
            user=user, purpose=data.get("purpose"), purpose_note=data.get("purpose_note", "")
        )
        township, community, bank = data.get("township"), data.get("community"), data.get("bank")
        filters = RetireeFilters(
            q=data.get("q", ""),
            township_id=township.id if township else None,
            community_id=community.id if community else None,
            status=data.get("status", ""),
            bank_id=bank.id if bank else None,
            residence=data.get("residence", ""),
            sort=data.get("sort", ""),
        )
        job = export_job_start(
            kind=RETIREE_LIST, parameters=dataclasses.asdict(filters), by=user, numbers=numbers
        )
        body = ExportJobSerializer(job).data
        location = reverse("api-export-job-detail", args=[job.pk])
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": location})
