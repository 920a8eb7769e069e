from django.apps import AppConfig


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = "资格认证"

    def ready(self) -> None:
        from registry.jobs import JobKind, register_job  # noqa: PLC0415 - models load after the app registry

        from .models import RemoteBatch  # noqa: PLC0415

        rendering, interrupted = RemoteBatch.Status.RENDERING, RemoteBatch.Status.INTERRUPTED
        register_job(JobKind(model=RemoteBatch, running=frozenset({rendering}), interrupted=interrupted))
