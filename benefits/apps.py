from django.apps import AppConfig


class BenefitsConfig(AppConfig):
    name = "benefits"
    verbose_name = "死亡待遇"

    def ready(self) -> None:
        # The registry may not import benefits: death registrations join the approvals inbox, the audit log
        # and the record page (a death tab and the "登记死亡"/"报告死亡" links) through their registrations;
        # settings of the claim parameters join the audit log.
        from django.utils.translation import gettext_lazy as _  # noqa: PLC0415

        from registry import access  # noqa: PLC0415
        from registry.access import Action  # noqa: PLC0415
        from registry.record_tabs import (  # noqa: PLC0415
            RecordAction,
            RecordTab,
            register_record_action,
            register_record_tab,
        )

        from .approval_kinds import register_kinds  # noqa: PLC0415
        from .approval_kinds_claims import register_claims  # noqa: PLC0415
        from .selectors import audit, audit_parameters  # noqa: PLC0415
        from .selectors.deaths import may_see_registrations  # noqa: PLC0415

        register_kinds()
        register_claims()  # the claims' inbox kind, audit-log source and one-off payment kind
        audit.register()
        audit_parameters.register()
        register_record_tab(
            RecordTab(
                key="death",
                label=_("死亡登记"),
                url_name="death-retiree-tab",
                visible=may_see_registrations,
                icon="bi-flower1",
                order=50,
            )
        )
        register_record_action(
            RecordAction(
                key="death-record",
                label=_("登记死亡"),
                url_name="death-record",
                visible=lambda user: access.can(user, Action.EDIT_REGISTRY),
                order=10,
            )
        )
        # A township officer reports; whoever records (EDIT_REGISTRY) registers directly instead.
        register_record_action(
            RecordAction(
                key="death-report",
                label=_("报告死亡"),
                url_name="death-report",
                visible=lambda user: (
                    access.can(user, Action.CERTIFY) and not access.can(user, Action.EDIT_REGISTRY)
                ),
                order=20,
            )
        )
