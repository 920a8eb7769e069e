from django.apps import AppConfig


class PensionsConfig(AppConfig):
    name = "pensions"
    verbose_name = "养老金发放"

    def ready(self) -> None:
        from .approval_kinds import register_kinds

        register_kinds()
