"""Which months can be drafted: from settings.PAYOUT_FIRST_MONTH up to next month by the local date, in the
service, so the page, the API and the beat job all obey (docs/payouts.md)."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from pensions.errors import PlanError
from pensions.models import PayoutLine, PayoutPlan, PlanTransition
from pensions.services import draftable_months, plan_draft
from pensions.tasks import draft_payout_plan
from registry.months import PensionMonth as M

pytestmark = pytest.mark.django_db

# 2026-11-30 23:30 in the county is already 30 November there but 15:30 UTC: "next month" is December.
TODAY = datetime.datetime(2026, 11, 30, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _today(settings):
    settings.PAYOUT_FIRST_MONTH = "2025-01"
    with time_machine.travel(TODAY, tick=False):
        yield


def nothing_written() -> None:
    assert (PayoutPlan.objects.count(), PayoutLine.objects.count(), PlanTransition.objects.count()) == (
        0,
        0,
        0,
    )


def refusal(month: str) -> str:
    return (
        f"不能编制 {month} 的发放计划:只能编制 2025-01 至 2026-12 的发放计划"
        "(本系统自 2025-01 起发放,最晚可编制下个月)。"
    )


def test_the_range_is_first_month_to_next_month():
    assert draftable_months() == (M(2025, 1), M(2026, 12))
    assert draftable_months(today=datetime.date(2026, 12, 1)) == (M(2025, 1), M(2027, 1))


@pytest.mark.parametrize("month", [M(1990, 1), M(2024, 12), M(2027, 1), M(2099, 12)])
def test_months_outside_are_refused_with_the_reason(county, enrol, month):
    enrol()
    with pytest.raises(PlanError) as refused:
        plan_draft(month=month, by=county.clerk)
    assert (refused.value.message, refused.value.field) == (refusal(str(month)), "month")
    nothing_written()


@pytest.mark.parametrize("month", [M(2025, 1), M(2026, 11), M(2026, 12)])
def test_months_inside_are_drafted(county, enrol, month):
    enrol()
    assert plan_draft(month=month, by=county.clerk).line_count == 1


def test_the_first_month_is_a_setting(county, enrol, settings):
    enrol()
    settings.PAYOUT_FIRST_MONTH = "2026-06"
    with pytest.raises(PlanError, match="只能编制 2026-06 至 2026-12 的发放计划"):
        plan_draft(month=M(2026, 5), by=county.clerk)
    nothing_written()
    settings.PAYOUT_FIRST_MONTH = "June"
    with pytest.raises(PlanError) as refused:
        plan_draft(month=M(2026, 11), by=county.clerk)
    assert (
        refused.value.message == "系统设置 PAYOUT_FIRST_MONTH(“June”)不是“年-月”格式的月份,请联系系统管理员。"
    )
    nothing_written()


def test_the_page_the_api_and_the_beat_job_obey(client, county, enrol):
    enrol()
    client.force_login(county.clerk)
    form = client.get(reverse("payout-plan-list")).content.decode()
    assert 'min="2025-01"' in form and 'max="2026-12"' in form
    page = client.post(reverse("payout-plan-list"), {"month": "2099-12"})
    assert page.status_code == 400
    assert refusal("2099-12") in page.content.decode()

    api = APIClient()
    api.force_authenticate(county.clerk)
    response = api.post("/api/pensions/plans/", {"month": "1990-01"}, format="json")
    assert (response.status_code, response.json()) == (400, {"month": [refusal("1990-01")]})

    with pytest.raises(PlanError, match="不能编制 2027-02 的发放计划"):
        draft_payout_plan(M(2027, 2).number)
    nothing_written()
