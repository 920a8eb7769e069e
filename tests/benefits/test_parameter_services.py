"""benefits.services.parameters: the admin sets the claim parameters (append-only, the newest in force) and
clears the published average; every refusal says why in Chinese and writes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from benefits.errors import BenefitError
from benefits.models import BenefitParameter
from benefits.selectors.parameters import parameter_in_force
from benefits.services import benefit_average_clear, benefit_parameter_set

pytestmark = pytest.mark.django_db

Kind = BenefitParameter.Kind
SH = ZoneInfo("Asia/Shanghai")
T1 = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=SH)
T2 = datetime.datetime(2026, 3, 1, 10, 30, tzinfo=SH)
T3 = datetime.datetime(2026, 6, 1, 11, 0, tzinfo=SH)


def test_setting_appends_a_row_and_the_newest_is_in_force(county: Any) -> None:
    with time_machine.travel(T1, tick=False):
        first = benefit_parameter_set(
            kind=Kind.FUNERAL_ALLOWANCE,
            year=2026,
            value=Decimal("5000.00"),
            note="赣人社字〔2026〕1号",
            by=county.admin,
        )
    with time_machine.travel(T2, tick=False):
        second = benefit_parameter_set(
            kind=Kind.FUNERAL_ALLOWANCE, year=2026, value="5200.5", note="", by=county.admin
        )

    assert (first.value, first.note, first.set_by, first.set_at) == (
        Decimal("5000.00"),
        "赣人社字〔2026〕1号",
        county.admin,
        T1,
    )
    assert second.value == Decimal("5200.50")
    assert parameter_in_force(kind=Kind.FUNERAL_ALLOWANCE, year=2026) == second
    # The older row is kept unchanged: it is the history.
    first.refresh_from_db()
    assert first.value == Decimal("5000.00")
    assert BenefitParameter.objects.filter(kind=Kind.FUNERAL_ALLOWANCE, year=2026).count() == 2
    # Other years and kinds are untouched.
    assert parameter_in_force(kind=Kind.FUNERAL_ALLOWANCE, year=2025) is None
    assert parameter_in_force(kind=Kind.COMPENSATION_MONTHS, year=2026) is None


def test_months_are_stored_as_a_whole_number(county: Any) -> None:
    row = benefit_parameter_set(
        kind=Kind.COMPENSATION_MONTHS, year=2026, value="12.00", note="", by=county.admin
    )
    assert row.value == Decimal(12)


def test_clearing_the_published_average_appends_a_row_without_value(county: Any) -> None:
    with time_machine.travel(T1, tick=False):
        benefit_parameter_set(
            kind=Kind.PUBLISHED_AVERAGE,
            year=2025,
            value=Decimal("2890.45"),
            note="县统计公报2025",
            by=county.admin,
        )
    with time_machine.travel(T2, tick=False):
        cleared = benefit_average_clear(year=2025, note="公报数字有误,撤回", by=county.admin)

    assert (cleared.kind, cleared.year, cleared.value, cleared.note) == (
        Kind.PUBLISHED_AVERAGE,
        2025,
        None,
        "公报数字有误,撤回",
    )
    assert parameter_in_force(kind=Kind.PUBLISHED_AVERAGE, year=2025) == cleared
    assert BenefitParameter.objects.filter(kind=Kind.PUBLISHED_AVERAGE, year=2025).count() == 2

    # Set again after clearing: in force again.
    with time_machine.travel(T3, tick=False):
        again = benefit_parameter_set(
            kind=Kind.PUBLISHED_AVERAGE, year=2025, value=Decimal("2880.00"), note="更正公报", by=county.admin
        )
    assert parameter_in_force(kind=Kind.PUBLISHED_AVERAGE, year=2025) == again


@pytest.mark.parametrize(
    ("kind", "year", "value", "note", "field", "message"),
    [
        (Kind.FUNERAL_ALLOWANCE, 2026, "0", "", "value", "金额须大于 0。"),
        (Kind.FUNERAL_ALLOWANCE, 2026, "-100", "", "value", "金额须大于 0。"),
        (Kind.FUNERAL_ALLOWANCE, 2026, "5000.001", "", "value", "金额只能精确到分(小数点后最多两位)。"),
        (Kind.FUNERAL_ALLOWANCE, 2026, "abc", "", "value", "请填写数值。"),
        (Kind.FUNERAL_ALLOWANCE, 2026, 5000.5, "", "value", "请填写数值。"),
        (Kind.FUNERAL_ALLOWANCE, 2026, "NaN", "", "value", "请填写数值。"),
        (Kind.FUNERAL_ALLOWANCE, 2026, "10000000000", "", "value", "金额过大,请检查。"),
        (Kind.COMPENSATION_MONTHS, 2026, "0", "", "value", "抚恤金月数须为 1 至 60 之间的整数。"),
        (Kind.COMPENSATION_MONTHS, 2026, "61", "", "value", "抚恤金月数须为 1 至 60 之间的整数。"),
        (Kind.COMPENSATION_MONTHS, 2026, "9.5", "", "value", "抚恤金月数须为 1 至 60 之间的整数。"),
        (Kind.FUNERAL_ALLOWANCE, 1989, "5000", "", "year", "年度须为 1990 至 2100 之间的整数。"),
        (Kind.FUNERAL_ALLOWANCE, 2101, "5000", "", "year", "年度须为 1990 至 2100 之间的整数。"),
        (Kind.PUBLISHED_AVERAGE, 2025, "2890.45", "  ", "note", "请填写依据(例如文件文号)。"),
        (Kind.PUBLISHED_AVERAGE, 2025, "2890.45", "文" * 201, "note", "依据或说明不能超过 200 个字。"),
        ("pension", 2026, "5000", "", "kind", "请选择要设置的参数。"),
    ],
)
def test_a_bad_value_is_refused_in_chinese_and_nothing_is_written(
    county: Any, kind: str, year: int, value: Any, note: str, field: str, message: str
) -> None:
    with pytest.raises(BenefitError) as refused:
        benefit_parameter_set(kind=kind, year=year, value=value, note=note, by=county.admin)

    assert (refused.value.field, refused.value.message) == (field, message)
    assert not BenefitParameter.objects.exists()


def test_the_same_value_and_basis_again_is_refused(county: Any) -> None:
    benefit_parameter_set(kind=Kind.COMPENSATION_MONTHS, year=2026, value=10, note="文件", by=county.admin)

    with pytest.raises(BenefitError) as refused:
        benefit_parameter_set(
            kind=Kind.COMPENSATION_MONTHS, year=2026, value="10", note="文件", by=county.admin
        )
    assert refused.value.message == "2026 年的抚恤金月数已经是这个数值,未修改。"

    # A new basis for the same value is a change worth recording.
    benefit_parameter_set(kind=Kind.COMPENSATION_MONTHS, year=2026, value=10, note="新文件", by=county.admin)
    assert BenefitParameter.objects.count() == 2


def test_clearing_needs_a_reason_and_a_published_figure(county: Any) -> None:
    with pytest.raises(BenefitError) as refused:
        benefit_average_clear(year=2025, note="没有公布", by=county.admin)
    assert refused.value.message == "2025 年没有公布的月人均养老金,无需清除。"

    benefit_parameter_set(
        kind=Kind.PUBLISHED_AVERAGE, year=2025, value="2890.45", note="公报", by=county.admin
    )
    with pytest.raises(BenefitError) as refused:
        benefit_average_clear(year=2025, note=" ", by=county.admin)
    assert (refused.value.field, refused.value.message) == ("note", "请填写清除的原因。")

    benefit_average_clear(year=2025, note="撤回", by=county.admin)
    with pytest.raises(BenefitError):
        benefit_average_clear(year=2025, note="再次撤回", by=county.admin)
    assert BenefitParameter.objects.count() == 2


@pytest.mark.parametrize("role", ["clerk", "reviewer", "auditor", "officer_a"])
def test_only_the_admin_sets_or_clears(county: Any, role: str) -> None:
    benefit_parameter_set(
        kind=Kind.PUBLISHED_AVERAGE, year=2025, value="2890.45", note="公报", by=county.admin
    )
    someone = getattr(county, role)

    with pytest.raises(PermissionDenied):
        benefit_parameter_set(kind=Kind.FUNERAL_ALLOWANCE, year=2026, value="5000", note="", by=someone)
    with pytest.raises(PermissionDenied):
        benefit_average_clear(year=2025, note="撤回", by=someone)

    assert BenefitParameter.objects.count() == 1
