"""Settings of the claim parameters in the county-wide audit log: who, when, old → new, the basis."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from benefits.models import BenefitParameter
from benefits.services import benefit_average_clear, benefit_parameter_set
from registry.selectors.audit_log import AuditLogFilters, audit_log_page

pytestmark = pytest.mark.django_db

Kind = BenefitParameter.Kind
SH = ZoneInfo("Asia/Shanghai")
T = datetime.datetime(2026, 12, 5, 10, 0, tzinfo=SH)


def test_every_setting_and_clearing_is_in_the_audit_log(county: Any) -> None:
    steps = [
        lambda: benefit_parameter_set(
            kind=Kind.COMPENSATION_MONTHS, year=2026, value=10, note="", by=county.admin
        ),
        lambda: benefit_parameter_set(
            kind=Kind.COMPENSATION_MONTHS, year=2026, value=12, note="调整", by=county.admin
        ),
        lambda: benefit_parameter_set(
            kind=Kind.PUBLISHED_AVERAGE, year=2025, value="2890.45", note="县统计公报", by=county.admin
        ),
        lambda: benefit_average_clear(year=2025, note="撤回", by=county.admin),
    ]
    for minute, step in enumerate(steps):
        with time_machine.travel(T + datetime.timedelta(minutes=minute), tick=False):
            step()

    page = audit_log_page(filters=AuditLogFilters(kind="benefit_parameter"))

    assert [(row.at, row.who, row.action, row.subject, row.note) for row in page.rows] == [
        (
            T + datetime.timedelta(minutes=3),
            "a",
            "清除",
            "2025 年公布的月人均基本养老金:¥2,890.45 → 清除",
            "撤回",
        ),
        (
            T + datetime.timedelta(minutes=2),
            "a",
            "设置",
            "2025 年公布的月人均基本养老金:— → ¥2,890.45",
            "县统计公报",
        ),
        (T + datetime.timedelta(minutes=1), "a", "设置", "2026 年抚恤金月数:10 → 12", "调整"),
        (T, "a", "设置", "2026 年抚恤金月数:— → 10", ""),
    ]
