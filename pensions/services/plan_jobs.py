"""Plan drafting and bank-file export in the worker (docs/jobs.md): the page queues a PlanJob and shows it
busy; the task calls the same services a request used to call (plan_draft, bank_files_export).

A job writes its result in one transaction: the service's own writes (the plan and its lines, or the files
with the move to 已生成银行文件) and then the job row, locked and checked to be still this attempt's running
job. A worker that dies leaves nothing; a late zombie of an earlier attempt finds the row no longer its own
and its whole transaction is rolled back, so a restart writes exactly once. A redelivered message finds the
job no longer queued and does nothing. The plan's own rules stay the last line of defence: one plan per
month (a drafting job that finds the month's plan already made finishes with it), and a plan is exported
only from 已拨付 (exporting an exported plan returns its stored files).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.errors import DomainError
from registry.jobs import job_beating, job_claim, job_first_fields, job_is_stale, job_start_fields
from registry.models import Staff
from registry.months import PensionMonth

from ..errors import PlanError
from ..models import PayoutPlan, PlanJob
from .bank_files import UnencodableNamesError, bank_files_export
from .locks import plan_generation_lock
from .plans import plan_draft, plan_month_check

logger = logging.getLogger("pensions.jobs")
Status = PlanJob.Status
Kind = PlanJob.Kind
RUNNING = frozenset({Status.QUEUED, Status.RUNNING})


class _SupersededError(Exception):
    """This attempt is no longer the job's running one: its writes are rolled back."""


def plan_job_stalled(job: PlanJob) -> bool:
    """Shown running, but the worker stopped beating: the button is offered before the sweeper comes."""
    return job_is_stale(job, running=RUNNING)


def plan_jobs_active(*, month: PensionMonth | None = None) -> list[PlanJob]:
    """The jobs queued or running (for the busy state of the plans page and a plan's page)."""
    jobs = PlanJob.objects.filter(status__in=RUNNING).select_related("requested_by", "plan")
    if month is not None:
        jobs = jobs.filter(month=month.number)
    return list(jobs.order_by("requested_at", "id"))


def _queue(job: PlanJob) -> None:
    from ..tasks import run_plan_job  # noqa: PLC0415 - tasks import the services

    transaction.on_commit(lambda: run_plan_job.delay(job.pk))


def _create(**fields: Any) -> PlanJob:
    now = timezone.now()
    try:
        with transaction.atomic():
            job = PlanJob.objects.create(requested_at=now, **job_first_fields(now), **fields)
    except IntegrityError:
        # planjob_one_active_per_month: the same job for the month is already queued or running.
        busy = _("正在编制该月发放计划") if fields["kind"] == Kind.DRAFT else _("正在生成该月银行文件")
        raise PlanError(
            _("%(month)s:%(busy)s,请等待完成后再操作。") % {"month": fields["month"], "busy": busy},
            field="month",
        ) from None
    _queue(job)
    return job


@transaction.atomic
def plan_draft_start(*, month: PensionMonth, by: Staff, regenerate: bool = False) -> PlanJob:
    """Queue drafting the plan for `month` (or, with `regenerate`, making its draft again). Refused at once
    when the month cannot be drafted, when its plan exists and this is not a regeneration, or when a drafting
    job for the month is already queued or running."""
    access.require(by, Action.PREPARE_PAYMENTS)
    plan_month_check(month=month)
    existing = PayoutPlan.objects.filter(month=month.number).first()
    if existing is not None and not regenerate:
        raise PlanError(
            _("%(month)s 的发放计划已存在(%(status)s),请在计划页面查看或重新生成。")
            % {"month": month, "status": existing.get_status_display()},
            field="month",
        )
    if regenerate and (existing is None or existing.status != PayoutPlan.Status.DRAFT):
        status = existing.get_status_display() if existing is not None else _("不存在")
        raise PlanError(
            _("%(month)s 的发放计划已是“%(status)s”状态,不能重新生成。") % {"month": month, "status": status}
        )
    return _create(kind=Kind.DRAFT, month=month, regenerate=regenerate, plan=existing, requested_by=by)


@transaction.atomic
def bank_files_start(*, plan: PayoutPlan, by: Staff) -> PlanJob:
    """Queue writing the bank files of a funded plan. Refused at once for a plan in another state or while
    its export is already queued or running."""
    access.require(by, Action.PREPARE_PAYMENTS)
    locked = PayoutPlan.objects.select_for_update().get(pk=plan.pk)
    if locked.status in (PayoutPlan.Status.EXPORTED, PayoutPlan.Status.RECONCILED):
        raise PlanError(
            _("%(month)s 的银行文件已经生成,不会再次生成;请在计划页面下载。") % {"month": locked.month}
        )
    if locked.status != PayoutPlan.Status.FUNDED:
        raise PlanError(
            _("%(month)s 的发放计划是“%(status)s”状态,拨付完成后才能生成银行文件。")
            % {"month": locked.month, "status": locked.get_status_display()}
        )
    return _create(kind=Kind.BANK_FILES, month=locked.month, plan=locked, requested_by=by)


@transaction.atomic
def plan_job_restart(*, job: PlanJob, by: Staff) -> PlanJob:
    """Run a job again after its worker died (任务中断, or shown running with a stale heartbeat)."""
    access.require(by, Action.PREPARE_PAYMENTS)
    locked = PlanJob.objects.select_for_update().get(pk=job.pk)
    if locked.status != Status.INTERRUPTED and not plan_job_stalled(locked):
        raise PlanError(
            _("该任务当前为“%(status)s”,只有任务中断的任务可以重新运行。")
            % {"status": locked.get_status_display()},
            field="status",
        )
    for name, value in job_start_fields(locked).items():
        setattr(locked, name, value)
    locked.status, locked.progress, locked.error, locked.result = Status.QUEUED, 0, "", {}
    try:
        with transaction.atomic():
            locked.save(
                update_fields=[
                    "status",
                    "progress",
                    "error",
                    "result",
                    "job_started_at",
                    "job_heartbeat_at",
                    "job_attempts",
                ]
            )
    except IntegrityError:
        raise PlanError(_("该月的同一任务正在进行中,请等待完成。"), field="status") from None
    _queue(locked)
    return locked


def _claim(job_id: int) -> PlanJob | None:
    """Queued → running, or None when a redelivered message finds it running, done or failed."""
    return job_claim(PlanJob, job_id, queued=Status.QUEUED, running=Status.RUNNING)


def _finish(job_id: int, attempt: int, *, plan: PayoutPlan, result: dict[str, Any]) -> None:
    """Inside the service's transaction: the job done, or _SupersededError (everything rolled back)."""
    locked = PlanJob.objects.select_for_update().filter(pk=job_id).first()
    if locked is None or locked.status != Status.RUNNING or locked.job_attempts != attempt:
        raise _SupersededError
    locked.plan = plan
    locked.status, locked.progress, locked.result = Status.DONE, 100, result
    locked.finished_at = timezone.now()
    locked.save(update_fields=["plan", "status", "progress", "result", "finished_at"])


def _fail(job_id: int, attempt: int, message: str, result: dict[str, Any] | None = None) -> None:
    PlanJob.objects.filter(pk=job_id, status=Status.RUNNING, job_attempts=attempt).update(
        status=Status.FAILED, error=message[:4000], result=result or {}, finished_at=timezone.now()
    )


def _draft(job: PlanJob) -> tuple[PayoutPlan, dict[str, Any]]:
    # Under the generation lock (held to the end of this transaction, taken again inside plan_draft), so
    # the check and the draft see the same months: a plan made meanwhile (the beat, a rerun) is kept.
    plan_generation_lock()
    existing = PayoutPlan.objects.filter(month=job.month).first()
    if existing is not None and not job.regenerate:
        return existing, {"line_count": existing.line_count, "already_drafted": True}
    # PensionMonthField reads a PensionMonth; its stubs say int.
    plan = plan_draft(month=cast(PensionMonth, job.month), by=job.requested_by)
    return plan, {"line_count": plan.line_count, "net_total": str(plan.net_total)}


def _export(job: PlanJob) -> tuple[PayoutPlan, dict[str, Any]]:
    assert job.plan is not None  # noqa: S101 - a bank-file job is always made with its plan
    files = bank_files_export(plan=job.plan, by=job.requested_by)
    total = sum((file.total for file in files), start=Decimal("0.00"))
    return job.plan, {"file_count": len(files), "total": str(total)}


def plan_job_run(*, job_id: int) -> PlanJob | None:
    """The job (the task's body). Returns it, or None when it was not queued."""
    job = _claim(job_id)
    if job is None:
        return None
    attempt = job.job_attempts
    try:
        # plan_draft and bank_files_export report nothing while they work: a side thread beats for them.
        # The job row is locked only by _finish, at the very end, and the beats stop after the commit.
        with job_beating(PlanJob, job_id), transaction.atomic():
            plan, result = _draft(job) if job.kind == Kind.DRAFT else _export(job)
            _finish(job_id, attempt, plan=plan, result=result)
    except _SupersededError:
        logger.warning("plan job %s: attempt %s no longer runs, its writes rolled back", job_id, attempt)
    except UnencodableNamesError as refusal:
        _fail(job_id, attempt, refusal.message, {"unencodable": refusal.rows()})
    except DomainError as refusal:
        _fail(job_id, attempt, refusal.message)
    except Exception as error:
        logger.exception("plan job %s failed", job_id)
        _fail(job_id, attempt, _("任务失败:%(error)s") % {"error": error})
        raise
    return PlanJob.objects.select_related("plan").get(pk=job_id)
