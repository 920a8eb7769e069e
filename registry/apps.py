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
