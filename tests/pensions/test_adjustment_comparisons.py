"""The province's result file compared with a dry run to the fen (docs/adjustment-province-file.md): the
county of tests/pensions/adjustment_flow.py, a province file made from our own lines with one amount off by a
fen, one person left out, one ID the registry does not know and our exception adjusted by the province."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from pensions.errors import AdjustmentError
from pensions.models import AdjustmentComparison, AdjustmentDifference, AdjustmentLine, AdjustmentRun
from pensions.services.adjustment_comparisons import (
    adjustment_compare,
    adjustment_comparison_restart,
    adjustment_comparison_upload,
)
from pensions.services.adjustments import adjustment_dry_run, adjustment_run_start
from pensions.tasks import adjustment_compare_task
from registry.id_numbers import mask_resident_id
from registry.models import ExportJob, SensitiveExport, Staff
from registry.services.export_jobs import export_job_run
from tests.clients import signed_in
from tests.factories import make_id_number

from .adjustment_flow import T_APPLY, first_half_paid, make_people, set_published

D = Decimal
Kind = AdjustmentDifference.Kind
Status = AdjustmentComparison.Status
UNKNOWN_ID = make_id_number(datetime.date(1950, 1, 1), area="110105")


@pytest.fixture
def world(county: Any, banks: Any, settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    people = make_people(county, banks["psbc"])
    set_published(county.admin)
    first_half_paid(county, people)
    with time_machine.travel(T_APPLY, tick=False):
        started = adjustment_run_start(year=2026, by=county.clerk)
        run = adjustment_dry_run(run_id=started.pk)
    assert run is not None and run.status == AdjustmentRun.Status.COMPUTED
    return people, run


def province_rows(people: Any, run: AdjustmentRun) -> list[tuple[str, str, str, str]]:
    """(ID, name, rise, new amount) as the province would send them: ours, except B a fen more, I left out,
    E (our exception: no contribution months) adjusted by 50.00, and one ID unknown here."""
    lines = {line.retiree_id: line for line in AdjustmentLine.objects.filter(run=run)}
    assert lines[people.e.pk].rise is None and people.h.pk not in lines
    rows = []
    for retiree in (people.a, people.b, people.c, people.d, people.f, people.g):
        line = lines[retiree.pk]
        rise, new = line.rise, line.new_amount
        if retiree == people.b:
            rise, new = rise + D("0.01"), new + D("0.01")
        rows.append((retiree.id_number, retiree.name, str(rise), str(new)))
    rows.append((people.e.id_number, people.e.name, "50.00", "2150.00"))
    rows.append((UNKNOWN_ID, "外县人", "80.00", "2080.00"))
    return rows


def xlsx_file(
    rows: list[tuple[Any, ...]], headers: tuple[str, ...] = ("身份证号码", "姓名", "月增加额", "调整后金额")
) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        # Amounts as numbers, the way a province's spreadsheet has them; IDs as text.
        sheet.append([row[0], row[1], *(float(value) if value else None for value in row[2:])])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_file(rows: list[tuple[Any, ...]], headers: tuple[str, ...], encoding: str = "gbk") -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(headers)
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


def upload(run: AdjustmentRun, by: Any, content: bytes, name: str) -> AdjustmentComparison:
    return adjustment_comparison_upload(run=run, file=SimpleUploadedFile(name, content), by=by)


def compared(run: AdjustmentRun, by: Any, content: bytes, name: str) -> AdjustmentComparison:
    comparison = upload(run, by, content, name)
    assert comparison.status == Status.QUEUED
    done = adjustment_compare(comparison_id=comparison.pk)
    assert done is not None
    return done


def differences(comparison: AdjustmentComparison) -> set[tuple[Any, ...]]:
    return set(
        AdjustmentDifference.objects.filter(comparison=comparison).values_list(
            "kind",
            "id_number",
            "retiree_id",
            "ours_rise",
            "province_rise",
            "ours_new_amount",
            "province_new_amount",
        )
    )


def expected(people: Any, run: AdjustmentRun) -> set[tuple[Any, ...]]:
    lines = {line.retiree_id: line for line in AdjustmentLine.objects.filter(run=run)}
    b, i = lines[people.b.pk], lines[people.i.pk]
    return {
        (
            Kind.AMOUNT,
            people.b.id_number,
            people.b.pk,
            b.rise,
            b.rise + D("0.01"),
            b.new_amount,
            b.new_amount + D("0.01"),
        ),
        (Kind.AMOUNT, people.e.id_number, people.e.pk, None, D("50.00"), None, D("2150.00")),
        (Kind.ONLY_OURS, people.i.id_number, people.i.pk, i.rise, None, i.new_amount, None),
        (Kind.UNKNOWN_PERSON, UNKNOWN_ID, None, None, D("80.00"), None, D("2080.00")),
    }


# The comparison ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_xlsx_from_the_province_shows_exactly_the_differences(county, world):
    people, run = world
    comparison = compared(run, county.clerk, xlsx_file(province_rows(people, run)), "省厅2026调待结果.xlsx")
    assert comparison.status == Status.DONE and comparison.progress == 100, comparison.error
    assert differences(comparison) == expected(people, run)
    # 8 rows; A, C, D, F, G the same to the fen; B, E, I and the unknown ID listed.
    assert (comparison.rows, comparison.matched, comparison.differing) == (8, 5, 4)
    assert comparison.original_name == "省厅2026调待结果.xlsx"


@pytest.mark.django_db
def test_a_gbk_csv_with_synonym_headers_and_a_15_digit_id_reads_the_same(county, world):
    people, run = world
    rows = province_rows(people, run)
    first = rows[0]
    assert first[0] == people.a.id_number and first[0][6:8] == "19"
    rows[0] = (first[0][:6] + first[0][8:17], *first[1:])  # the old 15-digit form of A's number
    content = csv_file(rows, ("公民身份号码", "姓名", "增加额", "调整后养老金"))
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")  # really GBK
    comparison = compared(run, county.clerk, content, "jieguo.csv")
    assert comparison.status == Status.DONE, comparison.error
    assert differences(comparison) == expected(people, run)
    assert (comparison.rows, comparison.matched, comparison.differing) == (8, 5, 4)


@pytest.mark.django_db
def test_a_person_known_here_but_not_in_the_run_and_a_file_with_only_the_rise(county, world):
    people, run = world
    lines = {line.retiree_id: line for line in AdjustmentLine.objects.filter(run=run)}
    # Only the rise column: the new amounts are not compared. H retired after the cut-off (not in the run).
    rows = [
        (p.id_number, str(lines[p.pk].rise))
        for p in (people.a, people.b, people.c, people.d, people.f, people.g, people.i)
    ]
    rows.append((people.h.id_number, "60.00"))
    content = csv_file(rows, ("身份证号码", "调整额"), encoding="utf-8-sig")
    comparison = compared(run, county.clerk, content, "rise.csv")
    assert differences(comparison) == {
        (Kind.ONLY_PROVINCE, people.h.id_number, people.h.pk, None, D("60.00"), None, None)
    }
    assert (comparison.rows, comparison.matched, comparison.differing) == (8, 7, 1)


@pytest.mark.django_db
def test_the_job_run_twice_or_restarted_lists_each_difference_once(county, world):
    people, run = world
    comparison = compared(run, county.clerk, xlsx_file(province_rows(people, run)), "p.xlsx")
    # A redelivered message finds the comparison done and does nothing.
    assert adjustment_compare_task(comparison.pk) is None
    assert AdjustmentDifference.objects.filter(comparison=comparison).count() == 4
    # Swept as interrupted (as if its worker had died after writing), started again: replaced, not added.
    AdjustmentComparison.objects.filter(pk=comparison.pk).update(status=Status.INTERRUPTED)
    again = adjustment_comparison_restart(comparison=comparison, by=county.clerk)
    assert again.status == Status.QUEUED and again.job_attempts == 2
    redone = adjustment_compare(comparison_id=comparison.pk)
    assert redone is not None and redone.status == Status.DONE
    assert differences(redone) == expected(people, run)
    assert AdjustmentDifference.objects.filter(comparison=comparison).count() == 4
    with pytest.raises(AdjustmentError, match="不能重新运行"):
        adjustment_comparison_restart(comparison=redone, by=county.clerk)


# Refusals ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("result.txt", b"id,rise\n", "只能导入 .xlsx 或 .csv 文件"),
        ("result.csv", b"", "文件是空的"),
        ("result.csv", "姓名,月增加额\n张三,10.00\n".encode(), "表头缺少“身份证号码”列"),
        ("result.csv", b"360721195803140010,117.50\n", "表头缺少“身份证号码”列"),
        ("result.csv", "身份证号码,姓名\n360721195803140010,张三\n".encode(), "既没有“月增加额”"),
        ("result.xlsx", b"PK\x03\x04 not a workbook", "无法读取该Excel文件"),
    ],
)
def test_a_wrong_file_is_refused_at_upload_with_nothing_written(county, world, name, content, message):
    _people, run = world
    with pytest.raises(AdjustmentError, match=message):
        upload(run, county.clerk, content, name)
    assert not AdjustmentComparison.objects.exists()


@pytest.mark.django_db
def test_a_file_over_20_mb_is_refused_before_it_is_read(county, world):
    _people, run = world
    content = "身份证号码,月增加额\n".encode() + b" " * (20 * 1024 * 1024 + 1)
    with pytest.raises(AdjustmentError, match="20 MB"):
        upload(run, county.clerk, content, "big.csv")
    assert not AdjustmentComparison.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("duplicate", "身份证号码重复"),
        ("decimals", "月增加额超过两位小数"),
        ("bad_id", "身份证号码无效"),
        ("not_a_number", "调整后金额不是数字"),
    ],
)
def test_wrong_rows_fail_the_comparison_with_the_rows_named_and_no_differences(
    county, world, change, message
):
    people, run = world
    rows = [list(row) for row in province_rows(people, run)]
    if change == "duplicate":
        rows.append(list(rows[1]))
    elif change == "decimals":
        rows[2][2] = "168.855"
    elif change == "bad_id":
        rows[3][0] = rows[3][0][:17] + ("0" if rows[3][0][17] != "0" else "1")
    else:
        rows[4][3] = "两千"
    comparison = compared(
        run,
        county.clerk,
        csv_file([tuple(row) for row in rows], ("身份证号码", "姓名", "月增加额", "调整后金额")),
        "p.csv",
    )
    assert comparison.status == Status.FAILED
    assert message in comparison.error and "未比对" in comparison.error
    if change == "duplicate":
        assert (
            mask_resident_id(people.b.id_number) in comparison.error and "第3行和第10行" in comparison.error
        )
        assert people.b.id_number not in comparison.error
    assert not AdjustmentDifference.objects.exists()


@pytest.mark.django_db
def test_a_run_still_running_or_discarded_has_nothing_to_compare(county, world):
    people, run = world
    AdjustmentRun.objects.filter(pk=run.pk).update(status=AdjustmentRun.Status.DISCARDED)
    with pytest.raises(AdjustmentError, match="没有可比对的试算结果"):
        upload(run, county.clerk, xlsx_file(province_rows(people, run)), "p.xlsx")
    assert not AdjustmentComparison.objects.exists()


@pytest.mark.django_db
def test_only_those_who_prepare_payments_upload(county, world):
    people, run = world
    for staff in (county.reviewer, county.auditor, county.officer_a):
        with pytest.raises(PermissionDenied):
            upload(run, staff, xlsx_file(province_rows(people, run)), "p.xlsx")
    assert not AdjustmentComparison.objects.exists()


# Pages ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_pages_upload_show_masked_differences_and_export(county, world):
    people, run = world
    clerk = signed_in(county.clerk)
    listing = clerk.get(f"/pensions/adjustments/runs/{run.pk}/comparisons/")
    assert listing.status_code == 200 and 'id="comparison-upload"' in listing.content.decode()
    refused = clerk.post(
        f"/pensions/adjustments/runs/{run.pk}/comparisons/",
        {"file": SimpleUploadedFile("a.csv", "姓名,月增加额\n张三,1.00\n".encode())},
    )
    assert refused.status_code == 400 and "表头缺少“身份证号码”列" in refused.content.decode()
    assert not AdjustmentComparison.objects.exists()
    response = clerk.post(
        f"/pensions/adjustments/runs/{run.pk}/comparisons/",
        {"file": SimpleUploadedFile("省厅.xlsx", xlsx_file(province_rows(people, run)))},
    )
    comparison = AdjustmentComparison.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == f"/pensions/adjustments/comparisons/{comparison.pk}/"
    )
    # Queued: the page polls the progress.
    queued = clerk.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 2s"' in queued and "w-pct-0" in queued
    adjustment_compare(comparison_id=comparison.pk)

    html = (
        signed_in(county.auditor).get(f"/pensions/adjustments/comparisons/{comparison.pk}/").content.decode()
    )
    assert 'hx-trigger="every 2s"' not in html
    for person in (people.b, people.e, people.i):
        assert person.id_number not in html and mask_resident_id(person.id_number) in html
    assert UNKNOWN_ID not in html and mask_resident_id(UNKNOWN_ID) in html
    assert "¥0.01" in html  # B: the province a fen more, beside both figures
    assert html.count('data-difference="') == 4
    only_ours = clerk.get(
        f"/pensions/adjustments/comparisons/{comparison.pk}/?kind=only_ours"
    ).content.decode()
    assert only_ours.count('data-difference="only_ours"') == 1 and 'data-difference="amount"' not in only_ours
    listed = clerk.get(f"/pensions/adjustments/runs/{run.pk}/comparisons/?partial=1").content.decode()
    assert f'data-comparison="{comparison.pk}"' in listed and "比对完成" in listed

    # The xlsx: masked by default, full only with a purpose, and then recorded.
    url = f"/pensions/adjustments/comparisons/{comparison.pk}/differences.xlsx"
    sheet = load_workbook(io.BytesIO(b"".join(clerk.get(url).streaming_content))).active
    ids = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(ids) == sorted(
        mask_resident_id(n) for n in (people.b.id_number, people.e.id_number, people.i.id_number, UNKNOWN_ID)
    )
    assert not SensitiveExport.objects.exists()
    full = clerk.get(url, {"purpose": SensitiveExport.Purpose.DATA_CORRECTION})
    sheet = load_workbook(io.BytesIO(b"".join(full.streaming_content))).active
    rows = {row[2]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert people.b.id_number in rows and rows[people.b.id_number][5] == 0.01
    record = SensitiveExport.objects.get()
    assert record.export == "pensions.adjustment_comparison" and record.person_count == 4
    assert signed_in(county.auditor).get(url, {"purpose": "bogus"}).status_code == 400


@pytest.mark.django_db
def test_the_page_offers_a_rerun_of_a_failed_comparison(county, world):
    people, run = world
    rows = province_rows(people, run)
    comparison = compared(
        run,
        county.clerk,
        csv_file([*rows, rows[0]], ("身份证号码", "姓名", "月增加额", "调整后金额")),
        "dup.csv",
    )
    assert comparison.status == Status.FAILED
    html = signed_in(county.clerk).get(f"/pensions/adjustments/comparisons/{comparison.pk}/").content.decode()
    assert 'id="comparison-error"' in html and "身份证号码重复" in html and 'id="comparison-restart"' in html
    assert (
        'id="comparison-restart"'
        not in signed_in(county.auditor)
        .get(f"/pensions/adjustments/comparisons/{comparison.pk}/")
        .content.decode()
    )
    response = signed_in(county.clerk).post(f"/pensions/adjustments/comparisons/{comparison.pk}/restart/")
    assert response.status_code == 302
    comparison.refresh_from_db()
    assert comparison.status == Status.QUEUED
    assert (
        signed_in(county.reviewer)
        .post(f"/pensions/adjustments/comparisons/{comparison.pk}/restart/")
        .status_code
        == 403
    )


@pytest.mark.django_db
def test_page_permissions(county, world):
    people, run = world
    comparison = compared(run, county.clerk, xlsx_file(province_rows(people, run)), "p.xlsx")
    pages = (
        f"/pensions/adjustments/runs/{run.pk}/comparisons/",
        f"/pensions/adjustments/comparisons/{comparison.pk}/",
        f"/pensions/adjustments/comparisons/{comparison.pk}/differences.xlsx",
    )
    for page in pages:
        for staff in (county.admin, county.clerk, county.reviewer, county.auditor):
            assert signed_in(staff).get(page).status_code == 200, (page, staff.role)
        assert signed_in(county.officer_a).get(page).status_code == 403
    upload_url = pages[0]
    content = xlsx_file(province_rows(people, run))
    for staff in (county.reviewer, county.auditor):
        response = signed_in(staff).post(upload_url, {"file": SimpleUploadedFile("p.xlsx", content)})
        assert response.status_code == 403
    # The upload form is not offered to those who may not upload.
    assert 'id="comparison-upload"' not in signed_in(county.reviewer).get(upload_url).content.decode()
    assert AdjustmentComparison.objects.count() == 1


# API --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_uploads_lists_and_pages_the_differences(county, world):
    people, run = world
    clerk = signed_in(county.clerk)
    base = "/api/pensions/adjustments"
    content = xlsx_file(province_rows(people, run))
    denied = signed_in(county.reviewer).post(
        f"{base}/runs/{run.pk}/comparisons/", {"file": SimpleUploadedFile("p.xlsx", content)}
    )
    assert denied.status_code == 403
    bad = clerk.post(f"{base}/runs/{run.pk}/comparisons/", {"file": SimpleUploadedFile("p.txt", b"x")})
    assert bad.status_code == 400 and "只能导入" in str(bad.json())
    created = clerk.post(
        f"{base}/runs/{run.pk}/comparisons/", {"file": SimpleUploadedFile("p.xlsx", content)}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "queued" and body["run"] == run.pk
    adjustment_compare(comparison_id=body["id"])

    auditor = signed_in(county.auditor)
    listing = auditor.get(f"{base}/runs/{run.pk}/comparisons/").json()
    assert [item["id"] for item in listing] == [body["id"]]
    detail = auditor.get(f"{base}/comparisons/{body['id']}/").json()
    assert (detail["status"], detail["rows"], detail["matched"], detail["differing"]) == ("done", 8, 5, 4)
    assert {item["kind"]: item["count"] for item in detail["kinds"]} == {
        "amount": 2,
        "only_province": 0,
        "only_ours": 1,
        "unknown_person": 1,
    }
    page = auditor.get(f"{base}/comparisons/{body['id']}/differences/", {"kind": "amount"}).json()
    assert page["count"] == 2
    found = {item["id_number_masked"]: item for item in page["results"]}
    e = found[mask_resident_id(people.e.id_number)]
    assert e["ours_rise"] is None and e["province_rise"] == "50.00" and e["name"] == people.e.name
    assert people.b.id_number not in str(page)
    assert signed_in(county.officer_a).get(f"{base}/comparisons/{body['id']}/").status_code == 403
    assert auditor.get(f"{base}/comparisons/{body['id']}/differences/", {"kind": "nope"}).status_code == 400


@pytest.mark.django_db
def test_a_long_differences_list_is_made_by_the_worker_as_the_inline_file(county, world, settings):
    people, run = world
    comparison = compared(run, county.clerk, xlsx_file(province_rows(people, run)), "p.xlsx")
    clerk = signed_in(county.clerk)
    url = f"/pensions/adjustments/comparisons/{comparison.pk}/differences.xlsx"
    purpose = {"purpose": SensitiveExport.Purpose.DATA_CORRECTION}
    settings.EXPORT_INLINE_MAX_ROWS = 3  # four differences: a long list

    response = clerk.get(url, purpose)

    job = ExportJob.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/exports/?job={job.pk}")
    assert (job.kind, job.parameters, job.full_numbers, job.status) == (
        "pensions.adjustment_comparison",
        {"comparison": comparison.pk, "run": run.pk},
        True,
        ExportJob.Status.QUEUED,
    )
    assert not SensitiveExport.objects.exists()
    done = export_job_run(job_id=job.pk)
    assert (done.status, done.row_count) == (ExportJob.Status.DONE, 4)
    record = SensitiveExport.objects.get()
    assert (record.export, record.person_count, record.detail["export_job"]) == (
        "pensions.adjustment_comparison",
        4,
        job.pk,
    )
    background = b"".join(clerk.get(f"/exports/{job.pk}/file/").streaming_content)
    # Another person's export does not exist for them; the requester who lost the right is refused.
    assert signed_in(county.reviewer).get(f"/exports/{job.pk}/file/").status_code == 404

    settings.EXPORT_INLINE_MAX_ROWS = 4
    inline = b"".join(clerk.get(url, purpose).streaming_content)
    assert ExportJob.objects.count() == 1

    def rows(content: bytes) -> list[tuple[Any, ...]]:
        return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))

    assert rows(background) == rows(inline)
    assert people.b.id_number in [row[2] for row in rows(background)]
    Staff.objects.filter(pk=county.clerk.pk).update(role="")
    assert signed_in(county.clerk).get(f"/exports/{job.pk}/file/").status_code == 403
