from django.apps import AppConfig


class BenefitsConfig(AppConfig):
    name = "benefits"
    verbose_name = "死亡待遇"

    def ready(self) -> None:
        # Settings of the claim parameters join the county-wide audit log (registry may not import benefits).
        from .selectors import audit_parameters

        audit_parameters.register()
