from django.apps import AppConfig


class PensionsConfig(AppConfig):
    name = "pensions"
    verbose_name = "养老金发放"

    def ready(self) -> None:
        from .approval_kinds import register_kinds

        register_kinds()
        # Plan moves, write-offs and bank-file downloads join the county-wide audit log (registry may not
        # import pensions, so pensions hands its sources over).
        from .selectors import audit

        audit.register()

        # A death, a termination, a transfer out or a corrected death changes who the month's plans pay:
        # every draft is made again once the change commits (submitted plans are refused at approval
        # instead, pensions.services.transitions).
        from django.db import transaction  # noqa: PLC0415

        from registry.services import register_life_event_listener  # noqa: PLC0415

        from .tasks import redraft_payout_plans  # noqa: PLC0415

        register_life_event_listener(
            "pensions.redraft", lambda _event: transaction.on_commit(redraft_payout_plans.delay)
        )

        # The annual adjustment: its recalculator for one person (back-dated changes, intake) and its jobs.
        from registry.adjustments import register_adjustment_recalculator  # noqa: PLC0415
        from registry.jobs import JobKind, register_job  # noqa: PLC0415

        from .models import AdjustmentRun  # noqa: PLC0415
        from .services.adjustments import adjustments_recomputed_for  # noqa: PLC0415

        register_adjustment_recalculator(adjustments_recomputed_for)
        run = AdjustmentRun.Status
        register_job(
            JobKind(
                model=AdjustmentRun,
                running=frozenset({run.RUNNING, run.APPLYING}),
                interrupted=run.INTERRUPTED,
            )
        )
        # The adjustment notices: one PDF per township, each a job (a side thread beats for WeasyPrint).
        from .models import AdjustmentNoticeBatch  # noqa: PLC0415

        notices = AdjustmentNoticeBatch.Status
        register_job(
            JobKind(
                model=AdjustmentNoticeBatch,
                running=frozenset({notices.RENDERING}),
                interrupted=notices.INTERRUPTED,
            )
        )

        # The comparison with the province's result file (pensions.services.adjustment_comparisons).
        from .models import AdjustmentComparison  # noqa: PLC0415

        compared = AdjustmentComparison.Status
        register_job(
            JobKind(
                model=AdjustmentComparison,
                running=frozenset({compared.RUNNING}),
                interrupted=compared.INTERRUPTED,
            )
        )

        # A clerk's plan drafting and bank-file export (pensions.services.plan_jobs).
        from .models import PlanJob  # noqa: PLC0415

        register_job(
            JobKind(
                model=PlanJob,
                running=frozenset({PlanJob.Status.RUNNING}),
                interrupted=PlanJob.Status.INTERRUPTED,
            )
        )

        # A plan's lines as a background export when the list is long (docs/exports.md).
        from .export_kinds import register as register_export_kinds  # noqa: PLC0415

        register_export_kinds()
