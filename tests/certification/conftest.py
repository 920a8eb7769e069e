"""Certification fixtures: the payout helpers (banks, enrol) of tests/pensions."""

from tests.pensions.conftest import banks, enrol

__all__ = ["banks", "enrol"]
