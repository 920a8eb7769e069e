"""Campaigns (认证年度): the admin makes and changes them under the rules, nothing changes after the year's
suspension run; the suspension page and API show the run per township, scoped and masked."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from certification.errors import CertificationError
from certification.models import Campaign, Certification
from certification.services import campaign_create, campaign_update, certify, suspension_run
from registry.models import Retiree, Staff
from tests.factories import StaffFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
AUG_1 = datetime.date(2026, 8, 1)
D = datetime.date

# The event model pghistory generates for Campaign (certification/models.py tracks it).
CampaignEvent = apps.get_model("certification", "CampaignEvent")


@pytest.fixture(autouse=True)
def june_2026():
    # Before the 2026 suspension date: the date may still move (not into the past).
    with time_machine.travel(datetime.datetime(2026, 6, 10, 9, 0, tzinfo=SHANGHAI), tick=False):
        yield


def fields(campaign: Campaign) -> tuple:
    campaign.refresh_from_db()
    return (
        campaign.window_start,
        campaign.window_end,
        campaign.remote_export_deadline,
        campaign.suspension_date,
        campaign.mode,
    )


DEFAULT_2026 = (D(2026, 4, 1), D(2026, 5, 31), D(2026, 3, 31), D(2026, 8, 1), "campaign")


@pytest.fixture
def campaign_2026(county) -> Campaign:
    return Campaign.objects.create(year=2026, **Campaign.default_dates(2026))


def web(staff: Staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def api(staff: Staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff)
    return client


# Creating ---------------------------------------------------------------------------------------------------


def test_the_admin_creates_next_year_with_the_default_dates_and_the_county_mode(county, settings):
    settings.CERTIFICATION_MODE = "rolling_12_months"
    campaign = campaign_create(year=2027, by=county.admin)

    assert fields(campaign) == (
        D(2027, 4, 1),
        D(2027, 5, 31),
        D(2027, 3, 31),
        D(2027, 8, 1),
        "rolling_12_months",
    )
    (event,) = CampaignEvent.objects.filter(pgh_obj=campaign)
    assert (event.pgh_label, event.pgh_context.metadata["user"]) == ("insert", county.admin.pk)


@pytest.mark.parametrize(
    ("year", "message"),
    [(2028, "只能建立 2000 年至 2027 年的认证年度。"), (1999, "只能建立 2000 年至 2027 年的认证年度。")],
)
def test_a_year_too_far_is_refused(county, year, message):
    with pytest.raises(CertificationError) as refused:
        campaign_create(year=year, by=county.admin)
    assert (refused.value.message, refused.value.field) == (message, "year")
    assert Campaign.objects.count() == 0


def test_a_year_that_exists_is_refused_and_kept(campaign_2026, county):
    with pytest.raises(CertificationError) as refused:
        campaign_create(year=2026, by=county.admin, window_end=D(2026, 6, 30))
    assert refused.value.message == "2026 年度的认证已经建立。"
    assert Campaign.objects.count() == 1
    assert fields(campaign_2026) == DEFAULT_2026


@pytest.mark.parametrize("persona", ["clerk", "reviewer", "auditor", "officer_a"])
def test_only_the_admin_creates_or_changes_a_campaign(campaign_2026, county, persona):
    staff = county.staff_by_role()[persona]
    with pytest.raises(PermissionDenied):
        campaign_create(year=2027, by=staff)
    with pytest.raises(PermissionDenied):
        campaign_update(campaign=campaign_2026, by=staff, window_end=D(2026, 6, 15))
    assert list(Campaign.objects.values_list("year", flat=True)) == [2026]
    assert fields(campaign_2026) == DEFAULT_2026


# Changing ---------------------------------------------------------------------------------------------------


def test_the_admin_moves_the_dates_and_the_change_is_recorded(campaign_2026, county):
    campaign_update(
        campaign=campaign_2026,
        by=county.admin,
        window_end=D(2026, 6, 30),
        suspension_date=D(2026, 8, 15),
        mode="rolling_12_months",
    )

    assert fields(campaign_2026) == (
        D(2026, 4, 1),
        D(2026, 6, 30),
        D(2026, 3, 31),
        D(2026, 8, 15),
        "rolling_12_months",
    )
    update = CampaignEvent.objects.get(pgh_obj=campaign_2026, pgh_label="update")
    assert (update.window_end, update.suspension_date, update.mode) == (
        D(2026, 6, 30),
        D(2026, 8, 15),
        "rolling_12_months",
    )
    assert update.pgh_context.metadata["user"] == county.admin.pk


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"window_start": D(2026, 6, 1)}, "window_start", "认证开始日期不能晚于认证截止日期。"),
        (
            {"remote_export_deadline": D(2026, 6, 1)},
            "remote_export_deadline",
            "异地人员数据导出截止日期不能晚于认证截止日期。",
        ),
        ({"suspension_date": D(2026, 5, 31)}, "suspension_date", "暂停发放日期须在认证截止日期之后。"),
        ({"window_start": D(2025, 12, 1)}, "window_start", "日期须在 2026 年内。"),
        ({"suspension_date": D(2027, 1, 5)}, "suspension_date", "日期须在 2026 年内。"),
        ({"remote_export_deadline": D(2025, 12, 31)}, "remote_export_deadline", "日期须在 2026 年内。"),
        ({"mode": "weekly"}, "mode", "请选择认证方式。"),
        ({"suspension_date": D(2026, 6, 5)}, "suspension_date", "暂停发放日期不能改为今天以前的日期。"),
    ],
)
def test_each_refusal_changes_nothing(campaign_2026, county, change, field, message):
    with pytest.raises(CertificationError) as refused:
        campaign_update(campaign=campaign_2026, by=county.admin, **change)
    assert (refused.value.message, refused.value.field) == (message, field)
    assert fields(campaign_2026) == DEFAULT_2026


def test_nothing_changes_after_the_years_suspension_run(campaign_2026, county):
    suspension_run(year=2026, today=AUG_1)

    with pytest.raises(CertificationError) as refused:
        campaign_update(campaign=campaign_2026, by=county.admin, mode="rolling_12_months")
    assert refused.value.message == "2026 年度已执行暂停发放,不能再修改认证日期或认证方式。"
    with pytest.raises(CertificationError):
        campaign_update(campaign=campaign_2026, by=county.admin, suspension_date=D(2026, 9, 1))
    assert fields(campaign_2026) == DEFAULT_2026


# Pages ------------------------------------------------------------------------------------------------------


def test_every_role_reads_the_list_and_only_the_admin_gets_the_buttons(campaign_2026, county):
    suspension_run(year=2026, today=AUG_1)
    Campaign.objects.create(year=2027, **Campaign.default_dates(2027))
    url = reverse("certification-campaign-list")
    assert url == "/certification/campaigns/"

    officer_page = web(county.officer_a).get(url).content.decode()
    assert 'data-year="2027"' in officer_page and 'data-year="2026"' in officer_page
    assert "暂停 3 人" in officer_page
    assert "campaign-create-open" not in officer_page
    assert reverse("certification-campaign-edit", args=[2027]) not in officer_page

    admin_page = web(county.admin).get(url).content.decode()
    assert "建立 2028 年度" not in admin_page  # only up to next year (2027 exists)
    assert reverse("certification-campaign-edit", args=[2027]) in admin_page
    assert reverse("certification-campaign-edit", args=[2026]) not in admin_page  # ran: no edit button


def test_the_admin_creates_next_year_from_the_page_after_a_confirmation(campaign_2026, county):
    page = web(county.admin).get(reverse("certification-campaign-list")).content.decode()
    assert "建立 2027 年度" in page and "2027-08-01" in page  # the dialog shows the dates it will use

    response = web(county.admin).post(reverse("certification-campaign-create"), {"year": "2027"})

    assert response.status_code == 302
    assert list(Campaign.objects.values_list("year", flat=True)) == [2027, 2026]


def test_a_township_officer_cannot_post_a_campaign(campaign_2026, county):
    assert (
        web(county.officer_a).post(reverse("certification-campaign-create"), {"year": "2027"}).status_code
        == 403
    )
    response = web(county.officer_a).post(
        reverse("certification-campaign-edit", args=[2026]), {"window_end": "2026-06-30"}
    )
    assert response.status_code == 403
    assert Campaign.objects.count() == 1
    assert fields(campaign_2026) == DEFAULT_2026


def test_a_staff_member_without_a_unit_cannot_read_the_list(county):
    nobody = StaffFactory.create(username="nobody", role=Staff.Role.TOWNSHIP_STAFF, org_unit=None)
    assert web(nobody).get(reverse("certification-campaign-list")).status_code == 403
    assert api(nobody).get(reverse("api-certification-campaigns")).status_code == 403


def test_the_edit_page_shows_the_refusal_and_saves_nothing(campaign_2026, county):
    form = web(county.admin).get(reverse("certification-campaign-edit", args=[2026])).content.decode()
    assert 'value="2026-08-01"' in form and 'value="2026-05-31"' in form
    data = {
        "window_start": "2026-04-01",
        "window_end": "2026-05-31",
        "remote_export_deadline": "2026-03-31",
        "suspension_date": "2026-05-20",
        "mode": "campaign",
    }
    response = web(county.admin).post(reverse("certification-campaign-edit", args=[2026]), data)

    assert response.status_code == 400
    assert "暂停发放日期须在认证截止日期之后。" in response.content.decode()
    assert fields(campaign_2026) == DEFAULT_2026

    response = web(county.admin).post(
        reverse("certification-campaign-edit", args=[2026]), {**data, "suspension_date": "2026-08-20"}
    )
    assert response.status_code == 302
    assert fields(campaign_2026)[3] == D(2026, 8, 20)


# The suspension page ----------------------------------------------------------------------------------------


@pytest.fixture
def ran(campaign_2026, county):
    """Township A: 张建国 and 李秀兰 suspended; township B: 王德胜 suspended; 张建国 restored on August 5."""
    run = suspension_run(year=2026, today=AUG_1)
    with time_machine.travel(datetime.datetime(2026, 8, 5, 10, 0, tzinfo=SHANGHAI), tick=False):
        certify(
            retiree=county.retiree_a1,
            channel=Certification.Channel.IN_PERSON,
            certified_on=D(2026, 8, 5),
            by=county.officer_a,
        )
    return run


def test_the_suspension_page_shows_the_run_per_township_and_who_was_restored(ran, county):
    url = reverse("certification-suspension", args=[2026])
    assert url == "/certification/campaigns/2026/suspension/"

    page = web(county.clerk).get(url).content.decode()

    assert 'data-field="count">3<' in page
    assert page.count('data-col="suspended">2<') == 1 and page.count('data-col="suspended">1<') == 1
    assert page.count('data-col="restored">1<') == 1
    assert "2026-08-05 已认证恢复" in page
    assert county.retiree_a1.id_number not in page  # masked even for a role that may see full numbers
    assert county.retiree_a1.id_number[:6] + "********" + county.retiree_a1.id_number[-4:] in page
    for name in ("张建国", "李秀兰", "王德胜"):
        assert name in page


def test_a_township_officer_sees_only_their_township_on_the_suspension_page(ran, county):
    page = web(county.officer_b).get(reverse("certification-suspension", args=[2026])).content.decode()

    assert "王德胜" in page
    assert "张建国" not in page and "李秀兰" not in page
    assert f'data-township="{county.township_a.pk}"' not in page
    assert f'data-township="{county.township_b.pk}"' in page

    # Asking for the other township's people shows none of them
    other = web(county.officer_b).get(
        reverse("certification-suspension", args=[2026]), {"township": county.township_a.pk}
    )
    assert "张建国" not in other.content.decode()


def test_before_the_run_the_page_says_when_it_will_run(campaign_2026, county):
    page = web(county.officer_a).get(reverse("certification-suspension", args=[2026])).content.decode()
    assert "本年度尚未执行暂停发放。系统将于 2026-08-01 自动执行" in page


# API --------------------------------------------------------------------------------------------------------


def test_the_api_lists_creates_and_changes_campaigns(campaign_2026, county):
    listed = api(county.officer_a).get(reverse("api-certification-campaigns"))
    assert listed.status_code == 200
    assert listed.json() == [
        {
            "year": 2026,
            "window_start": "2026-04-01",
            "window_end": "2026-05-31",
            "remote_export_deadline": "2026-03-31",
            "suspension_date": "2026-08-01",
            "mode": "campaign",
            "mode_label": "年度集中认证",
            "suspension_ran": False,
            "suspended_count": None,
        }
    ]

    assert api(county.clerk).post(reverse("api-certification-campaigns"), {"year": 2027}).status_code == 403
    created = api(county.admin).post(
        reverse("api-certification-campaigns"), {"year": 2027, "window_end": "2027-06-15"}, format="json"
    )
    assert created.status_code == 201
    assert (created.json()["window_end"], created.json()["suspension_date"]) == ("2027-06-15", "2027-08-01")

    refused = api(county.admin).patch(
        reverse("api-certification-campaign", args=[2026]), {"suspension_date": "2026-05-01"}, format="json"
    )
    assert (refused.status_code, refused.json()) == (
        400,
        {"suspension_date": ["暂停发放日期须在认证截止日期之后。"]},
    )
    assert fields(campaign_2026) == DEFAULT_2026

    changed = api(county.admin).patch(
        reverse("api-certification-campaign", args=[2026]), {"mode": "rolling_12_months"}, format="json"
    )
    assert (changed.status_code, changed.json()["mode"]) == (200, "rolling_12_months")


def test_the_api_gives_the_run_per_township_in_scope(ran, county):
    url = reverse("api-certification-suspension", args=[2026])
    whole = api(county.clerk).get(url).json()
    assert (whole["suspended_count"], whole["notices_pending"]) == (3, 2)
    assert [
        (row["township_name"], row["suspended"], row["restored"], row["still_suspended"], row["notice_url"])
        for row in whole["townships"]
    ] == [("城关镇", 2, 1, 1, None), ("梅林镇", 1, 0, 1, None)]

    own = api(county.officer_b).get(url).json()
    assert [row["township_name"] for row in own["townships"]] == ["梅林镇"]

    assert api(county.clerk).get(reverse("api-certification-suspension", args=[2027])).status_code == 404
    assert Retiree.objects.filter(status="suspended").count() == 2
