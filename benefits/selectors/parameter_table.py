"""The claim parameters as the settings page and the API show them (docs/benefit-parameters.md): per year the
values in force, the computed and published county average, and the history of every value."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from pensions.selectors.averages import county_average_monthly_pension

from ..models import BenefitParameter

Kind = BenefitParameter.Kind

# The page's years: a few past ones (deaths registered late still use their year's values) and the next.
YEARS_BACK = 3


@dataclass(frozen=True)
class HistoryEntry:
    """One setting of a value: what it was before (None: not set) and what it became (None: cleared)."""

    row: BenefitParameter
    previous: Decimal | None

    @property
    def value(self) -> Decimal | None:
        return self.row.value


@dataclass
class YearParameters:
    year: int
    funeral_allowance: BenefitParameter | None = None
    compensation_months: BenefitParameter | None = None
    published_average: BenefitParameter | None = None  # the row in force; its value None means cleared
    average_computed: Decimal | None = None
    history: list[HistoryEntry] = field(default_factory=list)  # newest first, all kinds

    @property
    def average_published(self) -> Decimal | None:
        return self.published_average.value if self.published_average is not None else None

    @property
    def average_used(self) -> Decimal | None:
        """What a claim for a death in year + 1 is computed with: the published figure when set, else the
        computed one (benefits.selectors.parameters.claim_parameters decides the same way)."""
        published = self.average_published
        return published if published is not None else self.average_computed

    @property
    def average_source(self) -> str:
        if self.average_published is not None:
            return "published"
        return "computed" if self.average_computed is not None else ""


def parameter_years(*, today_year: int | None = None) -> list[YearParameters]:
    """Newest year first: this year − YEARS_BACK to next year, and any other year with a value set."""
    this_year = today_year if today_year is not None else timezone.localdate().year
    rows = list(BenefitParameter.objects.select_related("set_by").order_by("set_at", "id"))
    years = set(range(this_year - YEARS_BACK, this_year + 2)) | {row.year for row in rows}
    table = {year: YearParameters(year=year) for year in years}
    previous: dict[tuple[str, int], Decimal | None] = {}
    for row in rows:
        entry = table[row.year]
        entry.history.append(HistoryEntry(row=row, previous=previous.get((row.kind, row.year))))
        previous[(row.kind, row.year)] = row.value
        setattr(entry, row.kind, row)  # oldest to newest: the last one stays, the one in force
    for entry in table.values():
        entry.history.reverse()
        entry.average_computed = county_average_monthly_pension(year=entry.year)
    return [table[year] for year in sorted(table, reverse=True)]
