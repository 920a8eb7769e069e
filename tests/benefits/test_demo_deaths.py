"""The demo county's deaths to walk through (benefits.demo.seed_demo_deaths, run by seed_demo_benefits): one
death reported by the 城关镇 officer, one recorded by the clerk for the reviewer, made through the real
services; confirming the recorded one recovers the month paid after the death; a second run adds nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from benefits.models import DeathRegistration
from benefits.services import death_registration_confirm, death_registration_preview
from registry.models import Retiree, Staff
from tests.factories import StaffFactory
from tests.pensions.conftest import Enrol, M

from .deaths_flow import NOV, OCT, approve_month

pytestmark = pytest.mark.django_db

Status = DeathRegistration.Status
NOW = datetime.datetime(2026, 12, 5, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo_benefits", stdout=out)
    return out.getvalue()


@pytest.fixture
def people(county: Any, enrol: Enrol) -> dict[str, Retiree]:
    """City (城关镇): the first paid person; a suspended one and a later one are passed over. 梅林镇: one."""
    StaffFactory.create(username="chengguan", role=Staff.Role.TOWNSHIP_STAFF, org_unit=county.township_a)
    suspended = enrol(status=Retiree.Status.SUSPENDED, community=county.community_a1, name="赵桂英")
    first = enrol(community=county.community_a2, rates=((M(2018, 4), "2600.00"),), name="张建国")
    enrol(community=county.community_a1, name="李秀兰")
    meilin = enrol(community=county.community_b1, rates=((M(2018, 4), "2800.00"),), name="王德胜")
    return {"suspended": suspended, "first": first, "meilin": meilin}


def test_one_reported_and_one_pending_then_a_second_run_adds_nothing(
    county: Any, people: dict[str, Retiree]
) -> None:
    with time_machine.travel(NOW, tick=False):
        approve_month(county, OCT)
        approve_month(county, NOV)
        printed = _seed()

        reported = DeathRegistration.objects.get(status=Status.REPORTED)
        pending = DeathRegistration.objects.get(status=Status.PENDING)
        assert DeathRegistration.objects.count() == 2
        assert (reported.retiree, reported.died_on, reported.reported_by) == (
            people["first"],
            datetime.date(2026, 11, 12),
            Staff.objects.get(username="chengguan"),
        )
        assert reported.source == DeathRegistration.Source.TOWNSHIP
        assert (reported.reporter_name, reported.reporter_relation) == ("张志明", "儿子")
        assert (pending.retiree, pending.died_on, pending.recorded_by) == (
            people["meilin"],
            datetime.date(2026, 10, 18),
            county.clerk,
        )
        assert pending.source == DeathRegistration.Source.FAMILY
        assert "死亡登记:城关镇 张建国(2026-11-12 死亡)已由乡镇报告,待经办人登记" in printed
        assert "死亡登记:梅林镇 王德胜(2026-10-18 死亡)已由经办人登记,待复核确认" in printed

        # What the reviewer is shown: November, paid after the October death, is recovered.
        preview = death_registration_preview(registration=pending)
        assert [(str(item.month), item.amount) for item in preview.recovered] == [
            ("2026-11", Decimal("2800.00"))
        ]

        again = _seed()
        assert DeathRegistration.objects.count() == 2
        assert "演示死亡登记已存在,跳过。" in again
        assert "死亡登记:" not in again

        # The reviewer confirms it; the seeding still adds nothing (any registration is enough).
        death_registration_confirm(registration=pending, by=county.reviewer)
        _seed()
        assert DeathRegistration.objects.count() == 2
        assert DeathRegistration.objects.filter(status=Status.CONFIRMED).count() == 1


def test_without_the_township_login_no_death_is_made(county: Any, enrol: Enrol) -> None:
    enrol()
    with time_machine.travel(NOW, tick=False):
        printed = _seed()
    assert "缺少演示账号 chengguan,未生成死亡登记(请先运行 seed_demo)。" in printed
    assert not DeathRegistration.objects.exists()
