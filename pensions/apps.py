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
