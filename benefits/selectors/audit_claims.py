"""What the family's claims add to the county-wide audit log (registry.selectors.audit_log): every move of a
claim — prepared, submitted, approved (with the amount paid), rejected back to draft, cancelled, paid by the
bank. Registered from BenefitsConfig.ready(), because the registry may not import benefits."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.formats import yuan
from registry.selectors.audit_log import (
    AuditLogRow,
    AuditSource,
    masked_text,
    register_audit_source,
    retiree_text,
)

from ..models import ClaimTransition, SurvivorClaim

KIND = "survivor_claim"
_LABEL = gettext_lazy("丧葬抚恤待遇")
_ACTIONS = {
    ("", "draft"): gettext_lazy("经办(新建)"),
    ("draft", "submitted"): gettext_lazy("提交审批"),
    ("submitted", "approved"): gettext_lazy("审批通过"),
    ("submitted", "draft"): gettext_lazy("退回"),
    ("approved", "paid"): gettext_lazy("银行已发放"),
}


def _action(transition: ClaimTransition) -> str:
    label = _ACTIONS.get((transition.from_status, transition.to_status))
    if label is not None:
        return str(label)
    if transition.to_status == SurvivorClaim.Status.CANCELLED:
        return _("撤销")
    return str(SurvivorClaim.Status(transition.to_status).label)


def _row(transition: ClaimTransition) -> AuditLogRow:
    claim = transition.claim
    return AuditLogRow(
        at=transition.at,
        kind=KIND,
        kind_label=str(_LABEL),
        pk=transition.pk,
        who=transition.by.display_name if transition.by is not None else _("银行回盘"),
        action=_action(transition),
        subject=_("申请人 %(applicant)s · 实付 %(total)s")
        % {"applicant": claim.applicant_name, "total": yuan(claim.total)},
        retiree=retiree_text(claim.registration.retiree),
        note=masked_text(transition.note),
        url=reverse("benefit-claim-detail", args=[claim.pk]),
    )


def register() -> None:
    register_audit_source(
        AuditSource(
            kind=KIND,
            label=_LABEL,
            rank=83,
            queryset=lambda: ClaimTransition.objects.select_related("by", "claim__registration__retiree"),
            time_field="at",
            staff_field="by_id",
            retiree_field="claim__registration__retiree",
            row=_row,
        )
    )
