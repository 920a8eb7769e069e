from django.apps import AppConfig


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = "资格认证"

    def ready(self) -> None:
        from registry.jobs import JobKind, register_job  # noqa: PLC0415 - models load after the app registry

        from .models import CertificationImport, RemoteBatch, SuspensionRun  # noqa: PLC0415

        batch = RemoteBatch.Status
        register_job(
            JobKind(model=RemoteBatch, running=frozenset({batch.RENDERING}), interrupted=batch.INTERRUPTED)
        )
        # No error field: the page shows 任务中断 and the button from the status itself.
        checking = CertificationImport.Status
        register_job(
            JobKind(
                model=CertificationImport,
                running=frozenset({checking.CHECKING}),
                interrupted=checking.INTERRUPTED,
                error_field="",
            )
        )
        notices = SuspensionRun.NoticesStatus
        register_job(
            JobKind(
                model=SuspensionRun,
                running=frozenset({notices.RENDERING}),
                interrupted=notices.INTERRUPTED,
                # No error: the townships already made are kept, the page says so from the status.
                error_field="",
                status_field="notices_status",
            )
        )

        # The missing list as a background export when it is long (docs/exports.md).
        from .export_kinds import register as register_export_kinds  # noqa: PLC0415

        register_export_kinds()
