"""The adjustment notices (养老金调整通知单) of one township for an applied run: one half A4 page per
person (two to a sheet, a cut line between them), all of the township in one file laid out by one WeasyPrint
run (every PDF file embeds its own font subset, docs/technical-notes.md). Township staff hand them out, so the
ID number is always masked.

Each notice prints the old monthly amount, every component the year's parameters use with the person's part
to the fen, the rise (the components summed unrounded and rounded once, hence the note), the new amount from
the effective month, and the arrears the apply wrote: months from–to, their count and total.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

from django.utils.translation import gettext as _

from registry.id_numbers import mask_resident_id
from registry.models import Retiree
from registry.months import PensionMonth
from registry.pdfs.rendering import render_pdf

from ..models import AdjustmentParameters, AdjustmentRun
from ..selectors.adjustment_notices import NoticePerson

FEN = Decimal("0.01")


@dataclass(frozen=True)
class Component:
    label: str
    amount: Decimal  # the person's part, rounded half up to the fen for printing


@dataclass(frozen=True)
class Notice:
    name: str
    masked_id_number: str
    community: str
    old_amount: Decimal
    components: tuple[Component, ...]
    rise: Decimal
    new_amount: Decimal
    arrears_from: PensionMonth | None
    arrears_to: PensionMonth | None
    arrears_months: int
    arrears_total: Decimal
    payment_note: str  # how the arrears reach the person (or the family)


@dataclass(frozen=True)
class NoticeFile:
    bureau: str
    year: int
    township: str
    effective_month: PensionMonth
    announcement: str
    dated: datetime.date
    notices: tuple[Notice, ...]


def _components_in_use(
    parameters: AdjustmentParameters,
) -> list[tuple[str, Callable[[NoticePerson], Decimal]]]:
    """The components the year's parameters use (a zero or empty one is left off every notice), each with
    the person's part. The percentage is printed in the label as entered (1.5 %, not 1.5000 %)."""
    used: list[tuple[str, Callable[[NoticePerson], Decimal]]] = []
    if parameters.flat_amount:
        used.append((_("定额调整"), lambda person: person.flat_part))
    if parameters.pension_percent:
        percent = format(Decimal(parameters.pension_percent).normalize(), "f")
        used.append(
            (_("挂钩调整(本人基本养老金的 %(percent)s%%)") % {"percent": percent}, lambda p: p.pension_part)
        )
    if parameters.year_bands or parameters.years_minimum:
        used.append((_("挂钩调整(缴费年限)"), lambda person: person.years_part))
    if parameters.age_tiers:
        used.append((_("倾斜调整(高龄)"), lambda person: person.age_part))
    if parameters.flag_extras:
        used.append((_("倾斜调整(特殊人员)"), lambda person: person.flag_part))
    if parameters.minimum_rise:
        used.append((_("补足最低增加额"), lambda person: person.minimum_part))
    return used


def _payment_note(person: NoticePerson) -> str:
    """The arrears of someone who has died go to the family with the death claim; a suspended person's are
    withheld until payment is restored; everyone else's come with the next payout."""
    if person.status == Retiree.Status.DECEASED:
        return _("补发金额随丧葬补助金和抚恤金一并支付给家属。")
    if person.status == Retiree.Status.SUSPENDED:
        return _("目前暂停发放,补发金额在恢复发放后一并发放。")
    return _("补发金额随养老金一并发放。")


def notice_file(
    *, run: AdjustmentRun, township: str, people: list[NoticePerson], dated: datetime.date, bureau: str
) -> NoticeFile:
    parameters = run.parameters
    components = _components_in_use(parameters)
    notices = tuple(
        Notice(
            name=person.name,
            masked_id_number=mask_resident_id(person.id_number),
            community=person.community,
            old_amount=person.old_amount,
            components=tuple(
                Component(label=label, amount=Decimal(part(person)).quantize(FEN, rounding=ROUND_HALF_UP))
                for label, part in components
            ),
            rise=person.rise,
            new_amount=person.new_amount,
            arrears_from=person.arrears_from,
            arrears_to=person.arrears_to,
            arrears_months=person.arrears_months,
            arrears_total=person.arrears_total,
            payment_note=_payment_note(person),
        )
        for person in people
    )
    return NoticeFile(
        bureau=bureau,
        year=run.year,
        township=township,
        # PensionMonthField gives a PensionMonth; the stubs see the IntegerField under it.
        effective_month=cast(PensionMonth, parameters.effective_month),
        announcement=parameters.announcement,
        dated=dated,
        notices=notices,
    )


def adjustment_notices_pdf(document: NoticeFile) -> bytes:
    """The township's notices as one PDF (one WeasyPrint run)."""
    return render_pdf(template="pensions/adjustments/notices_pdf.html", context={"f": document})
