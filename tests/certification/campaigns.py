"""Campaign rows for tests, made directly as the admin's campaign_create would (test_campaigns.py tests that
service itself); certification's own paths never make one."""

from __future__ import annotations

from typing import Any

from certification.models import Campaign


def campaign_of(year: int, **fields: Any) -> Campaign:
    """The year's campaign with the default dates, or the ones given."""
    return Campaign.objects.create(year=year, **{**Campaign.default_dates(year), **fields})
