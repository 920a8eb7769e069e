"""The family's claims in the approvals inbox (registry.approvals): submitted claims wait for a reviewer with
APPROVE_PAYMENTS who did not prepare them (docs/approvals.md)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registry import access
from registry.access import Action
from registry.approvals import ApprovalItem, ApprovalKind, register
from registry.formats import yuan

from .selectors.claims import claims_awaiting

KEY = "survivor_claim"


def _items(user: Any, limit: int) -> list[ApprovalItem]:
    claims = claims_awaiting(user=user).select_related("registration__retiree", "prepared_by")[:limit]
    label = gettext("丧葬抚恤待遇")
    return [
        ApprovalItem(
            kind=KEY,
            kind_label=label,
            title=gettext("%(name)s 丧葬抚恤待遇 · 申请人 %(applicant)s · 实付 %(total)s")
            % {
                "name": claim.registration.retiree.name,
                "applicant": claim.applicant_name,
                "total": yuan(claim.total),
            },
            # A submitted claim always has its submission time (claim_submit sets it).
            since=claim.submitted_at or claim.prepared_at,
            prepared_by=claim.prepared_by.display_name,
            url=reverse("benefit-claim-detail", args=[claim.pk]),
        )
        for claim in claims
    ]


def register_kinds() -> None:
    register(
        ApprovalKind(
            key=KEY,
            label=_("丧葬抚恤待遇"),
            may_approve=lambda user: access.can(user, Action.APPROVE_PAYMENTS),
            count=lambda user: claims_awaiting(user=user).count(),
            items=_items,
            list_url=lambda: reverse("benefit-claim-list") + "?status=submitted",
            order=45,
        )
    )


def register_claims() -> None:
    """Everything the family's claims hand to registry and pensions, which may not import benefits: the inbox
    kind, the audit-log source and the one-off payment kind (one call from BenefitsConfig.ready())."""
    from . import one_off
    from .selectors import audit_claims

    register_kinds()
    audit_claims.register()
    one_off.register_kind()
