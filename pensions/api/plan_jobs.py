"""/api/pensions/plan-jobs/…: a plan drafting or bank-file export running in the worker (docs/jobs.md), the
same PlanJob the plans pages start. POST /api/pensions/plans/ and POST …/bank-files/ answer 202 with the job;
GET the job to follow it (status, progress, the refusal, the plan when done); POST restart after 任务中断.
"""

from __future__ import annotations

from typing import Any, cast

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.models import Staff

from .. import selectors
from ..models import PlanJob
from ..services.plan_jobs import plan_job_restart, plan_job_stalled

# Imported by plans and money (which import each other's pieces), so this module imports neither.
TAG = "pensions"
JOB_NOT_FOUND_RESPONSE = OpenApiResponse(description=gettext_lazy("没有这个后台任务"))
FORBIDDEN_RESPONSE = OpenApiResponse(description=gettext_lazy("当前角色不能做此操作"))


class PlanJobViewerPermission(BasePermission):
    """Whoever may see the plans may follow their jobs (as on the job's page); restart is checked again."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return selectors.can_view_plans(request.user)


class UnencodableLineSerializer(serializers.Serializer[Any]):
    bank = serializers.CharField()
    reference = serializers.CharField(help_text=gettext_lazy("付款编号 P{计划}L{明细}"))
    name = serializers.CharField()
    characters = serializers.CharField(help_text=gettext_lazy("编码无法表示的字符"))
    code_points = serializers.CharField()


class PlanJobSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=PlanJob.Kind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    month = serializers.CharField(help_text=gettext_lazy("发放月份,YYYY-MM"))
    status = serializers.ChoiceField(choices=PlanJob.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    progress = serializers.IntegerField(help_text=gettext_lazy("0–100"))
    stalled = serializers.SerializerMethodField(
        help_text=gettext_lazy("显示进行中但进度长时间不动:处理进程可能已停止,可以重新运行")
    )
    error = serializers.CharField(help_text=gettext_lazy("失败或中断的原因,否则为空"))
    unencodable_lines = serializers.SerializerMethodField(
        help_text=gettext_lazy("生成银行文件被拒绝时:姓名含有银行编码无法表示的字符的人员")
    )
    plan_id = serializers.SerializerMethodField(help_text=gettext_lazy("完成后的发放计划 ID,未完成为空"))
    plan_url = serializers.SerializerMethodField(help_text=gettext_lazy("完成后的发放计划接口地址"))
    requested_by = serializers.CharField(source="requested_by.display_name")
    requested_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    url = serializers.SerializerMethodField(help_text=gettext_lazy("查询任务状态的接口地址"))

    def get_stalled(self, job: PlanJob) -> bool:
        return plan_job_stalled(job)

    @extend_schema_field(UnencodableLineSerializer(many=True))
    def get_unencodable_lines(self, job: PlanJob) -> list[Any]:
        return list(UnencodableLineSerializer(job.result.get("unencodable", []), many=True).data)

    def _done(self, job: PlanJob) -> bool:
        return job.status == PlanJob.Status.DONE and job.plan_id is not None

    def get_plan_id(self, job: PlanJob) -> int | None:
        # A regeneration or an export knows its plan from the start; it is the answer only when done.
        return job.plan_id if self._done(job) else None

    def get_plan_url(self, job: PlanJob) -> str | None:
        return reverse("api-payout-plan-detail", args=[job.plan_id]) if self._done(job) else None

    def get_url(self, job: PlanJob) -> str:
        return reverse("api-payout-plan-job", args=[job.pk])


def plan_job_accepted(job: PlanJob) -> Response:
    """202 with the job and, as Location, where to poll it."""
    body = PlanJobSerializer(job).data
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


def _job_or_404(pk: int) -> PlanJob:
    job = PlanJob.objects.select_related("requested_by").filter(pk=pk).first()
    if job is None:
        raise Http404("plan job")
    return job


class PlanJobDetailApi(APIView):
    permission_classes = [PlanJobViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("发放后台任务的状态"),
        description=gettext_lazy(
            "编制发放计划或生成银行文件的后台任务:状态、进度、失败原因(生成银行文件被拒绝时列出姓名无法编码"
            "的人员),完成后给出发放计划 ID。处理进程停止时状态为“任务中断”,可以重新运行。"
        ),
        responses={200: PlanJobSerializer, 404: JOB_NOT_FOUND_RESPONSE},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(PlanJobSerializer(_job_or_404(pk)).data)


class PlanJobRestartApi(APIView):
    permission_classes = [PlanJobViewerPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("重新运行中断的发放后台任务"),
        description=gettext_lazy(
            "只有“任务中断”(或进度长时间不动)的任务可以重新运行;重新运行不会重复编制计划或重复生成银行文件。"
            "经办人员办理。"
        ),
        request=None,
        responses={
            202: PlanJobSerializer,
            400: OpenApiResponse(description=gettext_lazy("{字段: [错误信息]}:任务不是中断状态等")),
            403: FORBIDDEN_RESPONSE,
            404: JOB_NOT_FOUND_RESPONSE,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        job = plan_job_restart(job=_job_or_404(pk), by=cast(Staff, request.user))
        return plan_job_accepted(job)
