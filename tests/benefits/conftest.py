"""Fixtures of deaths and claims: the payouts' banks and enrolment (tests/pensions/conftest.py)."""

from tests.pensions.conftest import banks, enrol

__all__ = ["banks", "enrol"]
