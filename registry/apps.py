from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "退休人员登记"

    def ready(self) -> None:
        from .approval_kinds import register_kinds

        register_kinds()
