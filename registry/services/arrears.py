"""Arrears items (补发) made by another app: pensions pays a deceased retiree's months that no plan paid
through the family's claim, so it asks the registry to record them here rather than writing the table
itself."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from django.db import transaction
from django.utils.translation import gettext as _

from ..errors import DomainError
from ..models import ArrearsItem, Retiree, Staff
from ..months import PensionMonth

_CENT = Decimal("0.01")


@transaction.atomic
def arrears_item_add(
    *, retiree: Retiree, month: PensionMonth, amount: Decimal, reason: str, by: Staff, note: str = ""
) -> ArrearsItem:
    """One arrears item for `month`. Amounts are exact to the fen and above 0 (the table refuses the rest
    too);
    rows are append-only, so an item once made is released (paid) exactly once by pensions."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount != amount.quantize(_CENT):
        raise DomainError(_("补发金额必须是精确到分的金额。"), field="amount")
    if amount <= 0:
        raise DomainError(_("补发金额必须大于 0。"), field="amount")
    # The field takes the PensionMonth itself (so the item returned holds one, as a read would); the stubs see
    # the integer column under PensionMonthField.
    return ArrearsItem.objects.create(
        retiree=retiree, month=cast(int, month), amount=amount, reason=reason, note=note[:200], created_by=by
    )
