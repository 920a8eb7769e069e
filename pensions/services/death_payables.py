"""The months a deceased retiree was owed, made payable to the family (docs/claims.md).

benefits approves the family's claim and calls `death_payables_settle` in its transaction: every month up to
and including the death month that is still owed becomes an unreleased arrears item, and the claim's one-off
payment releases exactly those items (pensions.services.one_off). Months after the death month are left
alone: they were never due (pensions.selectors.deaths).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from registry.formats import yuan
from registry.models import ArrearsItem, Retiree, Staff
from registry.services.arrears import arrears_item_add

from ..errors import PlanError
from ..selectors.deaths import ZERO, death_months
from .locks import plan_generation_lock
from .returns import failed_line_reissue_as_arrears
from .withheld import withheld_release


@transaction.atomic
def death_payables_settle(*, retiree: Retiree, died_on: datetime.date, by: Staff) -> list[ArrearsItem]:
    """Make the family's months into arrears items and return every unreleased arrears item of `retiree` up to
    the death month (the caller releases them into the claim's one-off payment in the same transaction):

    - a DUE_BEFORE_DEATH item for each month no approved plan paid (DeathMonths.unpaid_due);
    - the withheld lines up to the death month released (withheld_release, up_to the death month);
    - failed payments up to the death month not yet dealt with, re-issued as arrears items.

    The items must add up to DeathMonths.withheld_total + unpaid_total to the fen, else nothing is written."""
    # Plan generation reads unreleased arrears items and withheld lines: while it runs, nothing here may make
    # or release them (the same county-wide lock as recoveries take; re-entrant within the transaction).
    plan_generation_lock()
    months = death_months(retiree=retiree, died_on=died_on)
    expected = months.withheld_total + months.unpaid_total
    death_month = months.death_month
    for due in months.unpaid_due:
        arrears_item_add(
            retiree=retiree,
            month=due.month,
            amount=due.amount,
            reason=ArrearsItem.Reason.DUE_BEFORE_DEATH,
            note=_("死亡前应发未发,随丧葬抚恤待遇支付给家属"),
            by=by,
        )
    withheld_release(retiree=retiree, by=by, up_to=death_month)
    for failed in months.failed_payable:
        if failed.line_id is not None:
            # The reviewer approving the claim moves it here: failed_line_reissue's PREPARE_PAYMENTS check is
            # not theirs to pass.
            failed_line_reissue_as_arrears(
                line_id=failed.line_id,
                note=_("%(month)s 发放失败,随丧葬抚恤待遇支付给家属"),
                by=by,
            )
    items = list(
        ArrearsItem.objects.filter(
            retiree=retiree, release__isnull=True, month__lte=death_month.number
        ).order_by("month", "id")
    )
    total = sum((item.amount for item in items), ZERO)
    if total != expected:
        raise PlanError(
            _("死亡前应发的月份合计 %(total)s 与计算结果 %(expected)s 不一致,请重新计算后再审批。")
            % {"total": yuan(total), "expected": yuan(expected)}
        )
    return items
