from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "退休人员登记"

    def ready(self) -> None:
        from .approval_kinds import register_kinds

        register_kinds()

        from .jobs import JobKind, register_job  # noqa: PLC0415 - models load after the app registry
        from .models import ImportBatch  # noqa: PLC0415
        from .services.imports import RUNNING  # noqa: PLC0415

        register_job(JobKind(model=ImportBatch, running=RUNNING, interrupted=ImportBatch.Status.INTERRUPTED))

        # Background file exports (docs/exports.md): the job rows, and the registry's own kind of export.
        from .export_kinds import register as register_export_kinds  # noqa: PLC0415
        from .models import ExportJob  # noqa: PLC0415

        register_job(
            JobKind(
                model=ExportJob,
                running=frozenset({ExportJob.Status.RUNNING}),
                interrupted=ExportJob.Status.INTERRUPTED,
            )
        )
        register_export_kinds()

        # The record page's 人员标记 tab: the registry's own, registered as other apps register theirs.
        from django.utils.translation import gettext_lazy as _  # noqa: PLC0415

        from . import access  # noqa: PLC0415
        from .access import Action  # noqa: PLC0415
        from .record_tabs import RecordTab, register_record_tab  # noqa: PLC0415

        register_record_tab(
            RecordTab(
                key="flags",
                label=_("人员标记"),
                url_name="retiree-flags",
                visible=lambda user: access.can(user, Action.VIEW_REGISTRY),
                icon="bi-tags",
                order=60,
            )
        )
