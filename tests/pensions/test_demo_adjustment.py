"""The demo county's adjustment parameters (pensions.demo): the latest announced year's, entered once as the
admin, so "copy last year's" has a source; a second run enters nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from pensions.demo import demo_adjustment_year, seed_demo_adjustment_parameters
from pensions.models import AdjustmentParameters
from pensions.services.adjustments import adjustment_parameters_copy
from registry.months import PensionMonth


def test_the_year_of_the_latest_adjustment_counts_from_july() -> None:
    assert demo_adjustment_year(as_of=datetime.date(2026, 12, 4)) == 2026
    assert demo_adjustment_year(as_of=datetime.date(2026, 6, 30)) == 2025


def test_the_demo_parameters_are_entered_once_and_copy_to_the_next_year(county: Any) -> None:
    seeded = seed_demo_adjustment_parameters(as_of=datetime.date(2026, 12, 4))
    assert seeded is not None
    assert (seeded.year, seeded.effective_month, seeded.retired_by) == (
        2026,
        PensionMonth(2026, 1),
        datetime.date(2025, 12, 31),
    )
    assert (seeded.flat_amount, seeded.pension_percent, seeded.set_by) == (
        Decimal("50.00"),
        Decimal("1.5"),
        county.admin,
    )
    assert seed_demo_adjustment_parameters(as_of=datetime.date(2026, 12, 4)) is None
    assert AdjustmentParameters.objects.count() == 1
    copied = adjustment_parameters_copy(from_year=2026, to_year=2027, by=county.admin)
    assert (copied.effective_month, copied.retired_by, copied.age_tiers) == (
        PensionMonth(2027, 1),
        datetime.date(2026, 12, 31),
        seeded.age_tiers,
    )
