"""Benefits fixtures: the payout fixtures (the county's banks, enrolling a retiree) for claims that need paid
plans."""

from tests.pensions.conftest import banks, enrol

__all__ = ["banks", "enrol"]
