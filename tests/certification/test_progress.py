"""Certification progress: exact counts per township and community for a small county, scoping, the chart
series, the 12-month mode, the missing list with its PDF and xlsx, the API and the home card."""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from certification.models import Campaign, Certification, Mode
from certification.pdfs.missing_list import missing_pdf
from certification.selectors.progress import (
    Counts,
    certification_progress,
    missing_retirees,
    progress_unit,
)
from certification.services import certify
from registry.models import Agent, ExportJob, OrgUnit, Retiree, SensitiveExport, Staff
from registry.services import ExportNumbers
from registry.services.export_jobs import export_job_run
from tests.certification.campaigns import campaign_of
from tests.conftest import County
from tests.factories import RetireeFactory, StaffFactory, make_id_number
from tests.pdfs import pdf_fonts, pdf_info, pdf_text

SHANGHAI = ZoneInfo("Asia/Shanghai")
AUG_10 = datetime.datetime(2026, 8, 10, 10, 0, tzinfo=SHANGHAI)
JUN_1 = datetime.datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI)
TODAY = AUG_10.date()
IN_PERSON = Certification.Channel.IN_PERSON
Status = Retiree.Status
D = datetime.date


@dataclass
class People:
    county: County
    zhang: Retiree  # A1, certified 2025-06-20 and 2026-04-10
    zeng: Retiree  # A1, certified 2025-05-20 only, has an agent
    an: Retiree  # A1, suspended, never certified
    qian: Retiree  # A1, certified 2026-04-10
    li: Retiree  # A2, certified 2026-07-20 (after the window)
    zhou: Retiree  # A2, certified 2025-06-15 only
    zheng: Retiree  # A2, certified 2026-05-05
    wang: Retiree  # B1, certified 2026-04-02
    wu: Retiree  # B1, never certified


def _person(community: OrgUnit, name: str, **extra: object) -> Retiree:
    return RetireeFactory.create(community=community, name=name, **extra)


def _certify(retiree: Retiree, on: datetime.date, by: Staff) -> None:
    certify(retiree=retiree, channel=IN_PERSON, certified_on=on, by=by)


@pytest.fixture
def people(county: County) -> People:
    """Township A: 东街社区 (A1) and 西街社区 (A2); township B: 梅林村 (B1). Deceased and terminated people
    are never due. Campaign 2026 (default mode), today 2026-08-10:
    A1 due 4 certified 2; A2 due 3 certified 2; A due 7 certified 4; B1 due 2 certified 1; county 9 / 5.
    The admin made the 2025 and 2026 campaigns (certifying makes none)."""
    campaign_of(2025)
    campaign_of(2026)
    a1, a2, b1 = county.community_a1, county.community_a2, county.community_b1
    zhang = county.retiree_a1
    zhang.name, zhang.address, zhang.phone = "张建国", "东街12号", "13900000012"
    zhang.save(update_fields=["name", "address", "phone"])
    zeng = _person(a1, "曾国华", address="东街3号", phone="13900000003")
    Agent.objects.create(
        retiree=zeng,
        name="曾小明",
        id_number=make_id_number(D(1985, 2, 1)),
        relation="儿子",
        phone="13800000001",
        valid_from=D(2024, 1, 1),
    )
    an = _person(a1, "安娜", status=Status.SUSPENDED, address="东街8号")
    _person(a1, "赵丽", status=Status.DECEASED, died_on=D(2026, 3, 2))
    qian = _person(a1, "钱伟")
    li = county.retiree_a2
    zhou = _person(
        a2,
        "周敏",
        residence=Retiree.Residence.REMOTE,
        remote_province="海南省",
        remote_city="三亚市",
        remote_address="河东路1号",
    )
    zheng = _person(a2, "郑洁")
    _person(a2, "孙强", status=Status.TERMINATED)
    wang = county.retiree_b1
    wu = _person(b1, "吴刚")

    officer_a, officer_b = county.officer_a, county.officer_b
    _certify(zhang, D(2025, 6, 20), officer_a)
    _certify(zhang, D(2026, 4, 10), officer_a)
    _certify(zeng, D(2025, 5, 20), officer_a)
    _certify(qian, D(2026, 4, 10), officer_a)
    _certify(li, D(2026, 7, 20), officer_a)
    _certify(zhou, D(2025, 6, 15), officer_a)
    _certify(zheng, D(2026, 5, 5), officer_a)
    _certify(wang, D(2026, 4, 2), officer_b)
    return People(county, zhang, zeng, an, qian, li, zhou, zheng, wang, wu)


def _table(progress) -> dict[str, tuple[int, int, int]]:
    rows = {
        row.unit.name: (row.counts.due, row.counts.certified, row.counts.remaining) for row in progress.rows
    }
    rows["合计"] = (progress.total.due, progress.total.certified, progress.total.remaining)
    return rows


def _progress(user: Staff, *, year: int = 2026, unit: OrgUnit | None = None, today: datetime.date = TODAY):
    found = progress_unit(user=user, unit_id=unit.pk if unit else None)
    return certification_progress(user=user, year=year, unit=found, today=today)


def _client(user: Staff) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Counts -----------------------------------------------------------------------------------------------------


def test_county_user_sees_every_township_with_a_total(people):
    progress = _progress(people.county.clerk)

    assert progress.unit == people.county.county
    assert _table(progress) == {"城关镇": (7, 4, 3), "梅林镇": (2, 1, 1), "合计": (9, 5, 4)}
    assert [row.has_children for row in progress.rows] == [True, True]
    assert progress.total.percent == Decimal("55.6")
    assert str(progress.total.percent) == "55.6"


def test_those_who_retired_during_the_year_are_not_due(people):
    # Checked at intake: due from next year's campaign, and the suspension job leaves them alone too.
    _person(people.county.community_b1, "新退休", retirement_date=D(2026, 1, 1))
    _person(people.county.community_b1, "去年退休", retirement_date=D(2025, 12, 31))

    assert _table(_progress(people.county.clerk))["梅林镇"] == (3, 1, 2)
    missing = missing_retirees(
        user=people.county.clerk, year=2026, unit=people.county.township_b, today=TODAY
    ).values_list("name", flat=True)
    assert sorted(missing) == sorted(["去年退休", people.wu.name])


def test_totals_are_the_sum_of_the_rows(people):
    for user, unit in [
        (people.county.clerk, people.county.county),
        (people.county.clerk, people.county.township_a),
        (people.county.officer_b, people.county.township_b),
    ]:
        progress = _progress(user, unit=unit)
        assert progress.total.due == sum(row.counts.due for row in progress.rows)
        assert progress.total.certified == sum(row.counts.certified for row in progress.rows)


def test_township_officer_sees_their_communities(people):
    progress = _progress(people.county.officer_a)

    assert progress.unit == people.county.township_a
    assert _table(progress) == {"东街社区": (4, 2, 2), "西街社区": (3, 2, 1), "合计": (7, 4, 3)}
    assert [str(row.counts.percent) for row in progress.rows] == ["50.0", "66.7"]
    assert str(progress.total.percent) == "57.1"
    assert progress.path == [people.county.township_a]


def test_a_county_user_drills_into_a_township(people):
    progress = _progress(people.county.clerk, unit=people.county.township_a)

    assert _table(progress) == {"东街社区": (4, 2, 2), "西街社区": (3, 2, 1), "合计": (7, 4, 3)}
    assert progress.path == [people.county.county, people.county.township_a]


def test_a_community_station_sees_its_community(people):
    progress = _progress(people.county.station_a1)

    assert _table(progress) == {"东街社区": (4, 2, 2), "合计": (4, 2, 2)}


def test_a_past_year_counts_that_years_certifications(people):
    progress = _progress(people.county.clerk, year=2025)

    # 2025: 张建国, 曾国华 and 周敏; due is today's active and suspended people.
    assert _table(progress) == {"城关镇": (7, 3, 4), "梅林镇": (2, 0, 2), "合计": (9, 3, 6)}
    assert progress.as_of == D(2025, 12, 31)


def test_a_unit_with_nobody_due_has_no_percentage(people):
    empty = OrgUnit.objects.create(
        code="360721102", name="新区", kind=OrgUnit.Kind.TOWNSHIP, parent=people.county.county, sort_order=9
    )
    progress = _progress(people.county.clerk)

    assert _table(progress)["新区"] == (0, 0, 0)
    assert progress.rows[-1].counts.percent is None
    assert Counts(due=0, certified=0).bar_width == "0.0"
    assert empty.pk == progress.rows[-1].unit.pk


def test_the_rolling_mode_counts_the_last_twelve_months(people):
    Campaign.objects.filter(year=2026).update(mode=Mode.ROLLING_12_MONTHS)

    progress = _progress(people.county.officer_a, today=JUN_1.date())

    # 2025-06-02 … 2026-06-01: 张建国 (twice: once), 钱伟, 周敏 (2025-06-15), 郑洁; not 曾国华 (2025-05-20)
    # nor 李秀兰 (2026-07-20, after the as-of date).
    assert (progress.since, progress.as_of) == (D(2025, 6, 2), D(2026, 6, 1))
    assert _table(progress) == {"东街社区": (4, 2, 2), "西街社区": (3, 2, 1), "合计": (7, 4, 3)}
    county_progress = _progress(people.county.clerk, today=JUN_1.date())
    assert _table(county_progress) == {"城关镇": (7, 4, 3), "梅林镇": (2, 1, 1), "合计": (9, 5, 4)}

    later = _progress(people.county.clerk, today=TODAY)
    # 2025-08-11 … 2026-08-10: 周敏's 2025-06-15 no longer counts, 李秀兰's 2026-07-20 does.
    assert _table(later) == {"城关镇": (7, 4, 3), "梅林镇": (2, 1, 1), "合计": (9, 5, 4)}
    assert {row.unit.name: row.counts.certified for row in _progress(people.county.officer_a).rows} == {
        "东街社区": 2,
        "西街社区": 2,
    }


def test_the_rolling_mode_series_counts_each_retiree_once_in_the_line(people):
    Campaign.objects.filter(year=2026).update(mode=Mode.ROLLING_12_MONTHS)

    progress = _progress(people.county.clerk, today=JUN_1.date())
    series = {point.day: (point.certifications, point.cumulative) for point in progress.by_day}

    assert (progress.by_day[0].day, progress.by_day[-1].day, len(progress.by_day)) == (
        D(2025, 6, 2),
        D(2026, 6, 1),
        365,
    )
    assert series[D(2025, 6, 15)] == (1, 1)
    assert series[D(2025, 6, 20)] == (1, 2)
    assert series[D(2026, 4, 2)] == (1, 3)
    assert series[D(2026, 4, 10)] == (2, 4)  # 张建国's second record is a bar, not a new person
    assert series[D(2026, 5, 5)] == (1, 5)
    assert sum(point.certifications for point in progress.by_day) == 6
    assert progress.by_day[-1].cumulative == progress.total.certified == 5


# Chart series -----------------------------------------------------------------------------------------------


def test_the_series_covers_the_window_and_after_it(people):
    progress = _progress(people.county.clerk)
    series = {point.day: (point.certifications, point.cumulative) for point in progress.by_day}

    assert (progress.by_day[0].day, progress.by_day[-1].day, len(progress.by_day)) == (
        D(2026, 4, 1),
        D(2026, 8, 10),
        132,
    )
    assert series[D(2026, 4, 1)] == (0, 0)
    assert series[D(2026, 4, 2)] == (1, 1)
    assert series[D(2026, 4, 10)] == (2, 3)
    assert series[D(2026, 5, 5)] == (1, 4)
    assert series[D(2026, 7, 20)] == (1, 5)
    assert series[D(2026, 8, 10)] == (0, 5)
    assert sum(point.certifications for point in progress.by_day) == 5


def test_the_series_of_a_township_and_of_the_current_window(people):
    during = _progress(people.county.officer_b, today=D(2026, 4, 15))

    # During the window the series runs to its end; the line stops at today.
    assert (during.by_day[0].day, during.by_day[-1].day) == (D(2026, 4, 1), D(2026, 5, 31))
    series = {point.day: (point.certifications, point.cumulative) for point in during.by_day}
    assert series[D(2026, 4, 2)] == (1, 1)
    assert series[D(2026, 4, 15)] == (0, 1)
    assert series[D(2026, 4, 16)] == (0, None)
    past = _progress(people.county.clerk, year=2025)
    # A past year: the window stretched to its last certification, whatever today is.
    assert (past.by_day[0].day, past.by_day[-1].day) == (D(2025, 4, 1), D(2025, 6, 20))
    assert past.by_day[-1].cumulative == 3


# Pages ------------------------------------------------------------------------------------------------------


@time_machine.travel(AUG_10, tick=False)
def test_progress_page_shows_the_table_the_chart_and_the_years(people):
    response = _client(people.county.officer_a).get(reverse("certification-progress"))

    assert response.status_code == 200
    html = response.content.decode()
    table = html[html.index('id="progress-table"') :]
    assert re.search(
        r'data-unit="total">.*?data-col="due">7<.*?data-col="certified">4<.*?'
        r'data-col="remaining">3<.*?57\.1%',
        table,
        re.S,
    )
    assert 'hx-trigger="every 30s"' in html
    assert 'id="progress-chart-data"' in html and "chart.umd.min.js" in html
    assert '"cumulative": [0, 0, 0, 0, 0, 0, 0, 0, 0, 2,' in html  # township A: 张建国, 钱伟 on 04-10
    assert '<option value="2026" selected>' in html and '<option value="2025">' in html
    assert "梅林" not in html


@time_machine.travel(AUG_10, tick=False)
def test_the_table_partial_moves_as_people_certify(people):
    client = _client(people.county.officer_a)
    before = client.get(reverse("certification-progress"), HTTP_HX_REQUEST="true")
    certify(retiree=people.an, channel=IN_PERSON, certified_on=TODAY, by=people.county.officer_a)
    after = client.get(reverse("certification-progress"), HTTP_HX_REQUEST="true")

    assert before.status_code == after.status_code == 200
    assert "<html" not in after.content.decode()
    total = r'data-unit="total">.*?data-col="due">{}<.*?data-col="certified">{}<.*?data-col="remaining">{}<'
    assert re.search(total.format(7, 4, 3), before.content.decode(), re.S)
    assert re.search(total.format(7, 5, 2), after.content.decode(), re.S)


@time_machine.travel(AUG_10, tick=False)
def test_an_unreadable_year_falls_back_to_this_year_in_the_unit_asked_for(people):
    client = _client(people.county.clerk)
    response = client.get(
        reverse("certification-progress"), {"year": "abc", "unit": people.county.township_b.pk}
    )

    assert response.status_code == 200
    assert response.context["progress"].year == 2026
    assert response.context["progress"].unit == people.county.township_b
    assert _table(response.context["progress"]) == {"梅林村": (2, 1, 1), "合计": (2, 1, 1)}


@time_machine.travel(AUG_10, tick=False)
def test_reading_a_year_without_a_campaign_writes_nothing(people):
    before = list(Campaign.objects.order_by("year").values_list("year", flat=True))
    response = _client(people.county.clerk).get(reverse("certification-progress"), {"year": 2027})

    assert response.status_code == 200
    assert list(Campaign.objects.order_by("year").values_list("year", flat=True)) == before == [2025, 2026]


@time_machine.travel(AUG_10, tick=False)
@pytest.mark.parametrize(
    "name",
    [
        "certification-progress",
        "certification-missing",
        "certification-missing-pdf",
        "certification-missing-xlsx",
    ],
)
def test_an_officer_cannot_see_another_townships_units(people, name):
    client = _client(people.county.officer_b)
    county = people.county
    for unit in (county.township_a, county.community_a1, county.county):
        assert client.get(reverse(name), {"unit": unit.pk}).status_code == 404
    assert client.get(reverse(name), {"unit": "x"}).status_code == 404
    assert client.get(reverse(name), {"unit": 999999}).status_code == 404
    station = _client(county.station_a1)
    assert station.get(reverse(name), {"unit": county.community_a2.pk}).status_code == 404
    assert station.get(reverse(name), {"unit": county.community_a1.pk}).status_code == 200


@time_machine.travel(AUG_10, tick=False)
@pytest.mark.parametrize(
    "name",
    [
        "certification-progress",
        "certification-missing",
        "certification-missing-pdf",
        "certification-missing-xlsx",
    ],
)
def test_a_staff_member_without_a_role_gets_403(people, name):
    nobody = StaffFactory.create(username="nobody", role="", org_unit=people.county.county)
    assert _client(nobody).get(reverse(name)).status_code == 403
    assert Client().get(reverse(name)).status_code == 302  # to the login page


@time_machine.travel(AUG_10, tick=False)
def test_missing_list_page_in_community_and_pinyin_order(people):
    response = _client(people.county.officer_a).get(reverse("certification-missing"))

    assert response.status_code == 200
    html = response.content.decode()
    rows = re.findall(r'<tr data-retiree="(\d+)">', html)
    assert rows == [str(people.an.pk), str(people.zeng.pk), str(people.zhou.pk)]  # an, zeng | zhou
    assert people.zeng.masked_id_number in html and people.zeng.id_number not in html
    assert "曾小明(儿子) 13800000001" in html
    assert "2025-05-20" in html and "2025-06-15" in html
    assert "海南省三亚市河东路1号" in html
    assert 'id="missing-count">3 人' in html


@time_machine.travel(AUG_10, tick=False)
def test_missing_list_is_paged(people, monkeypatch):
    monkeypatch.setattr("certification.views.progress.PAGE_SIZE", 2)
    client = _client(people.county.clerk)

    first = client.get(reverse("certification-missing"), {"year": 2026})
    second = client.get(reverse("certification-missing"), {"year": 2026, "page": 2})

    # County: 安娜, 曾国华 (东街), 周敏 (西街), 吴刚 (梅林村)
    assert re.findall(r'<tr data-retiree="(\d+)">', first.content.decode()) == [
        str(people.an.pk),
        str(people.zeng.pk),
    ]
    assert re.findall(r'<tr data-retiree="(\d+)">', second.content.decode()) == [
        str(people.zhou.pk),
        str(people.wu.pk),
    ]
    assert "1 / 2" in first.content.decode()
    # A county-wide list names the township beside the community.
    assert '<span class="text-secondary">城关镇</span> · 东街社区' in first.content.decode()


# The printed list and the xlsx ------------------------------------------------------------------------------


@pytest.fixture
def township_a_pdf(people, tmp_path) -> Path:
    with time_machine.travel(AUG_10, tick=False):
        response = _client(people.county.officer_a).get(
            reverse("certification-missing-pdf"), {"year": 2026, "unit": people.county.township_a.pk}
        )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "inline" in response["Content-Disposition"]
    path = tmp_path / "missing.pdf"
    path.write_bytes(response.content)
    return path


def test_missing_pdf_is_a4_landscape_grouped_by_community(people, township_a_pdf):
    info = pdf_info(township_a_pdf)
    assert info["Page size"] == "841.89 x 595.276 pts (A4)"
    assert info["Pages"] == "1"
    text = pdf_text(township_a_pdf)
    assert "2026年度领取养老金资格未认证人员名单" in text
    assert "城关镇 · 2026年度领取养老金资格未认证人员名单" in text
    assert "打印日期:2026-08-10" in text
    assert re.search(r"第\s*1\s*页\s*共\s*1\s*页", text)
    assert "上门认证情况/签字" in text
    # A header per community, the people under it in pinyin order; township B's people are not there.
    assert text.index("东街社区") < text.index("安娜") < text.index("曾国华") < text.index("西街社区")
    assert text.index("西街社区") < text.index("周敏")
    assert "吴刚" not in text and "张建国" not in text
    assert people.zeng.masked_id_number in text and people.zeng.id_number not in text
    assert "曾小明(儿子)" in text
    assert "未认证 3 人" in text


def test_missing_pdf_embeds_noto(township_a_pdf):
    fonts = pdf_fonts(township_a_pdf).splitlines()[2:]
    assert fonts
    assert all("Noto" in line and " yes " in line for line in fonts), fonts


def test_a_clerk_prints_full_id_numbers_when_full_numbers_were_granted(people, tmp_path, caplog):
    with time_machine.travel(AUG_10, tick=False), caplog.at_level("INFO", logger="certification.exports"):
        pdf = missing_pdf(
            user=people.county.clerk,
            year=2026,
            unit=people.county.township_b,
            today=TODAY,
            numbers=ExportNumbers(full=True, purpose="audit"),
        )
    path = tmp_path / "b.pdf"
    path.write_bytes(pdf)
    text = pdf_text(path)
    assert people.wu.id_number in text
    assert "梅林村" in text and "吴刚" in text
    assert "rows=1 full_numbers=True" in caplog.text and "user=clerk" in caplog.text


@time_machine.travel(AUG_10, tick=False)
def test_a_long_list_is_printed_by_the_worker_in_full_and_offered_in_my_exports(people, settings, tmp_path):
    # No cap on the people in one PDF: a list longer than the inline limit goes to the worker.
    settings.EXPORT_INLINE_MAX_PDF_ROWS = 2
    settings.MEDIA_ROOT = tmp_path
    client = _client(people.county.clerk)
    unit = people.county.township_a.pk

    response = client.get(
        reverse("certification-missing-pdf"), {"year": 2026, "unit": unit, "purpose": "audit"}
    )

    job = ExportJob.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/exports/?job={job.pk}")
    assert (job.kind, job.label, job.parameters) == (
        "certification.missing_pdf",
        "2026年度未认证人员名单(城关镇)",
        {"year": 2026, "unit": unit, "unit_name": "城关镇", "today": "2026-08-10"},
    )
    assert not SensitiveExport.objects.exists()

    done = export_job_run(job_id=job.pk)

    assert (done.status, done.row_count, done.content_type) == ("done", 3, "application/pdf")
    assert done.filename == "城关镇-2026年度未认证人员名单.pdf"
    path = tmp_path / "list.pdf"
    download = client.get(reverse("export-job-file", args=[job.pk]))
    path.write_bytes(b"".join(download.streaming_content))
    text = pdf_text(path)
    for person in (people.zeng, people.an, people.zhou):
        assert person.name in text and person.id_number in text
    records = list(SensitiveExport.objects.order_by("id").values_list("export", "person_count", "purpose"))
    assert records == [("certification.missing_pdf", 3, "audit"), ("certification.missing_pdf", 3, "audit")]


@time_machine.travel(AUG_10, tick=False)
def test_missing_xlsx_has_every_column(people):
    response = _client(people.county.officer_a).get(reverse("certification-missing-xlsx"), {"year": 2026})

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    # Dates come back as naive datetimes: compared as ISO dates.
    values = [
        [value.date().isoformat() if isinstance(value, datetime.datetime) else value for value in row]
        for row in sheet.iter_rows(values_only=True)
    ]
    assert values[0] == [
        "乡镇(街道)",
        "社区(村居)",
        "姓名",
        "性别",
        "年龄",
        "身份证号码",
        "住址",
        "联系电话",
        "代办人",
        "上次认证日期",
        "状态",
    ]
    zeng = people.zeng
    age = 2026 - zeng.birth_date.year - ((zeng.birth_date.month, zeng.birth_date.day) > (8, 10))
    assert values[1][2] == "安娜" and values[1][10] == "暂停发放"
    assert values[2] == [
        "城关镇",
        "东街社区",
        "曾国华",
        zeng.get_sex_display(),
        age,
        zeng.masked_id_number,
        "东街3号",
        "13900000003",
        "曾小明(儿子) 13800000001",
        "2025-05-20",
        "正常发放",
    ]
    assert values[3][:3] == ["城关镇", "西街社区", "周敏"] and values[3][6] == "海南省三亚市河东路1号"
    assert len(values) == 4


@time_machine.travel(AUG_10, tick=False)
def test_missing_lists_are_masked_for_a_clerk_unless_a_purpose_is_given_and_then_recorded(people):
    client = _client(people.county.clerk)
    unit = people.county.township_a.pk

    masked = client.get(reverse("certification-missing-xlsx"), {"year": 2026, "unit": unit})
    sheet = load_workbook(io.BytesIO(b"".join(masked.streaming_content))).active
    masked_ids = [row[5] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert people.zeng.masked_id_number in masked_ids and people.zeng.id_number not in masked_ids
    assert not SensitiveExport.objects.exists()

    full = client.get(
        reverse("certification-missing-xlsx"),
        {"year": 2026, "unit": unit, "purpose": "other", "purpose_note": "入户核实"},
    )
    sheet = load_workbook(io.BytesIO(b"".join(full.streaming_content))).active
    full_ids = [row[5] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert people.zeng.id_number in full_ids
    pdf = client.get(reverse("certification-missing-pdf"), {"year": 2026, "unit": unit, "purpose": "audit"})
    assert pdf.status_code == 200
    records = list(
        SensitiveExport.objects.order_by("id").values_list(
            "staff", "export", "person_count", "purpose", "purpose_note", "detail", "exported_at"
        )
    )
    assert records == [
        (
            people.county.clerk.pk,
            "certification.missing_xlsx",
            len(full_ids),
            "other",
            "入户核实",
            {"year": 2026, "unit": unit, "format": "xlsx"},
            AUG_10,
        ),
        (
            people.county.clerk.pk,
            "certification.missing_pdf",
            len(full_ids),
            "audit",
            "",
            {"year": 2026, "unit": unit, "format": "pdf"},
            AUG_10,
        ),
    ]


# API --------------------------------------------------------------------------------------------------------


@time_machine.travel(AUG_10, tick=False)
def test_api_progress(people):
    response = _client(people.county.clerk).get("/api/certification/progress/", {"year": 2026})

    assert response.status_code == 200
    body = response.json()
    assert (body["year"], body["mode"], body["as_of"], body["since"]) == (
        2026,
        "campaign",
        "2026-08-10",
        None,
    )
    assert body["unit"] == {"id": people.county.county.pk, "name": "示范县社保局", "kind": "county"}
    assert [(row["unit"]["name"], row["counts"]) for row in body["rows"]] == [
        ("城关镇", {"due": 7, "certified": 4, "remaining": 3, "percent": "57.1"}),
        ("梅林镇", {"due": 2, "certified": 1, "remaining": 1, "percent": "50.0"}),
    ]
    assert body["total"] == {"due": 9, "certified": 5, "remaining": 4, "percent": "55.6"}
    assert len(body["by_day"]) == 132
    assert body["by_day"][9] == {"day": "2026-04-10", "certifications": 2, "cumulative": 3}


@time_machine.travel(AUG_10, tick=False)
def test_api_missing_is_paged_and_scoped(people):
    client = _client(people.county.officer_a)
    response = client.get("/api/certification/missing/", {"year": 2026})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [row["name"] for row in body["results"]] == ["安娜", "曾国华", "周敏"]
    zeng = body["results"][1]
    assert zeng["id_number_masked"] == people.zeng.masked_id_number
    assert "id_number" not in zeng
    assert (zeng["township"], zeng["community"], zeng["agent_name"], zeng["last_certified_on"]) == (
        "城关镇",
        "东街社区",
        "曾小明",
        "2025-05-20",
    )
    other = _client(people.county.officer_b)
    assert other.get("/api/certification/missing/", {"unit": people.county.township_a.pk}).status_code == 404
    assert other.get("/api/certification/progress/", {"unit": people.county.township_a.pk}).status_code == 404
    nobody = _client(StaffFactory.create(username="nobody", role="", org_unit=people.county.county))
    assert nobody.get("/api/certification/progress/").status_code == 403
    assert client.get("/api/certification/progress/", {"year": "abc"}).status_code == 400


# Home card --------------------------------------------------------------------------------------------------


@time_machine.travel(AUG_10, tick=False)
def test_home_card_for_roles_that_certify(people):
    officer = _client(people.county.officer_a).get(reverse("home")).content.decode()
    reviewer = _client(people.county.reviewer).get(reverse("home")).content.decode()

    card = officer[officer.index('id="certification-progress-card"') :]
    assert "2026年度资格认证" in card and "城关镇" in card
    assert re.search(r'data-col="due">7<.*?data-col="certified">4<.*?data-col="remaining">3<', card, re.S)
    assert f"{reverse('certification-progress')}?year=2026&amp;unit={people.county.township_a.pk}" in card
    assert 'id="certification-progress-card"' not in reviewer
