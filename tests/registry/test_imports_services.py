"""The bulk import services: the dry run reports every bad row and writes nothing; the import writes
exactly the good rows in one transaction, once."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from python_calamine import CalamineWorkbook

from registry.errors import ImportBatchError
from registry.id_numbers import check_character, mask_resident_id
from registry.imports.columns import HEADERS
from registry.imports.writing import move_staged
from registry.models import (
    Employer,
    ImportBatch,
    ImportStagedRow,
    Retiree,
    RetireeSearchKey,
)
from registry.months import PensionMonth
from registry.search import search_keys_for
from registry.services import (
    import_batch_check,
    import_batch_confirm,
    import_batch_index_names,
    import_batch_run,
    import_batch_upload,
    retiree_search_keys_rebuild,
)
from registry.services import imports as imports_service
from tests.factories import StaffFactory, make_id_number
from tests.registry.import_files import (  # noqa: F401
    banks_fixture,
    checked,
    csv_text,
    good_row,
    registry_counts,
    upload,
    xlsx_bytes,
)

Status = ImportBatch.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def with_check(first17: str) -> str:
    return first17 + check_character(first17)


def reasons_by_row(batch):
    return {problem["row"]: problem["reasons"] for problem in batch.problems}


def test_the_dry_run_lists_every_bad_row_with_its_reasons_and_writes_nothing(county, banks):
    Retiree.objects.filter(pk=county.retiree_a1.pk).update(certificate_number="360721201800001")
    registered = county.retiree_a1.id_number
    twice = make_id_number()
    right = with_check("36072119580314123")
    wrong_check = right[:17] + ("1" if right[17] != "1" else "2")
    rows = [
        good_row(姓名="钱秀英", 身份证号码=make_id_number(male=False), 性别="女"),  # 2
        good_row(身份证号码=wrong_check),  # 3
        good_row(身份证号码=with_check("36072119580230123")),  # 4
        good_row(身份证号码="3607211958031"),  # 5
        good_row(身份证号码=360721195803141234.0),  # 6: Excel made it a number
        good_row(身份证号码=twice),  # 7
        good_row(身份证号码=twice),  # 8
        good_row(身份证号码=registered),  # 9
        good_row(**{"乡镇(街道)": "不存在镇"}),  # 10
        good_row(**{"社区(村居)": "梅林村"}),  # 11
        good_row(**{"社区(村居)": "无名社区"}),  # 12
        good_row(月养老金="两千"),  # 13
        good_row(月养老金="0"),  # 14
        good_row(月养老金="-5"),  # 15
        good_row(月养老金="2650.123"),  # 16
        good_row(发放银行=""),  # 17
        good_row(发放银行="花旗银行"),  # 18
        good_row(银行账号="6217abc"),  # 19
        good_row(退休时间="2018-13-45", 参加工作时间="1976.9"),  # 20
        good_row(起始月份="2026-13"),  # 21
        good_row(待遇证号="360721201800001"),  # 22
        good_row(待遇证号="360721201900007"),  # 23
        good_row(待遇证号="360721201900007"),  # 24
        good_row(状态="死亡"),  # 25
        good_row(居住类型="异地", 异地居住省份="广东省"),  # 26
        good_row(性别="女"),  # 27: the ID says male
        good_row(发放银行="OLD"),  # 28
        good_row(身份证号码="360721491001123"),  # 29: the old 15-digit form is fine
    ]
    before = registry_counts()

    batch = checked(rows, county.clerk)

    assert (batch.status, batch.progress) == (Status.CHECKED, 100)
    assert (batch.total_rows, batch.good_rows, batch.bad_rows) == (28, 2, 26)
    assert reasons_by_row(batch) == {
        3: [f"身份证号码校验位错误:最后一位应为 {right[17]},而不是 {wrong_check[17]},请核对号码。"],
        4: ["身份证号码中的出生日期 19580230 不是有效日期。"],
        5: ["身份证号码应为18位(最后一位可为X)或旧的15位数字,收到的是“3607211958031”。"],
        6: ["身份证号码被Excel转成了数字,请将该列设为文本后重新导出"],
        7: ["身份证号码与第 8 行重复"],
        8: ["身份证号码与第 7 行重复"],
        9: [f"身份证号码已登记:张建国({mask_resident_id(registered)})"],
        10: ["没有名为“不存在镇”的乡镇(街道)"],
        11: ["社区(村居)“梅林村”不属于“城关镇”,而属于“梅林镇”"],
        12: ["没有名为“无名社区”的社区(村居)"],
        13: ["月养老金“两千”不是数字"],
        14: ["月养老金应大于0,收到的是 0"],
        15: ["月养老金应大于0,收到的是 -5"],
        16: ["月养老金“2650.123”超过两位小数"],
        17: ["缺少发放银行"],
        18: ["没有名称或编码为“花旗银行”的发放银行"],
        19: ["银行账号“6217abc”应为8至32位数字"],
        20: [
            "参加工作时间“1976.9”不是有效日期,应写作 2018-03-31、2018/3/31 或 20180331",
            "退休时间“2018-13-45”不是有效日期,应写作 2018-03-31、2018/3/31 或 20180331",
        ],
        21: ["起始月份“2026-13”不是有效月份,应写作 2026-01 或 202601"],
        22: [f"待遇证号 360721201800001 已属于 张建国({mask_resident_id(registered)})"],
        23: ["待遇证号与第 24 行重复"],
        24: ["待遇证号与第 23 行重复"],
        25: ["状态“死亡”无法导入:只能是“正常”或“暂停”(死亡、终止人员不导入)"],
        26: ["异地居住须填写居住城市、地址"],
        27: ["性别“女”与身份证号码不符"],
        28: ["发放银行“已撤并信用社”已停用"],
    }
    assert batch.problems[0]["name"] == "赵国庆"
    assert batch.problems[0]["id_number"] == mask_resident_id(wrong_check)
    # The dry run wrote nothing to the registry, not even the employer named in every row.
    assert registry_counts() == before
    assert not Employer.objects.filter(name="示范县机械厂").exists()


def test_rows_outside_the_uploaders_scope_are_refused(county, banks):
    township_clerk = StaffFactory.create(username="clerk_a", role="bureau_clerk", org_unit=county.township_a)
    rows = [good_row(), good_row(**{"乡镇(街道)": "梅林镇", "社区(村居)": "梅林村"})]

    batch = checked(rows, township_clerk)

    assert (batch.good_rows, batch.bad_rows) == (1, 1)
    assert reasons_by_row(batch) == {3: ["“梅林镇梅林村”不在您的管辖范围内"]}


def test_a_value_repeated_across_rows_and_columns_is_judged_in_each_row_by_its_column_and_cell(county, banks):
    # The check keeps what a repeated text gives (a date, a month, an amount, a community, a bank): kept per
    # column kind and only for text cells, so the same text is still judged by its column, its cell's type and
    # the rest of its row.
    rows = [
        good_row(),  # 2: 退休时间 2018-03-31, 起始月份 2026-01, 月养老金 2650.00
        good_row(起始月份="2018-03-31"),  # 3: a good date, not a month
        good_row(退休时间="2026-01"),  # 4: a good month, not a date
        good_row(退休时间="2026-02-15"),  # 5: 2026-01 is a month, but not after this retirement
        good_row(起始月份=datetime.date(2026, 1, 15)),  # 6: a date cell counts as its month
        good_row(起始月份="2026-01-15"),  # 7: the same day as text is not a month
        good_row(**{"社区(村居)": "梅林村"}),  # 8
        good_row(**{"乡镇(街道)": "梅林镇", "社区(村居)": "梅林村"}),  # 9: the same community, its township
        good_row(**{"社区(村居)": "梅林村"}),  # 10: refused again
        good_row(发放银行="OLD"),  # 11
        good_row(发放银行="OLD"),  # 12
        good_row(月养老金="2650.125"),  # 13
        good_row(月养老金=2650.125),  # 14: the same amount as a number cell
        good_row(月养老金=2650.1),  # 15: a number cell, good
        good_row(月养老金="2650.00"),  # 16: the text of row 2 again
    ]

    batch = checked(rows, county.clerk)

    bad_month = "起始月份“%s”不是有效月份,应写作 2026-01 或 202601"
    assert reasons_by_row(batch) == {
        3: [bad_month % "2018-03-31"],
        4: ["退休时间“2026-01”不是有效日期,应写作 2018-03-31、2018/3/31 或 20180331"],
        5: ["起始月份 2026-01 早于退休次月"],
        7: [bad_month % "2026-01-15"],
        8: ["社区(村居)“梅林村”不属于“城关镇”,而属于“梅林镇”"],
        10: ["社区(村居)“梅林村”不属于“城关镇”,而属于“梅林镇”"],
        11: ["发放银行“已撤并信用社”已停用"],
        12: ["发放银行“已撤并信用社”已停用"],
        13: ["月养老金“2650.125”超过两位小数"],
        14: ["月养老金“2650.125”超过两位小数"],
    }
    good = {
        row.row_number: (row.start_month, row.amount, row.community_id)
        for row in ImportStagedRow.objects.filter(batch=batch, reasons__isnull=True)
    }
    january, a1, b1 = PensionMonth(2026, 1), county.community_a1.pk, county.community_b1.pk
    assert good == {
        2: (january, Decimal("2650.00"), a1),
        6: (january, Decimal("2650.00"), a1),
        9: (january, Decimal("2650.00"), b1),
        15: (january, Decimal("2650.10"), a1),
        16: (january, Decimal("2650.00"), a1),
    }


def test_the_preview_keeps_the_first_problems_and_the_file_has_them_all(county, banks, settings):
    settings.IMPORT_PREVIEW_PROBLEMS = 2
    rows = [
        good_row(月养老金="x", 身份证号码="360721195803141234" if n == 0 else make_id_number())
        for n in range(3)
    ]
    rows.append(good_row(姓名="=HYPERLINK(1)", 银行账号="1"))

    batch = checked(rows, county.clerk, name="a.csv", data=csv_text(rows).encode())

    assert [problem["row"] for problem in batch.problems] == [2, 3]
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(batch.rejected_file.read())).get_sheet_by_index(0)
    content = sheet.to_python()
    assert content[0] == [*HEADERS, "错误原因"]
    assert [line[0] for line in content[1:]] == ["赵国庆", "赵国庆", "赵国庆", "=HYPERLINK(1)"]
    # The ID as given (the wrong check character kept, for the clerk to correct), the reasons last.
    assert content[1][1] == "360721195803141234"
    assert content[1][-1].startswith("身份证号码校验位错误") and content[1][-1].endswith(
        "月养老金“x”不是数字"
    )
    assert content[4][HEADERS.index("银行账号")] == "1"
    assert content[4][-1] == "姓名“=HYPERLINK(1)”含有数字、符号或空白;银行账号“1”应为8至32位数字"


def test_confirm_imports_exactly_the_good_rows_with_rate_account_and_search_keys(county, banks):
    remote = good_row(
        姓名="曾秀兰",
        身份证号码=make_id_number(datetime.date(1960, 5, 2), male=False),
        居住类型="异地",
        异地居住省份="广东省",
        异地居住城市="深圳市",
        异地居住地址="宝安区人民路1号",
        原单位="示范县新纺织厂",
        月养老金=3120.5,
        起始月份="202507",
        发放银行="CCB",
        户名="曾秀兰本人",
        待遇证号="360721201500012",
        状态="暂停",
        退休时间="2015/5/31",
        参加工作时间="19780301",
    )
    # Born 1949-10-01: the personas are born 1958-03-14 with a drawn sequence, which could be this one's.
    local = good_row(身份证号码="360721491001123")
    bad = good_row(月养老金="0")
    batch = checked([remote, bad, local], county.clerk)
    assert (batch.good_rows, batch.bad_rows) == (2, 1)

    import_batch_confirm(batch=batch, by=county.clerk)
    batch.refresh_from_db()
    assert (batch.status, batch.confirmed_by) == (Status.IMPORTING, county.clerk)
    batch = import_batch_run(batch_id=batch.pk)
    import_batch_index_names(batch_id=batch.pk)

    assert (batch.status, batch.imported_rows, batch.progress) == (Status.IMPORTED, 2, 100)
    assert batch.finished_at is not None
    zeng = Retiree.objects.get(name="曾秀兰")
    assert (zeng.sex, zeng.birth_date, zeng.community) == (
        "F",
        datetime.date(1960, 5, 2),
        county.community_a1,
    )
    assert (zeng.residence, zeng.remote_province, zeng.remote_city, zeng.remote_address) == (
        "remote",
        "广东省",
        "深圳市",
        "宝安区人民路1号",
    )
    assert (zeng.employer.name, zeng.work_start_date, zeng.retirement_date) == (
        "示范县新纺织厂",
        datetime.date(1978, 3, 1),
        datetime.date(2015, 5, 31),
    )
    assert (zeng.certificate_number, zeng.status, zeng.regular_payment_from) == (
        "360721201500012",
        "suspended",
        None,
    )
    assert list(zeng.rates.values_list("amount", "effective_month", "reason", "created_by")) == [
        (Decimal("3120.50"), PensionMonth(2025, 7), "initial", county.clerk.pk)
    ]
    assert list(zeng.bank_accounts.values_list("bank__code", "holder_name", "is_current", "valid_from")) == [
        ("CCB", "曾秀兰本人", True, datetime.date(2025, 7, 1))
    ]
    assert list(zeng.status_changes.values_list("from_status", "to_status", "actor")) == [
        ("active", "suspended", county.clerk.pk)
    ]
    zhao = Retiree.objects.get(id_number="36072119491001123" + check_character("36072119491001123"))
    assert (zhao.id_number_original, zhao.contribution_months, zhao.status) == (
        "360721491001123",
        498,
        "active",
    )
    assert zhao.bank_accounts.get().account_number == local["银行账号"]
    # Found by either reading of 曾 and by initials, with the same keys the rebuild service writes.
    assert set(
        RetireeSearchKey.objects.filter(key__in=["zengxiulan", "cengxiulan", "zxl"]).values_list(
            "retiree", flat=True
        )
    ) == {zeng.pk}
    keys = set(RetireeSearchKey.objects.values_list("retiree", "kind", "key"))
    retiree_search_keys_rebuild(retiree_ids=[zeng.pk, zhao.pk])
    assert set(RetireeSearchKey.objects.values_list("retiree", "kind", "key")) == keys
    assert {(kind, key) for _r, kind, key in keys if _r == zeng.pk} == set(search_keys_for("曾秀兰"))
    # The audit trail has the inserts, in the import's context.
    event = zeng.events.get()
    assert (event.pgh_label, event.pgh_context.metadata["source"]) == ("insert", "import")
    assert event.pgh_context.metadata["import_batch"] == batch.pk


def test_a_failure_mid_write_leaves_nothing_and_fails_the_batch(county, banks, monkeypatch):
    batch = checked([good_row(), good_row(原单位="示范县新化工厂")], county.clerk)
    import_batch_confirm(batch=batch, by=county.clerk)
    before = registry_counts()

    def broken(**arguments):
        move_staged(**arguments)
        raise RuntimeError("disk full")

    # Every table written, then the failure before the commit.
    monkeypatch.setattr(imports_service, "move_staged", broken)
    batch = import_batch_run(batch_id=batch.pk)

    assert (batch.status, batch.imported_rows) == (Status.FAILED, 0)
    assert batch.error == "导入时出错,本批未写入任何数据:disk full"
    assert registry_counts() == before
    assert not Employer.objects.filter(name="示范县新化工厂").exists()
    with pytest.raises(ImportBatchError, match="校验完成后才能确认导入"):
        import_batch_confirm(batch=batch, by=county.clerk)


def test_confirming_twice_imports_once(county, banks):
    batch = checked([good_row(), good_row()], county.clerk)
    import_batch_confirm(batch=batch, by=county.clerk)

    with pytest.raises(ImportBatchError) as refused:
        import_batch_confirm(batch=batch, by=county.admin)
    assert refused.value.message == "该批次已确认导入,不能重复确认。"

    import_batch_run(batch_id=batch.pk)
    again = import_batch_run(batch_id=batch.pk)  # a redelivered task
    assert (again.status, again.imported_rows, again.confirmed_by) == (Status.IMPORTED, 2, county.clerk)
    assert Retiree.objects.count() == 3 + 2
    with pytest.raises(ImportBatchError, match="不能重复确认"):
        import_batch_confirm(batch=again, by=county.clerk)


def test_a_row_registered_after_the_dry_run_is_skipped_and_reported(county, banks):
    first, second = good_row(), good_row(姓名="孙建华")
    batch = checked([first, second], county.clerk)
    assert batch.good_rows == 2
    import_batch_confirm(batch=batch, by=county.clerk)
    Retiree.objects.filter(pk=county.retiree_b1.pk).update(id_number=first["身份证号码"])

    batch = import_batch_run(batch_id=batch.pk)

    assert (batch.status, batch.good_rows, batch.bad_rows, batch.imported_rows) == (Status.IMPORTED, 1, 1, 1)
    assert reasons_by_row(batch) == {2: [f"身份证号码已登记:王德胜({mask_resident_id(first['身份证号码'])})"]}
    assert Retiree.objects.filter(name="孙建华").count() == 1
    assert batch.rejected_file.name.endswith(".xlsx")


def test_township_staff_may_not_upload_or_confirm(county, banks):
    with pytest.raises(PermissionDenied):
        import_batch_upload(file=upload("a.csv", csv_text([good_row()]).encode()), by=county.officer_a)
    batch = checked([good_row()], county.clerk)

    with pytest.raises(PermissionDenied):
        import_batch_confirm(batch=batch, by=county.officer_a)
    batch.refresh_from_db()
    assert (batch.status, batch.confirmed_by) == (Status.CHECKED, None)


def test_the_upload_refuses_a_bad_file_at_once_and_keeps_nothing(county, banks, settings):
    settings.IMPORT_MAX_UPLOAD_MB = 0
    with pytest.raises(ImportBatchError, match="文件超过 0 MB"):
        import_batch_upload(file=upload("a.csv", b"x"), by=county.clerk)
    settings.IMPORT_MAX_UPLOAD_MB = 30
    with pytest.raises(ImportBatchError, match="表头缺少必需的列:姓名"):
        import_batch_upload(
            file=upload("a.csv", csv_text([good_row()], HEADERS[1:]).encode()), by=county.clerk
        )
    with pytest.raises(ImportBatchError, match="文件是空的"):
        import_batch_upload(file=upload("a.xlsx", b""), by=county.clerk)
    assert not ImportBatch.objects.exists()


def test_a_csv_in_gbk_goes_through_the_whole_dry_run(county, banks):
    rows = [good_row(姓名="单立新"), good_row(姓名="解红梅", 月养老金="-1")]

    batch = checked(rows, county.clerk, name="旧系统导出.csv", data=csv_text(rows).encode("gbk"))

    assert (batch.status, batch.total_rows, batch.good_rows, batch.bad_rows) == (Status.CHECKED, 2, 1, 1)
    assert batch.problems[0]["name"] == "解红梅"


def test_the_check_of_a_batch_runs_once(county, banks):
    batch = checked([good_row()], county.clerk)
    ImportBatch.objects.filter(pk=batch.pk).update(good_rows=7)

    again = import_batch_check(batch_id=batch.pk)

    assert (again.status, again.good_rows) == (Status.CHECKED, 7)
