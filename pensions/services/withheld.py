"""Restoration with back pay: the months withheld while a retiree was suspended become arrears items, which
the next plan pays like any other arrears (docs/domain.md "Restoration")."""

from __future__ import annotations

from django.db import transaction

from registry.models import ArrearsItem, Retiree, Staff
from registry.months import PensionMonth

from ..models import PayoutLine, PayoutPlan, WithheldRelease


@transaction.atomic
def withheld_release(*, retiree: Retiree, by: Staff, up_to: PensionMonth | None = None) -> list[ArrearsItem]:
    """One arrears item (reason restoration, the line's plan month, the withheld amount) for every withheld
    line of `retiree` not released before. Returns the items made; none on a second call.

    The caller decides that the retiree is entitled again (certification.services.certify). `up_to` keeps to
    the lines of plans up to that month: a deceased retiree's withheld months up to the death month are paid
    to the family (pensions.services.death_payables); the later ones were never due."""
    # Lock the retiree row first: two officers certifying at the same moment would both find the same
    # unreleased lines; the second waits here and then finds them released. The one-to-one keys of
    # WithheldRelease stop a double release even without the lock.
    Retiree.objects.select_for_update().filter(pk=retiree.pk).first()
    # Only lines of approved plans hold money really withheld: a draft (or a submitted plan, which a rejection
    # returns to draft) is made again from the registry, where the retiree is now active.
    unreleased = PayoutLine.objects.filter(
        retiree=retiree, is_withheld=True, withheld__gt=0, withheld_release__isnull=True
    )
    if up_to is not None:
        unreleased = unreleased.filter(plan__month__lte=up_to.number)
    lines = list(
        unreleased.exclude(plan__status__in=[PayoutPlan.Status.DRAFT, PayoutPlan.Status.SUBMITTED])
        .select_related("plan")
        .order_by("plan__month")
    )
    items: list[ArrearsItem] = []
    for line in lines:
        item = ArrearsItem.objects.create(
            retiree=retiree,
            month=line.plan.month,
            amount=line.withheld,
            reason=ArrearsItem.Reason.RESTORATION,
            created_by=by,
        )
        WithheldRelease.objects.create(line=line, arrears_item=item)
        items.append(item)
    return items
