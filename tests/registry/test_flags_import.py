"""The import of county flags: every row checked first, a preview, one transaction on confirmation."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from registry.errors import FlagError
from registry.models import Retiree, RetireeFlag
from registry.services.flags import (
    IMPORT_MAX_ROWS,
    Mode,
    Outcome,
    flag_add,
    flag_import_check,
    flag_import_confirm,
    flag_kind_create,
    flag_kind_update,
)
from tests.factories import RetireeFactory, make_id_number

HEADERS = ("身份证号码", "标记", "说明")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def kinds(county):
    return {
        "senior": flag_kind_create(code="senior_title", name="高级职称", by=county.admin),
        "hardship": flag_kind_create(code="hardship", name="艰苦边远地区", by=county.admin),
    }


def csv_bytes(rows, *, encoding="utf-8", headers=HEADERS):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, headers=HEADERS):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def check(county, data, *, name="flags.csv", mode=Mode.ADD, by=None):
    return flag_import_check(upload=SimpleUploadedFile(name, data), mode=mode, by=by or county.clerk)


def outcomes(result):
    return [(row.row_number, row.outcome) for row in result.rows]


def test_good_rows_are_previewed_then_written_in_one_statement(county, kinds):
    a1, a2 = county.retiree_a1, county.retiree_a2
    flag_add(retiree=a2, kind=kinds["senior"], note="早已设置", by=county.clerk)
    data = xlsx_bytes(
        [
            (a1.id_number, "senior_title", "职称证书编号 A2023-0456"),
            (a1.id_number, "艰苦边远地区", ""),  # by name
            (a2.id_number.lower(), "SENIOR_TITLE", "再次"),  # already carried; the code in any case
        ]
    )

    result = check(county, data, name="flags.xlsx")

    assert outcomes(result) == [(2, Outcome.ADD), (3, Outcome.ADD), (4, Outcome.ALREADY)]
    assert (result.counts[Outcome.ADD], result.counts[Outcome.ALREADY]) == (2, 1)
    assert result.may_confirm
    assert RetireeFlag.objects.count() == 1  # the check writes nothing

    with CaptureQueriesContext(connection) as queries:
        done = flag_import_confirm(token=result.token, by=county.clerk)

    assert (done.written, done.skipped) == (2, 1)
    inserts = [query for query in queries.captured_queries if '"registry_retireeflag" (' in query["sql"]]
    assert len(inserts) == 1
    flags = {(flag.kind.code, flag.note, flag.added_by_id) for flag in RetireeFlag.objects.filter(retiree=a1)}
    assert flags == {
        ("senior_title", "职称证书编号 A2023-0456", county.clerk.pk),
        ("hardship", "", county.clerk.pk),
    }
    assert RetireeFlag.objects.get(retiree=a2).note == "早已设置"


def test_every_problem_is_named_per_row_and_nothing_is_written(county, kinds):
    a1, a2 = county.retiree_a1, county.retiree_a2
    flag_kind_update(
        kind=kinds["hardship"], name="艰苦边远地区", sort_order=0, is_active=False, by=county.admin
    )
    wrong_check = a1.id_number[:17] + ("0" if a1.id_number[17] != "0" else "1")
    unknown_person = make_id_number(area="110105")
    data = csv_bytes(
        [
            (a1.id_number, "senior_title", ""),  # 2: good
            (wrong_check, "senior_title", ""),  # 3
            ("12345", "senior_title", ""),  # 4
            ("", "senior_title", ""),  # 5
            (unknown_person, "senior_title", ""),  # 6
            (a2.id_number, "党员", ""),  # 7
            (a2.id_number, "hardship", ""),  # 8: inactive
            (a1.id_number, "高级职称", ""),  # 9: the same as row 2
            (a2.id_number, "senior_title", "长" * 201),  # 10
            ("3.60721195803144E+17", "senior_title", ""),  # 11: Excel turned it into a number
        ]
    )

    result = check(county, data)

    assert outcomes(result) == [
        (2, Outcome.ADD),
        (3, Outcome.BAD_ID),
        (4, Outcome.BAD_ID),
        (5, Outcome.BAD_ID),
        (6, Outcome.NOT_FOUND),
        (7, Outcome.UNKNOWN_FLAG),
        (8, Outcome.INACTIVE_FLAG),
        (9, Outcome.DUPLICATE),
        (10, Outcome.NOTE_TOO_LONG),
        (11, Outcome.BAD_ID),
    ]
    details = {row.row_number: row.detail for row in result.rows}
    assert "校验位错误" in details[3]
    assert "应为18位" in details[4]
    assert details[5] == "缺少身份证号码"
    assert "被Excel转成了数字" in details[11]
    # The preview shows numbers masked, even a wrong one.
    assert all(wrong_check not in row.id_masked and wrong_check not in row.detail for row in result.rows)
    assert not result.may_confirm

    with pytest.raises(FlagError, match="文件中有问题行,未写入任何标记"):
        flag_import_confirm(token=result.token, by=county.clerk)
    assert not RetireeFlag.objects.exists()


def test_a_person_out_of_scope_is_not_found_and_a_deceased_one_is_noted(county, kinds):
    from tests.factories import StaffFactory

    township_clerk = StaffFactory.create(
        username="clerk_a", role="bureau_clerk", org_unit=county.township_a, last_name="镇"
    )
    dead = RetireeFactory.create(
        name="钱永福",
        community=county.community_a1,
        status=Retiree.Status.DECEASED,
        died_on=datetime.date(2026, 3, 2),
    )
    data = csv_bytes(
        [(county.retiree_b1.id_number, "senior_title", ""), (dead.id_number, "senior_title", "")]
    )

    result = check(county, data, by=township_clerk)

    assert outcomes(result) == [(2, Outcome.NOT_FOUND), (3, Outcome.ADD)]
    assert result.rows[1].remark.startswith("死亡")
    assert result.rows[1].name == "钱永福"


def test_a_gbk_csv_is_read(county, kinds):
    data = csv_bytes([(county.retiree_a1.id_number, "高级职称", "县人社局认定")], encoding="gbk")
    result = check(county, data)
    assert outcomes(result) == [(2, Outcome.ADD)]
    flag_import_confirm(token=result.token, by=county.clerk)
    assert RetireeFlag.objects.get().note == "县人社局认定"


def test_remove_mode_stamps_the_current_flags_and_skips_the_others(county, kinds):
    flag = flag_add(retiree=county.retiree_a1, kind=kinds["senior"], note="证书 A1", by=county.clerk)
    data = csv_bytes(
        [
            (county.retiree_a1.id_number, "senior_title", "退休前职称撤销"),
            (county.retiree_a2.id_number, "senior_title", ""),
        ]
    )
    result = check(county, data, mode=Mode.REMOVE)
    assert outcomes(result) == [(2, Outcome.REMOVE), (3, Outcome.NOT_SET)]

    done = flag_import_confirm(token=result.token, by=county.clerk)

    assert (done.written, done.skipped) == (1, 1)
    flag.refresh_from_db()
    assert flag.removed_by == county.clerk
    assert flag.note == "证书 A1;取消原因:退休前职称撤销"


def test_confirming_twice_writes_once(county, kinds):
    result = check(county, csv_bytes([(county.retiree_a1.id_number, "senior_title", "")]))
    assert flag_import_confirm(token=result.token, by=county.clerk).written == 1
    with pytest.raises(FlagError, match="这次导入已确认或已过期"):
        flag_import_confirm(token=result.token, by=county.clerk)
    assert RetireeFlag.objects.count() == 1


def test_a_token_is_the_uploaders_own_and_cannot_be_forged(county, kinds):
    result = check(county, csv_bytes([(county.retiree_a1.id_number, "senior_title", "")]))
    with pytest.raises(FlagError, match="这次导入已确认或已过期"):
        flag_import_confirm(token=result.token, by=county.admin)
    with pytest.raises(FlagError, match="这次导入已确认或已过期"):
        flag_import_confirm(token=result.token + "x", by=county.clerk)
    assert not RetireeFlag.objects.exists()


def test_a_flag_set_by_hand_between_preview_and_confirm_is_not_written_twice(county, kinds):
    result = check(county, csv_bytes([(county.retiree_a1.id_number, "senior_title", "")]))
    flag_add(retiree=county.retiree_a1, kind=kinds["senior"], note="手工", by=county.clerk)
    done = flag_import_confirm(token=result.token, by=county.clerk)
    assert (done.written, done.skipped) == (0, 1)
    assert RetireeFlag.objects.get().note == "手工"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("flags.txt", b"x", "只能导入 .xlsx 或 .csv 文件。"),
        ("flags.csv", b"", "文件是空的"),
        ("flags.csv", "身份证号码,说明\r\n1,2\r\n".encode(), "表头缺少必需的列:标记"),
        ("flags.csv", "身份证号码,标记\r\n".encode(), "文件只有表头,没有数据行。"),
        ("flags.xlsx", b"not a workbook", "无法读取该Excel文件"),
        ("flags.csv", b"\xff\xfe\x00\x81\x30", "无法识别CSV文件的编码"),
    ],
)
def test_unreadable_files_are_refused_with_a_message(county, kinds, name, data, message):
    with pytest.raises(FlagError, match=message):
        check(county, data, name=name)


def test_a_file_over_the_row_limit_is_refused_before_reading_its_cells(county, kinds):
    data = csv_bytes([(county.retiree_a1.id_number, "senior_title", "")] * (IMPORT_MAX_ROWS + 1))
    with pytest.raises(FlagError, match="超过每个文件 20,000 行的上限"):
        check(county, data)


def test_thousands_of_rows_are_checked_and_written_set_based(county, kinds):
    start = datetime.date(1950, 1, 1)
    people = [
        RetireeFactory.create(
            community=county.community_a1, id_number=make_id_number(start + datetime.timedelta(days=day))
        )
        for day in range(1500)
    ]
    data = csv_bytes(
        [(person.id_number, "senior_title", f"证书{index}") for index, person in enumerate(people)]
    )
    with CaptureQueriesContext(connection) as queries:
        result = check(county, data)
        done = flag_import_confirm(token=result.token, by=county.clerk)
    assert done.written == 1500
    assert len(queries.captured_queries) < 40  # no query per row
    assert RetireeFlag.objects.filter(removed_at__isnull=True).count() == 1500


# Pages --------------------------------------------------------------------------------------------


def test_the_clerk_uploads_sees_the_preview_and_confirms(client, county, kinds):
    client.force_login(county.clerk)
    data = csv_bytes(
        [(county.retiree_a1.id_number, "senior_title", ""), (county.retiree_a2.id_number, "hardship", "")]
    )
    response = client.post(
        reverse("flag-import"), {"mode": Mode.ADD, "file": SimpleUploadedFile("flags.csv", data)}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-count="add">2<' in page
    assert "flag-import-confirm-form" in page
    assert county.retiree_a1.id_number not in page  # masked in the preview
    token = response.context["check"].token

    response = client.post(reverse("flag-import-confirm"), {"token": token})
    assert response.status_code == 302
    assert RetireeFlag.objects.count() == 2
    response = client.post(reverse("flag-import-confirm"), {"token": token}, follow=True)
    assert "这次导入已确认或已过期" in response.content.decode()
    assert RetireeFlag.objects.count() == 2


def test_a_file_with_problems_shows_them_and_no_confirm_button(client, county, kinds):
    client.force_login(county.clerk)
    data = csv_bytes([(county.retiree_a1.id_number, "党员", "")])
    response = client.post(
        reverse("flag-import"), {"mode": Mode.ADD, "file": SimpleUploadedFile("flags.csv", data)}
    )
    page = response.content.decode()
    assert "没有这个标记" in page
    assert "flag-import-confirm-form" not in page


def test_a_refused_upload_shows_the_message_on_the_form(client, county, kinds):
    client.force_login(county.clerk)
    response = client.post(
        reverse("flag-import"), {"mode": Mode.ADD, "file": SimpleUploadedFile("flags.txt", b"x")}
    )
    assert response.status_code == 400
    assert "只能导入 .xlsx 或 .csv 文件。" in response.content.decode()


def test_the_template_has_the_columns_and_the_kinds(client, county, kinds):
    client.force_login(county.clerk)
    response = client.get(reverse("flag-import-template"))
    workbook = load_workbook(io.BytesIO(response.content))
    first, second = workbook.worksheets
    assert [cell.value for cell in first[1]] == list(HEADERS)
    assert [row[0] for row in second.iter_rows(min_row=2, values_only=True)] == ["hardship", "senior_title"]
