from django.apps import AppConfig


class BenefitsConfig(AppConfig):
    name = "benefits"
    verbose_name = "死亡待遇"

    def ready(self) -> None:
        from .approval_kinds_claims import register_claims

        register_claims()  # the claims' inbox kind, audit-log source and one-off payment kind
