"""The annual adjustment as the registry sees it (docs/annual-adjustment.md).

pensions owns the adjustment (its parameters, dry runs and apply) and the registry imports no other app, so
pensions registers one recalculator here from its AppConfig.ready(). The registry calls it where a rate is
decided outside the yearly batch and an applied adjustment must follow:

- a back-dated information change (零星调资) whose effective month is before an applied adjustment: that
  adjustment is recomputed on the new base and the new facts (birth date → age tier, contribution months);
- an intake of someone who retired before an applied adjustment's cut-off: their rise is added at intake, so
  the intake's arrears include it.

The recalculator answers with the adjustment rates to add; the registry writes them (as the next revision of
their month) and settles the difference month by month.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .months import PensionMonth


@dataclass(frozen=True)
class PersonFacts:
    """What the adjustment reads about a person, as it is (or will be, for a change being previewed)."""

    birth_date: datetime.date
    retirement_date: datetime.date
    contribution_months: int
    flag_codes: frozenset[str]
    status: str
    died_on: datetime.date | None


@dataclass(frozen=True)
class RateEntry:
    """One rate of a person's history: the month it takes effect, its amount, whether an annual adjustment
    made it. Within a month, later entries come later in the sequence (revision order)."""

    month: PensionMonth
    amount: Decimal
    is_adjustment: bool


@dataclass(frozen=True)
class AdjustedRate:
    """An adjustment rate to add: `amount` (base + rise) from `month`, the effective month of `year`'s
    adjustment."""

    year: int
    month: PensionMonth
    amount: Decimal
    rise: Decimal
    note: str


Recalculator = Callable[[PersonFacts, Sequence[RateEntry], PensionMonth], list[AdjustedRate]]

_RECALCULATOR: list[Recalculator] = []


def register_adjustment_recalculator(recalculator: Recalculator) -> None:
    """Set the recalculator (from pensions' AppConfig.ready(); a second call replaces the first)."""
    _RECALCULATOR[:] = [recalculator]


def adjustments_recomputed(
    *, facts: PersonFacts, rates: Sequence[RateEntry], from_month: PensionMonth
) -> list[AdjustedRate]:
    """The rates of every applied annual adjustment whose effective month is `from_month` or later, computed
    for a person with `facts` over `rates` (the adjustment entries among them from `from_month` on are
    ignored: they are what is recomputed), in month order. Empty when no adjustment app is installed or none
    applies."""
    if not _RECALCULATOR:
        return []
    return _RECALCULATOR[0](facts, rates, from_month)
