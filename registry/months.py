"""A pension month: the unit every payout, rate and arrears item is counted in.

It is its own value (year, month), never a date with a made-up day. In the database it is stored as the
integer yyyymm (202604), which sorts and compares like the month itself and reads plainly in SQL.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

_TEXT = re.compile(r"^(\d{4})-?(\d{2})$")


@dataclass(frozen=True, order=True, slots=True)
class PensionMonth:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1..12, not {self.month}")
        if not 1900 <= self.year <= 2999:
            raise ValueError(f"year out of range: {self.year}")

    @classmethod
    def of(cls, day: datetime.date) -> PensionMonth:
        return cls(day.year, day.month)

    @classmethod
    def from_number(cls, number: int) -> PensionMonth:
        """From the stored yyyymm integer."""
        return cls(number // 100, number % 100)

    @classmethod
    def parse(cls, text: str) -> PensionMonth:
        """From "2026-04" or "202604"."""
        match = _TEXT.match(text.strip())
        if not match:
            raise ValueError(f"not a month: {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def number(self) -> int:
        return self.year * 100 + self.month

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, self.month, 1)

    def plus(self, months: int) -> PensionMonth:
        index = self.year * 12 + (self.month - 1) + months
        return PensionMonth(index // 12, index % 12 + 1)

    def next(self) -> PensionMonth:
        return self.plus(1)

    def months_until(self, other: PensionMonth) -> int:
        """How many months from this one to `other` (negative if `other` is earlier)."""
        return (other.year * 12 + other.month) - (self.year * 12 + self.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def first_open_month(today: datetime.date, plan_day: int) -> PensionMonth:
    """The first month whose payout plan is still to be made. A month's plan is made before its day P
    (PAYOUT_PLAN_DAY): from that day on the month is closed and what is owed for it is paid as arrears."""
    this_month = PensionMonth.of(today)
    return this_month if today.day < plan_day else this_month.next()
