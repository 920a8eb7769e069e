"""Open recoveries by age (账龄): days since a recovery was recorded, in four bands (0–30, 31–90, 91–365, over
365 days), with counts and balances per township in unit order, and the same recoveries one per row for the
xlsx export. Balances come from the one set of balance annotations (pensions.selectors.recoveries), computed
in the database for every recovery at once; the band is a CASE over the day recorded. Scoped to the retirees
the user may see (docs/recoveries.md)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.db.models import Case as SqlCase
from django.db.models import CharField, Count, QuerySet, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry import access
from registry.id_numbers import mask_resident_id
from registry.models import OrgUnit, Recovery
from registry.selectors.exports import xlsx_table
from registry.selectors.units import unit_order, unit_sort_key
from registry.services.sensitive import MASKED, ExportNumbers

from ..models import RecoveryReferral
from .recoveries import ZERO, recoveries_with_balance

# (key, label, oldest age in days of the band); a recovery recorded today is 0 days old.
BANDS: tuple[tuple[str, Any, int | None], ...] = (
    ("d0_30", gettext_lazy("0–30天"), 30),
    ("d31_90", gettext_lazy("31–90天"), 90),
    ("d91_365", gettext_lazy("91–365天"), 365),
    ("over_365", gettext_lazy("365天以上"), None),
)


def age_band(days: int) -> str:
    """The band of a recovery `days` old."""
    for key, _label, oldest in BANDS:
        if oldest is None or days <= oldest:
            return key
    raise AssertionError("unreachable")  # pragma: no cover


def _band_expression(today: datetime.date) -> SqlCase:
    # The day recorded in the county's time zone (TruncDate uses the current one, Asia/Shanghai).
    whens = [
        When(created_on__gte=today - datetime.timedelta(days=oldest), then=Value(key))
        for key, _label, oldest in BANDS
        if oldest is not None
    ]
    return SqlCase(*whens, default=Value(BANDS[-1][0]), output_field=CharField())


def open_recoveries_aged(
    *, user: Any, reason: str | None = None, today: datetime.date | None = None
) -> QuerySet[Recovery]:
    """The open recoveries `user` may see (of one reason if given), each annotated with its balance figures,
    `created_on` (the day recorded) and `band`; in township order, then the oldest first."""
    today = today or timezone.localdate()
    queryset = Recovery.objects.filter(
        retiree__in=access.retirees_visible_to(user), status=Recovery.Status.OPEN
    )
    if reason:
        queryset = queryset.filter(reason=reason)
    return (
        recoveries_with_balance(queryset)
        .annotate(created_on=TruncDate("created_at"))
        .annotate(band=_band_expression(today))
        .select_related("retiree__community__parent")
        .order_by(*unit_order("retiree__community__parent"), "created_at", "id")
    )


@dataclass(frozen=True)
class AgingCell:
    count: int = 0
    balance: Decimal = ZERO


@dataclass(frozen=True)
class AgingRow:
    township: OrgUnit | None
    cells: tuple[AgingCell, ...]  # in the order of BANDS
    total: AgingCell


@dataclass(frozen=True)
class AgingReport:
    today: datetime.date
    bands: tuple[tuple[str, str], ...]
    rows: tuple[AgingRow, ...]
    totals: tuple[AgingCell, ...]
    total: AgingCell


def _add(cells: list[AgingCell]) -> AgingCell:
    return AgingCell(
        count=sum(cell.count for cell in cells), balance=sum((cell.balance for cell in cells), ZERO)
    )


def recovery_aging(
    *, user: Any, reason: str | None = None, today: datetime.date | None = None
) -> AgingReport:
    """Counts and balances of the open recoveries per township and age band: one GROUP BY over the balance
    annotations."""
    today = today or timezone.localdate()
    aged: QuerySet[Any] = open_recoveries_aged(user=user, reason=reason, today=today)
    grouped = (
        aged.order_by()
        .values("retiree__community__parent", "band")
        .annotate(n=Count("id"), owed=Sum("balance"))
    )
    figures: dict[int | None, dict[str, AgingCell]] = {}
    for item in grouped:
        figures.setdefault(item["retiree__community__parent"], {})[item["band"]] = AgingCell(
            count=item["n"], balance=item["owed"] or ZERO
        )
    units = {unit.pk: unit for unit in OrgUnit.objects.filter(pk__in=[pk for pk in figures if pk])}
    rows = []
    for township_id in sorted(figures, key=lambda pk: unit_sort_key(units.get(pk) if pk else None)):
        cells = tuple(figures[township_id].get(key, AgingCell()) for key, _label, _oldest in BANDS)
        rows.append(
            AgingRow(
                township=units.get(township_id) if township_id else None, cells=cells, total=_add(list(cells))
            )
        )
    totals = tuple(_add([row.cells[index] for row in rows]) for index in range(len(BANDS)))
    return AgingReport(
        today=today,
        bands=tuple((key, str(label)) for key, label, _oldest in BANDS),
        rows=tuple(rows),
        totals=totals,
        total=_add(list(totals)),
    )


_WIDTHS = (14, 10, 22, 14, 16, 12, 8, 12, 12, 12, 12, 12)
_TEXT_COLUMNS = frozenset({2})


def recovery_aging_xlsx(
    *,
    user: Any,
    target: IO[bytes],
    reason: str | None = None,
    today: datetime.date | None = None,
    numbers: ExportNumbers = MASKED,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """The open recoveries one per row, with age and band, as xlsx; IDs masked unless `numbers` is full (the
    view records a full file). Returns the number of recoveries written. With `progress(done, total)` (a
    background export) the recoveries are counted first, so the total is known."""
    today = today or timezone.localdate()
    labels = {key: str(label) for key, label, _oldest in BANDS}
    referrals = dict(RecoveryReferral.Status.choices)
    queryset = open_recoveries_aged(user=user, reason=reason, today=today).select_related("referral")

    total = queryset.count() if progress is not None else 0

    def rows() -> Any:
        for done, item in enumerate(queryset.iterator(chunk_size=2000), start=1):
            if progress is not None:
                progress(done, total)
            row: Any = item
            retiree = item.retiree
            township = retiree.community.parent if retiree.community else None
            referral = getattr(item, "referral", None)
            months = (
                str(item.from_month)
                if item.from_month == item.to_month
                else f"{item.from_month}–{item.to_month}"
            )
            yield [
                township.name if township else "",
                retiree.name,
                retiree.id_number if numbers.full else mask_resident_id(retiree.id_number),
                str(Recovery.Reason(item.reason).label),
                months,
                row.created_on.isoformat(),
                (today - row.created_on).days,
                labels[row.band],
                item.amount,
                item.amount - row.balance,
                row.balance,
                str(referrals[referral.status]) if referral else "",
            ]

    return xlsx_table(
        target=target,
        title=_("追回账龄"),
        headers=[
            _("乡镇(街道)"),
            _("姓名"),
            _("身份证号码"),
            _("原因"),
            _("所属月份"),
            _("登记日期"),
            _("账龄(天)"),
            _("账龄段"),
            _("应追回"),
            _("已追回"),
            _("待追回余额"),
            _("移送司法"),
        ],
        widths=_WIDTHS,
        text_columns=_TEXT_COLUMNS,
        rows=rows(),
    )
