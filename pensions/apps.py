from django.apps import AppConfig


class PensionsConfig(AppConfig):
    name = "pensions"
    verbose_name = "养老金发放"
