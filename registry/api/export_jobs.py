"""/api/exports/…: the background exports beside “我的导出” (docs/exports.md), with the same services.

GET the list of one's own exports or one of them to follow its progress, GET its file when done, POST
restart after 任务中断. Someone else's export answers 404, as one that does not exist.
"""

from __future__ import annotations

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

from ..models import ExportJob, Staff
from ..services.export_jobs import export_job_download, export_job_restart, export_job_stalled

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
