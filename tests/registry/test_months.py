import datetime

import pytest

from registry.months import PensionMonth


def test_months_add_across_years():
    assert PensionMonth(2025, 11).plus(3) == PensionMonth(2026, 2)
    assert PensionMonth(2026, 1).plus(-1) == PensionMonth(2025, 12)
    assert PensionMonth(2026, 12).next() == PensionMonth(2027, 1)


def test_months_between():
    assert PensionMonth(2025, 11).months_until(PensionMonth(2026, 2)) == 3
    assert PensionMonth(2026, 2).months_until(PensionMonth(2025, 11)) == -3


def test_stored_number_round_trips_and_sorts_like_the_month():
    month = PensionMonth(2026, 4)
    assert month.number == 202604
    assert PensionMonth.from_number(202604) == month
    assert sorted([PensionMonth(2026, 1), PensionMonth(2025, 12)]) == [
        PensionMonth(2025, 12),
        PensionMonth(2026, 1),
    ]


def test_text_forms():
    assert PensionMonth.parse("2026-04") == PensionMonth(2026, 4)
    assert PensionMonth.parse("202604") == PensionMonth(2026, 4)
    assert str(PensionMonth(2026, 4)) == "2026-04"
    assert PensionMonth.of(datetime.date(2026, 4, 30)) == PensionMonth(2026, 4)
    assert PensionMonth(2026, 4).first_day == datetime.date(2026, 4, 1)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-04", "April"])
def test_bad_text_is_refused(text):
    with pytest.raises(ValueError):
        PensionMonth.parse(text)


def test_a_month_is_open_until_its_plan_day():
    from registry.months import first_open_month

    assert first_open_month(datetime.date(2026, 4, 9), plan_day=10) == PensionMonth(2026, 4)
    assert first_open_month(datetime.date(2026, 4, 10), plan_day=10) == PensionMonth(2026, 5)
    assert first_open_month(datetime.date(2026, 12, 31), plan_day=10) == PensionMonth(2027, 1)
