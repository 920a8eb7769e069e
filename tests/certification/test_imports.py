"""Certification imports (online results, data comparison, remote results, deaths) and the deaths review list
(docs/certification-imports.md): the check writes nothing, confirming writes once, scope and roles."""

from __future__ import annotations

import datetime
import io
import time
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from rest_framework.test import APIClient

from certification.errors import CertificationError
from certification.models import Certification, CertificationImport, DeathMatch
from certification.selectors import pending_death_match_count
from certification.services import (
    certification_import_apply,
    certification_import_cancel,
    certification_import_check,
    death_match_decide,
    suspension_run,
)
from certification.services.imports import (
    certification_import_check_run,
    certification_import_queue,
    certification_import_restart,
    import_job_state,
)
from certification.tasks import apply_certification_import
from pensions.models import PayoutLine, WithheldRelease
from pensions.services import plan_draft
from pensions.services.transitions import plan_approve, plan_submit
from registry.id_numbers import check_character
from registry.jobs import job_sweep
from registry.models import ArrearsItem, Retiree, StatusChange
from registry.months import PensionMonth
from registry.services import system_staff
from tests.factories import RetireeFactory, make_id_number

SH = ZoneInfo("Asia/Shanghai")
MAY_10 = datetime.datetime(2026, 5, 10, 10, 0, tzinfo=SH)
Kind = CertificationImport.Kind


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def may_10() -> Iterator[None]:
    with time_machine.travel(MAY_10, tick=False):
        yield


def csv_file(
    rows: list[list[str]], *, name: str = "list.csv", encoding: str = "utf-8-sig"
) -> SimpleUploadedFile:
    text = "\r\n".join(",".join(cells) for cells in rows) + "\r\n"
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def wrong_check(number: str) -> str:
    right = check_character(number[:17])
    return number[:17] + ("0" if right != "0" else "1")


def suspended_by_job(enrol, **extra) -> Retiree:
    """A retiree the August job suspended (its system account made the change), as certify() recognises."""
    retiree = enrol(status=Retiree.Status.SUSPENDED, **extra)
    StatusChange.objects.create(
        retiree=retiree,
        from_status=Retiree.Status.ACTIVE,
        to_status=Retiree.Status.SUSPENDED,
        effective_date=datetime.date(2025, 8, 1),
        reason="未在2025年度认证期内完成领取资格认证",
        actor=system_staff(),
    )
    return retiree


def check(by, rows, *, kind=Kind.DATA_COMPARISON, year=2026, source="医保结算记录", **file_options):
    return certification_import_check(
        file=csv_file(rows, **file_options), kind=kind, year=year, source=source, by=by
    )


def snapshot():
    """Everything an import may write, to show that a check or a refused confirm wrote nothing."""
    return (
        sorted(Certification.objects.values_list("retiree_id", "year", "channel")),
        sorted(Retiree.objects.values_list("id", "status")),
        StatusChange.objects.count(),
        DeathMatch.objects.count(),
        ArrearsItem.objects.count(),
    )


@pytest.fixture
def comparison_people(county, enrol):
    """One person per outcome of a data comparison file, and the file naming them."""
    certified = enrol(name="陈已认")
    Certification.objects.create(
        retiree=certified,
        year=2026,
        certified_on=datetime.date(2026, 4, 2),
        channel=Certification.Channel.IN_PERSON,
        recorded_by=county.officer_a,
    )
    people = {
        "certified": certified,
        "deceased": enrol(status=Retiree.Status.DECEASED, name="周已故"),
        "restore": suspended_by_job(enrol, name="赵停发"),
        "suspended_other": enrol(status=Retiree.Status.SUSPENDED, name="钱另停"),
    }
    a1, a2, b1 = county.retiree_a1, county.retiree_a2, county.retiree_b1
    rows = [
        ["身份证号码", "比对日期", "姓名"],
        [a1.id_number, "", "张建国"],  # 2: certify, dated the upload day
        [a2.id_number, "2026/4/30", ""],  # 3: certify
        [a1.id_number.lower(), "2026-04-01", ""],  # 4: duplicate of row 2
        [make_id_number(datetime.date(1950, 1, 1)), "2026-04-30", ""],  # 5: not found
        [wrong_check(a2.id_number), "2026-04-30", ""],  # 6: bad ID number
        [b1.id_number, "2026-04-30", "王德"],  # 7: name differs
        [people["deceased"].id_number, "2026-04-30", ""],  # 8: deceased
        [certified.id_number, "20260430", ""],  # 9: already certified this year
        [people["restore"].id_number, "2026-05-08", "赵停发"],  # 10: restored with back pay
        [people["suspended_other"].id_number, "2026-05-08", ""],  # 11: certified, stays suspended
        ["360721195501010011", "2025-12-31", ""],  # 12: bad ID (check character) before the date
        [certified.id_number, "2026-04-30", ""],  # 13: duplicate of row 9
        [make_id_number(datetime.date(1951, 2, 2)), "2025-12-31", ""],  # 14: outside the year
        [make_id_number(datetime.date(1952, 3, 3)), "2026-13-01", ""],  # 15: not a date
        [make_id_number(datetime.date(1953, 4, 4)), "2026-06-01", ""],  # 16: after today
        ["", "", ""],  # blank: left out
    ]
    return people, rows


EXPECTED_COUNTS = {
    "certify": 2,
    "restore": 1,
    "suspended_other": 1,
    "already": 1,
    "not_found": 1,
    "bad_id": 2,
    "name_differs": 1,
    "inactive": 1,
    "duplicate": 2,
    "bad_date": 2,
    "out_of_year": 1,
    "incomplete": 0,
}


def test_a_data_comparison_check_counts_each_outcome_and_writes_nothing(county, comparison_people, may_10):
    _people, rows = comparison_people
    before = snapshot()

    checked = check(county.clerk, rows)

    assert snapshot() == before
    assert (checked.status, checked.total_rows, checked.matched_rows) == ("checked", 15, 4)
    assert checked.summary["counts"] == EXPECTED_COUNTS
    problems = {
        problem["row"]: (problem["outcome"], problem["reason"]) for problem in checked.summary["problems"]
    }
    assert problems[4] == ("duplicate", "身份证号码与第 2 行重复,以第一行为准")
    assert problems[5] == ("not_found", "登记中没有这个身份证号码(或不在本人管辖范围内)")
    assert problems[6][0] == "bad_id" and "校验位错误" in problems[6][1]
    assert problems[7] == ("name_differs", "姓名与登记不符(登记为“王德胜”)")
    assert problems[8] == ("inactive", "登记状态为“死亡”")
    assert problems[11] == ("suspended_other", "因其他原因暂停发放,只记录认证,不恢复发放")
    assert problems[13] == ("duplicate", "身份证号码与第 9 行重复,以第一行为准")
    assert problems[14] == ("out_of_year", "日期 2025-12-31 不在 2026 年度内")
    assert problems[15][0] == "bad_date"
    assert problems[16] == ("bad_date", "日期 2026-06-01 晚于今天")
    # Certified and restored rows are not problems; the already certified are counted, not listed.
    assert sorted(problems) == [4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16]
    assert [(row["row"], row["name"]) for row in checked.summary["restorations"]] == [(10, "赵停发")]
    # ID numbers in the preview are masked.
    assert problems and all("*" in problem["id_number"] for problem in checked.summary["problems"])


def test_confirming_records_the_certifications_once(county, comparison_people, may_10):
    people, rows = comparison_people
    checked = check(county.clerk, rows)

    done = certification_import_apply(certification_import=checked, by=county.clerk)

    assert (done.status, done.confirmed_by, done.confirmed_at) == ("confirmed", county.clerk, MAY_10)
    assert (done.applied_rows, done.summary["applied"]) == (4, {"certified": 3, "restored": 1})
    rows_written = {
        retiree_id: (certified_on, channel, recorded_by, note, source)
        for retiree_id, certified_on, channel, recorded_by, note, source in Certification.objects.filter(
            source_import=done
        ).values_list("retiree_id", "certified_on", "channel", "recorded_by", "note", "source_import")
    }
    may_8, april_30 = datetime.date(2026, 5, 8), datetime.date(2026, 4, 30)
    assert rows_written == {
        county.retiree_a1.pk: (
            datetime.date(2026, 5, 10),
            "data_comparison",
            county.clerk.pk,
            "医保结算记录",
            done.pk,
        ),
        county.retiree_a2.pk: (april_30, "data_comparison", county.clerk.pk, "医保结算记录", done.pk),
        people["restore"].pk: (may_8, "data_comparison", county.clerk.pk, "医保结算记录", done.pk),
        people["suspended_other"].pk: (may_8, "data_comparison", county.clerk.pk, "医保结算记录", done.pk),
    }
    # The first record of the year is kept; the restored retiree is active again, the other stays suspended.
    assert Certification.objects.get(retiree=people["certified"]).channel == "in_person"
    statuses = dict(Retiree.objects.values_list("name", "status"))
    assert (statuses["赵停发"], statuses["钱另停"], statuses["王德胜"]) == ("active", "suspended", "active")
    last = StatusChange.objects.filter(retiree=people["restore"]).latest("id")
    assert (last.to_status, last.effective_date, last.actor) == ("active", may_8, county.clerk)

    before = snapshot()
    with pytest.raises(CertificationError, match="该批次已确认,不能重复确认"):
        certification_import_apply(certification_import=checked, by=county.admin)
    assert snapshot() == before
    checked.refresh_from_db()
    assert (checked.confirmed_by, checked.applied_rows) == (county.clerk, 4)


def test_a_cancelled_import_is_never_applied(county, comparison_people, may_10):
    _people, rows = comparison_people
    checked = check(county.clerk, rows)
    before = snapshot()

    certification_import_cancel(certification_import=checked, by=county.clerk)
    with pytest.raises(CertificationError, match="该批次已取消,不能确认"):
        certification_import_apply(certification_import=checked, by=county.clerk)

    assert snapshot() == before
    checked.refresh_from_db()
    assert (checked.status, checked.confirmed_by, checked.applied_rows) == ("cancelled", None, 0)


def test_confirming_checks_again_against_the_registry_as_it_is_now(county, may_10):
    checked = check(
        county.clerk, [["身份证号码"], [county.retiree_a1.id_number], [county.retiree_a2.id_number]]
    )
    assert checked.summary["counts"]["certify"] == 2
    # Since the check: one was certified at the office, the other reported dead.
    Certification.objects.create(
        retiree=county.retiree_a1,
        year=2026,
        certified_on=datetime.date(2026, 5, 9),
        channel=Certification.Channel.IN_PERSON,
        recorded_by=county.officer_a,
    )
    Retiree.objects.filter(pk=county.retiree_a2.pk).update(
        status="deceased", died_on=datetime.date(2026, 5, 1)
    )

    done = certification_import_apply(certification_import=checked, by=county.clerk)

    assert (done.summary["counts"]["already"], done.summary["counts"]["inactive"], done.applied_rows) == (
        1,
        1,
        0,
    )
    assert done.summary["checked_counts"]["certify"] == 2
    assert Certification.objects.filter(source_import=done).count() == 0


def test_online_results_and_remote_results(county, may_10):
    a1, a2, b1 = county.retiree_a1, county.retiree_a2, county.retiree_b1
    online = check(
        county.clerk,
        [["认证日期", "身份证号码"], ["2026-04-12", a1.id_number], ["", a2.id_number]],
        kind=Kind.ONLINE,
        source="国家社会保险公共服务平台",
    )
    assert {key: n for key, n in online.summary["counts"].items() if n} == {"certify": 1, "bad_date": 1}
    assert online.summary["problems"][0]["reason"] == "缺少日期"
    certification_import_apply(certification_import=online, by=county.clerk)
    assert Certification.objects.get(retiree=a1).channel == "online"

    remote = check(
        county.admin,
        [
            ["身份证号码", "认证日期", "协助认证机构"],
            [a2.id_number, "2026-05-06", "海口市社会保险事业局"],
            [b1.id_number, "2026-05-06", ""],
        ],
        kind=Kind.REMOTE_RESULTS,
        source="异地协助认证表",
    )
    assert {key: n for key, n in remote.summary["counts"].items() if n} == {"certify": 1, "incomplete": 1}
    certification_import_apply(certification_import=remote, by=county.admin)
    row = Certification.objects.get(retiree=a2)
    assert (row.channel, row.certifying_office, row.recorded_by) == (
        "remote_assisted",
        "海口市社会保险事业局",
        county.admin,
    )
    assert not Certification.objects.filter(retiree=b1).exists()


def test_in_the_12_month_mode_a_date_after_the_suspension_date_counts_for_next_year(county, settings):
    settings.CERTIFICATION_MODE = "rolling_12_months"
    a1, a2 = county.retiree_a1, county.retiree_a2
    with time_machine.travel(datetime.datetime(2026, 12, 10, 10, 0, tzinfo=SH), tick=False):
        rows = [["身份证号码", "比对日期"], [a1.id_number, "2026-12-01"], [a2.id_number, "2026-06-01"]]
        item = check(county.clerk, rows, year=2027)
        # June 2026 counts for the August 2026 run, not for 2027's
        assert {key: n for key, n in item.summary["counts"].items() if n} == {"certify": 1, "out_of_year": 1}
        certification_import_apply(certification_import=item, by=county.clerk)
    assert list(Certification.objects.values_list("retiree_id", "year", "certified_on")) == [
        (a1.pk, 2027, datetime.date(2026, 12, 1))
    ]


def test_a_gbk_csv_from_excel_is_read(county, enrol, may_10):
    rare = enrol(name="曾国华")
    checked = check(
        county.clerk,
        [
            ["身份证号码", "比对日期", "姓名"],
            [rare.id_number, "2026-05-01", "曾国华"],
            [county.retiree_a1.id_number, "", "张 建国"],
        ],
        encoding="gbk",
    )
    assert {key: n for key, n in checked.summary["counts"].items() if n} == {"certify": 2}


def test_an_xlsx_from_the_template_is_read_and_a_numeric_id_refused(county, client, may_10):
    client.force_login(county.clerk)
    response = client.get(reverse("certification-import-template", args=["online"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]] == ["身份证号码", "认证日期"]
    sheet.delete_rows(2)
    sheet.append([county.retiree_a1.id_number, datetime.datetime(2026, 4, 20)])  # noqa: DTZ001 - an Excel date cell
    sheet.append([360721195803140010, "2026-04-20"])  # typed as a number: Excel keeps 15 digits
    buffer = io.BytesIO()
    sheet.parent.save(buffer)

    checked = certification_import_check(
        file=SimpleUploadedFile("online.xlsx", buffer.getvalue()),
        kind=Kind.ONLINE,
        year=2026,
        source="",
        by=county.clerk,
    )

    assert {key: n for key, n in checked.summary["counts"].items() if n} == {"certify": 1, "bad_id": 1}
    assert (
        checked.summary["problems"][0]["reason"] == "身份证号码被Excel转成了数字,请将该列设为文本后重新导出"
    )


def test_a_file_without_the_kinds_columns_is_refused_at_once(county, may_10):
    with pytest.raises(CertificationError, match="表头缺少必需的列:协助认证机构"):
        check(
            county.clerk,
            [["身份证号码", "认证日期"], [county.retiree_a1.id_number, "2026-04-01"]],
            kind=Kind.REMOTE_RESULTS,
        )
    with pytest.raises(CertificationError, match="只能导入 .xlsx 或 .csv 文件"):
        check(county.clerk, [["身份证号码"], [county.retiree_a1.id_number]], name="list.txt")
    assert CertificationImport.objects.count() == 0


def test_restoration_through_an_import_releases_the_withheld_months_once(county, enrol):
    retiree = enrol(rates=((PensionMonth(2018, 4), "2650.00"),))
    suspension_run(year=2026, today=datetime.date(2026, 8, 1))
    august = plan_draft(month=PensionMonth(2026, 8), by=county.clerk)
    plan_submit(plan=august, by=county.clerk)
    plan_approve(plan=august, by=county.reviewer)
    assert list(PayoutLine.objects.filter(retiree=retiree).values_list("is_withheld", "withheld", "net")) == [
        (True, Decimal("2650.00"), Decimal("0.00"))
    ]
    rows = [["身份证号码", "比对日期"], [retiree.id_number, "2026-08-20"]]

    with time_machine.travel(datetime.datetime(2026, 8, 25, 9, 0, tzinfo=SH), tick=False):
        first = check(county.clerk, rows)
        assert first.summary["counts"]["restore"] == 1
        certification_import_apply(certification_import=first, by=county.clerk)
        second = check(county.clerk, rows)
        assert {key: n for key, n in second.summary["counts"].items() if n} == {"already": 1}
        certification_import_apply(certification_import=second, by=county.clerk)

    retiree.refresh_from_db()
    assert retiree.status == "active"
    assert list(ArrearsItem.objects.filter(retiree=retiree).values_list("month", "amount", "reason")) == [
        (PensionMonth(2026, 8), Decimal("2650.00"), "restoration")
    ]
    assert WithheldRelease.objects.count() == 1
    september = plan_draft(month=PensionMonth(2026, 9), by=county.clerk)
    line = PayoutLine.objects.get(plan=september, retiree=retiree)
    assert (line.is_withheld, line.regular, line.arrears, line.net) == (
        False,
        Decimal("2650.00"),
        Decimal("2650.00"),
        Decimal("5300.00"),
    )


def test_a_file_of_an_earlier_year_does_not_lift_a_later_suspension(county, enrol):
    """certify() lifts the job's suspension only with a certification of its year or later: last year's late
    results are recorded, and the preview does not promise a restoration that confirming would not make."""
    retiree = enrol()
    suspension_run(year=2026, today=datetime.date(2026, 8, 1))
    rows = [
        ["身份证号码", "认证日期", "协助认证机构"],
        [retiree.id_number, "2025-05-06", "海口市社会保险事业局"],
    ]

    with time_machine.travel(datetime.datetime(2026, 9, 10, 9, 0, tzinfo=SH), tick=False):
        checked = check(county.clerk, rows, kind=Kind.REMOTE_RESULTS, year=2025)
        assert {key: n for key, n in checked.summary["counts"].items() if n} == {"suspended_other": 1}
        assert checked.summary["restorations"] == []
        done = certification_import_apply(certification_import=checked, by=county.clerk)

    assert done.summary["applied"] == {"certified": 1, "restored": 0}
    assert list(Certification.objects.filter(retiree=retiree).values_list("year", "channel")) == [
        (2025, "remote_assisted")
    ]
    retiree.refresh_from_db()
    assert retiree.status == "suspended"
    assert not ArrearsItem.objects.filter(retiree=retiree).exists()


# Deaths -----------------------------------------------------------------------------------------------------


@pytest.fixture
def deaths_import(county, enrol, may_10):
    suspended = enrol(status=Retiree.Status.SUSPENDED, name="孙暂停")
    deceased = enrol(status=Retiree.Status.DECEASED, name="周已故")
    rows = [
        ["姓名", "身份证号码", "死亡日期"],
        ["张建国", county.retiree_a1.id_number, "2026-04-03"],  # 2: match
        ["孙站亭", suspended.id_number, "2026-03-30"],  # 3: match, name differs (shown to the reviewer)
        ["周已故", deceased.id_number, "2026-03-01"],  # 4: already deceased
        ["李四", make_id_number(datetime.date(1949, 9, 9)), "2026-03-01"],  # 5: not found
        ["", county.retiree_a2.id_number, "2026-03-01"],  # 6: no name
        ["王德胜", county.retiree_b1.id_number, ""],  # 7: no date
        ["张建国", county.retiree_a1.id_number, "2026-04-03"],  # 8: duplicate
    ]
    return check(county.clerk, rows, kind=Kind.DEATHS, source="民政火化名单"), suspended


def test_a_deaths_list_puts_the_matches_on_the_review_list(county, deaths_import):
    checked, suspended = deaths_import
    assert checked.summary["counts"] == {
        "death_match": 2,
        "already_listed": 0,
        "not_found": 1,
        "bad_id": 0,
        "inactive": 1,
        "duplicate": 1,
        "bad_date": 1,
        "incomplete": 1,
    }
    assert [
        (m["row"], m["name"], m["reported_name"], m["name_differs"]) for m in checked.summary["matches"]
    ] == [
        (2, "张建国", "张建国", False),
        (3, "孙暂停", "孙站亭", True),
    ]
    assert DeathMatch.objects.count() == 0
    before_statuses = sorted(Retiree.objects.values_list("id", "status"))

    done = certification_import_apply(certification_import=checked, by=county.clerk)

    assert (done.applied_rows, done.summary["applied"]) == (2, {"death_matches": 2})
    assert sorted(
        DeathMatch.objects.values_list(
            "retiree_id", "reported_name", "reported_died_on", "status", "decided_by"
        )
    ) == sorted(
        [
            (county.retiree_a1.pk, "张建国", datetime.date(2026, 4, 3), "pending", None),
            (suspended.pk, "孙站亭", datetime.date(2026, 3, 30), "pending", None),
        ]
    )
    # Listing changes no payment: only a clerk's confirmation does.
    assert sorted(Retiree.objects.values_list("id", "status")) == before_statuses
    assert (pending_death_match_count(county.clerk), pending_death_match_count(county.officer_a)) == (2, 0)

    again = check(
        county.clerk,
        [["身份证号码", "姓名", "死亡日期"], [county.retiree_a1.id_number, "张建国", "2026-04-03"]],
        kind=Kind.DEATHS,
    )
    assert {key: n for key, n in again.summary["counts"].items() if n} == {"already_listed": 1}


def test_confirming_a_death_suspends_at_once_and_dismissing_needs_a_note(county, deaths_import):
    checked, suspended = deaths_import
    certification_import_apply(certification_import=checked, by=county.clerk)
    active_match = DeathMatch.objects.get(retiree=county.retiree_a1)
    suspended_match = DeathMatch.objects.get(retiree=suspended)

    decided = death_match_decide(match=active_match, confirm=True, note="", by=county.clerk)

    assert (decided.status, decided.decided_by, decided.decided_at) == ("confirmed", county.clerk, MAY_10)
    county.retiree_a1.refresh_from_db()
    assert county.retiree_a1.status == "suspended"
    change = StatusChange.objects.filter(retiree=county.retiree_a1).get()
    assert (change.from_status, change.to_status, change.effective_date, change.reason, change.actor) == (
        "active",
        "suspended",
        datetime.date(2026, 5, 10),
        "死亡比对确认,暂停发放,待办理死亡登记",
        county.clerk,
    )
    with pytest.raises(CertificationError, match="该记录已核实为“确认死亡”"):
        death_match_decide(match=active_match, confirm=False, note="弄错了", by=county.admin)

    with pytest.raises(CertificationError, match="排除时请填写核实说明"):
        death_match_decide(match=suspended_match, confirm=False, note="  ", by=county.clerk)
    suspended_match.refresh_from_db()
    assert (suspended_match.status, suspended_match.decided_by) == ("pending", None)

    death_match_decide(
        match=suspended_match, confirm=False, note="同号不同人,身份证号码录入有误", by=county.clerk
    )
    suspended_match.refresh_from_db()
    assert (suspended_match.status, suspended_match.decision_note) == (
        "dismissed",
        "同号不同人,身份证号码录入有误",
    )
    suspended.refresh_from_db()
    assert suspended.status == "suspended"
    assert StatusChange.objects.count() == 1
    assert pending_death_match_count(county.clerk) == 0

    # A confirmed death is never certified by a later file.
    later = check(county.clerk, [["身份证号码"], [county.retiree_a1.id_number]])
    assert later.summary["problems"][0]["reason"] == "死亡比对已确认,待办理死亡登记,不能认证"


def test_the_database_refuses_a_decision_without_who_and_when(county, deaths_import):
    checked, _suspended = deaths_import
    certification_import_apply(certification_import=checked, by=county.clerk)
    match = DeathMatch.objects.filter(retiree=county.retiree_a1)
    with pytest.raises(IntegrityError), transaction.atomic():
        match.update(status="confirmed")
    with pytest.raises(IntegrityError), transaction.atomic():
        match.update(decided_by=county.clerk, decided_at=MAY_10)
    assert match.get().status == "pending"


# Roles, scope, pages and the API ----------------------------------------------------------------------------


def test_a_township_officer_cannot_import_or_review(county, client, may_10):
    rows = [["身份证号码"], [county.retiree_a1.id_number]]
    with pytest.raises(PermissionDenied):
        check(county.officer_a, rows)
    assert CertificationImport.objects.count() == 0
    client.force_login(county.officer_a)
    for url in (
        reverse("certification-import-list"),
        reverse("certification-death-matches"),
        reverse("certification-import-template", args=["deaths"]),
    ):
        assert client.get(url).status_code == 403
    response = client.post(
        reverse("certification-import-list"),
        {"kind": "data_comparison", "year": 2026, "file": csv_file(rows)},
    )
    assert response.status_code == 403
    api = APIClient()
    api.force_authenticate(county.officer_a)
    assert (
        api.post(
            reverse("api-certification-import-check"),
            {"kind": "data_comparison", "year": 2026, "file": csv_file(rows)},
            format="multipart",
        ).status_code
        == 403
    )
    assert api.get(reverse("api-certification-death-matches")).status_code == 403
    assert CertificationImport.objects.count() == 0

    # Nor confirm or cancel a clerk's import, or decide a death match: 403 and nothing written.
    checked = check(county.clerk, rows)
    deaths = check(
        county.clerk,
        [["身份证号码", "姓名", "死亡日期"], [county.retiree_a1.id_number, "张建国", "2026-04-03"]],
        kind=Kind.DEATHS,
    )
    certification_import_apply(certification_import=deaths, by=county.clerk)
    match = DeathMatch.objects.get()
    before = snapshot()
    for url in (
        reverse("certification-import-confirm", args=[checked.pk]),
        reverse("certification-import-cancel", args=[checked.pk]),
        reverse("certification-death-match-decide", args=[match.pk]),
    ):
        assert client.post(url, {"decision": "confirm"}).status_code == 403, url
    for url, data in (
        (reverse("api-certification-import-confirm", args=[checked.pk]), {}),
        (reverse("api-certification-import-cancel", args=[checked.pk]), {}),
        (reverse("api-certification-death-match-decide", args=[match.pk]), {"confirm": True}),
    ):
        assert api.post(url, data, format="json").status_code == 403, url
    assert snapshot() == before
    checked.refresh_from_db()
    match.refresh_from_db()
    assert (checked.status, checked.summary.get("job"), match.status) == ("checked", None, "pending")


def test_a_link_chooses_the_kind_and_year_of_the_upload_form(county, client):
    client.force_login(county.clerk)
    page = client.get(reverse("certification-import-list"), {"kind": "remote_results", "year": "2025"})
    form = page.context["form"]
    assert (form["kind"].value(), form["year"].value()) == ("remote_results", 2025)
    # Anything else falls back to data comparison in this year
    page = client.get(reverse("certification-import-list"), {"kind": "bogus", "year": "x"})
    assert page.context["form"]["kind"].value() == "data_comparison"


def test_upload_preview_and_confirm_through_the_pages(
    county, client, comparison_people, may_10, django_capture_on_commit_callbacks
):
    _people, rows = comparison_people
    client.force_login(county.clerk)
    assert client.get(reverse("certification-import-list")).status_code == 200

    response = client.post(
        reverse("certification-import-list"),
        {"kind": "data_comparison", "year": 2026, "source": "医保结算记录", "file": csv_file(rows)},
    )
    item = CertificationImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "certification-import-detail", args=[item.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert (
        'id="confirm-modal"' in page
        and "记录认证 3 人" in page
        and "恢复发放并补发暂停期间的养老金 1 人" in page
    )
    assert "姓名与登记不符(登记为“王德胜”)" in page and "赵停发" in page
    assert item.summary["counts"] == EXPECTED_COUNTS
    before = snapshot()

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("certification-import-confirm", args=[item.pk]))
    assert (response.status_code, len(queued)) == (302, 1)
    # Until the job has run: nothing written, the page polls a bar and offers no second confirmation.
    assert snapshot() == before
    page = client.get(reverse("certification-import-detail", args=[item.pk])).content.decode()
    assert 'id="import-job"' in page and 'id="confirm-modal"' not in page
    poll = client.get(
        reverse("certification-import-detail", args=[item.pk]), {"job": 1}, HTTP_HX_REQUEST="true"
    )
    assert 'hx-trigger="every 1s"' in poll.content.decode()

    item.refresh_from_db()
    assert apply_certification_import(item.pk, county.clerk.pk) == {
        "applied": {"certified": 3, "restored": 1}
    }
    poll = client.get(
        reverse("certification-import-detail", args=[item.pk]), {"job": 1}, HTTP_HX_REQUEST="true"
    )
    assert poll["HX-Refresh"] == "true"
    page = client.get(reverse("certification-import-detail", args=[item.pk])).content.decode()
    assert "已记录认证 3 人,恢复发放并补发 1 人。" in page
    assert Certification.objects.filter(source_import=item).count() == 4

    # The same job delivered twice, or a second confirmation: refused, nothing more written.
    assert apply_certification_import(item.pk, county.clerk.pk) == {"error": "该批次已确认,不能重复确认。"}
    again = client.post(reverse("certification-import-confirm", args=[item.pk]), follow=True)
    assert "该批次已确认,不能重复确认。" in again.content.decode()
    assert Certification.objects.filter(source_import=item).count() == 4


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_applies_a_confirmed_import_and_the_page_follows(county, client, worker, may_10):
    rows = [["身份证号码"], [county.retiree_a1.id_number], [county.retiree_b1.id_number]]
    item = check(county.clerk, rows)
    client.force_login(county.clerk)

    client.post(reverse("certification-import-confirm", args=[item.pk]))

    url = reverse("certification-import-detail", args=[item.pk])
    for _attempt in range(120):
        poll = client.get(url, {"job": 1}, HTTP_HX_REQUEST="true")
        if poll.get("HX-Refresh") == "true":
            break
        time.sleep(0.25)
    item.refresh_from_db()
    assert (item.status, item.applied_rows, item.confirmed_by) == ("confirmed", 2, county.clerk)
    assert sorted(Certification.objects.values_list("retiree__name", "channel")) == [
        ("张建国", "data_comparison"),
        ("王德胜", "data_comparison"),
    ]


def test_a_bad_upload_shows_the_message_and_keeps_nothing(county, client, may_10):
    client.force_login(county.clerk)
    response = client.post(
        reverse("certification-import-list"),
        {"kind": "deaths", "year": 2026, "file": csv_file([["身份证号码"], [county.retiree_a1.id_number]])},
    )
    assert response.status_code == 400
    assert "表头缺少必需的列:姓名、死亡日期" in response.content.decode()
    assert CertificationImport.objects.count() == 0


def test_the_deaths_page_lists_pending_first_and_decides_in_place(county, client, deaths_import):
    checked, suspended = deaths_import
    certification_import_apply(certification_import=checked, by=county.clerk)
    first, second = DeathMatch.objects.order_by("id")
    death_match_decide(match=first, confirm=False, note="本人已到窗口认证", by=county.clerk)
    client.force_login(county.clerk)

    page = client.get(reverse("certification-death-matches")).content.decode()
    assert page.index(f'id="death-match-{second.pk}"') < page.index(f'id="death-match-{first.pk}"')
    assert "孙站亭" in page and "孙暂停" in page and "姓名不符" in page
    assert suspended.id_number not in page  # masked

    response = client.post(
        reverse("certification-death-match-decide", args=[second.pk]),
        {"decision": "dismiss", "note": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "排除时请填写核实说明" in response.content.decode()
    response = client.post(
        reverse("certification-death-match-decide", args=[second.pk]),
        {"decision": "confirm", "note": "火化证明已核"},
        HTTP_HX_REQUEST="true",
    )
    assert 'data-status="confirmed"' in response.content.decode()
    second.refresh_from_db()
    assert (second.status, second.decision_note) == ("confirmed", "火化证明已核")


def test_the_api_checks_confirms_and_lists_problems(county, comparison_people, may_10):
    _people, rows = comparison_people
    api = APIClient()
    api.force_authenticate(county.clerk)
    response = api.post(
        reverse("api-certification-import-check"),
        {"kind": "data_comparison", "year": 2026, "source": "医保结算记录", "file": csv_file(rows)},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {row["outcome"]: row["count"] for row in body["counts"]} == EXPECTED_COUNTS
    assert (body["status"], body["problem_count"], body["restorations"][0]["name"]) == (
        "checked",
        11,
        "赵停发",
    )

    problems = api.get(reverse("api-certification-import-problems", args=[body["id"]])).json()
    assert (problems["count"], problems["results"][0]["row"]) == (11, 4)

    confirmed = api.post(reverse("api-certification-import-confirm", args=[body["id"]]))
    assert (confirmed.status_code, confirmed.json()["applied"]) == (200, {"certified": 3, "restored": 1})
    again = api.post(reverse("api-certification-import-confirm", args=[body["id"]]))
    assert (again.status_code, again.json()) == (400, {"status": ["该批次已确认,不能重复确认。"]})
    cancel = api.post(reverse("api-certification-import-cancel", args=[body["id"]]))
    assert (cancel.status_code, cancel.json()) == (400, {"status": ["该批次已确认,不能取消。"]})


def test_the_api_lists_and_decides_death_matches(county, deaths_import):
    checked, _suspended = deaths_import
    certification_import_apply(certification_import=checked, by=county.clerk)
    api = APIClient()
    api.force_authenticate(county.clerk)
    listed = api.get(reverse("api-certification-death-matches"), {"status": "pending"}).json()
    assert listed["count"] == 2
    match = next(row for row in listed["results"] if row["retiree_id"] == county.retiree_a1.pk)
    assert (match["retiree_name"], match["reported_name"], match["reported_died_on"], match["community"]) == (
        "张建国",
        "张建国",
        "2026-04-03",
        "东街社区",
    )
    assert "*" in match["id_number_masked"]

    refused = api.post(
        reverse("api-certification-death-match-decide", args=[match["id"]]), {"confirm": False}
    )
    assert (refused.status_code, list(refused.json())) == (400, ["note"])
    decided = api.post(
        reverse("api-certification-death-match-decide", args=[match["id"]]),
        {"confirm": True, "note": "火化证明"},
    )
    assert (decided.status_code, decided.json()["status"], decided.json()["retiree_status"]) == (
        200,
        "confirmed",
        "suspended",
    )


def test_a_new_workbook_with_only_a_header_is_refused(county, may_10):
    workbook = Workbook()
    workbook.active.append(["身份证号码", "认证日期"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(CertificationError, match="文件只有表头,没有数据行"):
        certification_import_check(
            file=SimpleUploadedFile("x.xlsx", buffer.getvalue()),
            kind=Kind.ONLINE,
            year=2026,
            source="",
            by=county.clerk,
        )


def test_an_old_15_digit_number_finds_the_retiree(county, may_10):
    old = "360721580314001"
    first17 = "36072119580314001"
    retiree = RetireeFactory.create(
        id_number=first17 + check_character(first17), name="吴老号", community=county.community_a1
    )
    checked = check(county.clerk, [["身份证号码", "姓名"], [old, "吴老号"], [retiree.id_number, ""]])
    assert {key: n for key, n in checked.summary["counts"].items() if n} == {"certify": 1, "duplicate": 1}
    certification_import_apply(certification_import=checked, by=county.clerk)
    assert Certification.objects.get().retiree == retiree


def test_the_problem_rows_are_paged_in_place(county, client, may_10):
    rows = [["身份证号码"]] + [[f"36072119580314{index:04d}"[:17] + "Z"] for index in range(60)]
    checked = check(county.clerk, rows)
    assert checked.summary["counts"]["bad_id"] == 60
    client.force_login(county.clerk)
    url = reverse("certification-import-detail", args=[checked.pk])

    first = client.get(url).content.decode()
    second = client.get(url, {"page": 2}, HTTP_HX_REQUEST="true").content.decode()

    assert '<td class="text-end font-monospace">51</td>' in first
    assert '<td class="text-end font-monospace">52</td>' not in first
    assert 'id="import-problems"' in second[:100]
    assert '<td class="text-end font-monospace">52</td>' in second and "2 / 2" in second
    assert "<html" not in second


def test_a_confirmed_import_whose_worker_died_says_so_and_can_be_confirmed_again(
    county, client, settings, django_capture_on_commit_callbacks, may_10
):
    """No worker takes the job (as if it died with it): once the heartbeat is older than JOB_STALE_MINUTES,
    the page says the job was interrupted and offers the confirmation again, which queues a new attempt."""
    rows = [["身份证号码"], [county.retiree_a1.id_number]]
    item = check(county.clerk, rows)
    before = snapshot()
    with django_capture_on_commit_callbacks():  # the task is not sent: nobody will run it
        certification_import_queue(certification_import=item, by=county.clerk)
    item.refresh_from_db()
    assert (import_job_state(item), item.job_attempts) == (("running", ""), 1)

    with time_machine.travel(MAY_10 + datetime.timedelta(minutes=settings.JOB_STALE_MINUTES + 1), tick=False):
        item.refresh_from_db()
        assert import_job_state(item) == (
            "failed",
            "后台任务中断(处理进程意外停止),未写入任何数据,可以重新运行。",
        )
        client.force_login(county.clerk)
        html = client.get(reverse("certification-import-detail", args=[item.pk])).content.decode()
        assert "后台任务中断" in html
        with django_capture_on_commit_callbacks() as callbacks:
            client.post(reverse("certification-import-confirm", args=[item.pk]))
        assert len(callbacks) == 1
        item.refresh_from_db()
        assert (import_job_state(item), item.job_attempts) == (("running", ""), 2)
    assert snapshot() == before


def test_a_large_file_is_checked_by_the_worker_with_the_same_result(
    county, client, settings, django_capture_on_commit_callbacks, may_10
):
    """Above CERTIFICATION_IMPORT_INLINE_MAX_ROWS the request keeps the file and reads only its header; the
    worker's check then records what the request's check would have."""
    rows = [["身份证号码"], [county.retiree_a1.id_number], [county.retiree_b1.id_number], ["bad"]]
    inline = check(county.clerk, rows)
    settings.CERTIFICATION_IMPORT_INLINE_MAX_ROWS = 2
    before = snapshot()

    with django_capture_on_commit_callbacks() as callbacks:
        queued = check(county.clerk, rows)
    assert (queued.status, queued.total_rows, queued.summary, queued.job_attempts, len(callbacks)) == (
        "checking",
        3,
        {},
        1,
        1,
    )
    client.force_login(county.clerk)
    url = reverse("certification-import-detail", args=[queued.pk])
    assert "正在后台校验" in client.get(url).content.decode()
    assert "正在后台校验" in client.get(url, {"job": 1}, HTTP_HX_REQUEST="true").content.decode()

    checked = certification_import_check_run(import_id=queued.pk)

    assert (checked.status, checked.total_rows, checked.matched_rows) == ("checked", 3, inline.matched_rows)
    assert checked.summary == inline.summary
    assert certification_import_check_run(import_id=queued.pk).summary == inline.summary  # a rerun: the same
    assert snapshot() == before


def test_a_large_file_with_a_wrong_header_is_refused_at_once(county, settings, may_10):
    settings.CERTIFICATION_IMPORT_INLINE_MAX_ROWS = 1
    with pytest.raises(CertificationError) as refused:
        check(county.clerk, [["姓名"], ["张建国"], ["李秀兰"]])
    assert refused.value.message == "表头缺少必需的列:身份证号码。请使用该类型的导入模板,表头在第一行。"
    assert not CertificationImport.objects.exists()


def test_a_large_check_whose_worker_died_is_swept_and_checked_again(
    county, client, settings, django_capture_on_commit_callbacks, may_10
):
    settings.CERTIFICATION_IMPORT_INLINE_MAX_ROWS = 1
    with django_capture_on_commit_callbacks():
        queued = check(
            county.clerk, [["身份证号码"], [county.retiree_a1.id_number], [county.retiree_b1.id_number]]
        )
    refused_while_live = pytest.raises(CertificationError, match="只有任务中断的批次可以重新运行")
    with refused_while_live:
        certification_import_restart(certification_import=queued, by=county.clerk)

    later = MAY_10 + datetime.timedelta(minutes=settings.JOB_STALE_MINUTES + 1)
    assert job_sweep(now=later)["certification.CertificationImport"] == 1
    queued.refresh_from_db()
    assert queued.get_status_display() == "任务中断"
    client.force_login(county.clerk)
    html = client.get(reverse("certification-import-detail", args=[queued.pk])).content.decode()
    assert "后台任务中断" in html and 'id="restart-import"' in html

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("certification-import-restart", args=[queued.pk]))
    assert response.status_code == 302 and len(callbacks) == 1
    queued.refresh_from_db()
    assert (queued.status, queued.job_attempts) == ("checking", 2)
    assert certification_import_check_run(import_id=queued.pk).status == "checked"
