"""Bank files: one per bank and plan, written with the bank's profile, totals equal to the plan's bank totals;
an unencodable name stops the whole export; downloads are recorded."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from openpyxl import load_workbook

from pensions.bankfiles import SHIPPED_PROFILES, BankFileProfile, parse_return_file, payment_reference
from pensions.errors import PlanError
from pensions.models import BankFile, BankFileDownload, BankFileProfileSetting, PayoutLine, PayoutPlan
from pensions.services import (
    UnencodableNamesError,
    bank_file_download,
    bank_file_profile_for,
    bank_file_profile_set,
    bank_files_export,
)
from pensions.services.bank_files import _context, _county_code, payment_lines
from pensions.services.payment_sources import PlanSource
from registry.models import Bank

from .bankfiles.reference_text_renderer import render_text_bank_file
from .payout_flow import (
    BANK_TOTALS,
    T_EXPORT,
    approved_plan,
    bank_answer,
    enrol_month,
    exported_plan,
    fund_all,
    set_profiles,
)

S = PayoutPlan.Status


@pytest.fixture
def funded(county, enrol, banks) -> PayoutPlan:
    enrol_month(county, enrol)
    set_profiles(banks)
    plan = approved_plan(county)
    fund_all(plan, banks, county.reviewer)
    return plan


def export(plan, by):
    with time_machine.travel(T_EXPORT, tick=False):
        return bank_files_export(plan=plan, by=by)


@pytest.mark.django_db
def test_export_writes_one_file_per_bank_and_moves_the_plan(county, funded, banks):
    files = export(funded, county.clerk)

    by_bank = {file.bank_id: file for file in files}
    assert set(by_bank) == {bank.pk for bank in banks.values()}
    psbc, rcc, ccb = by_bank[banks["psbc"].pk], by_bank[banks["rcc"].pk], by_bank[banks["ccb"].pk]
    assert (psbc.name, psbc.profile_code, psbc.line_count, psbc.total) == (
        "PSBC_360721_202611_001.txt",
        "psbc",
        3,
        Decimal("7660.65"),
    )
    assert (rcc.name, rcc.profile_code, rcc.line_count, rcc.total) == (
        "EBANK_360721_202611_001.txt",
        "ebank",
        1,
        Decimal("2800.00"),
    )
    assert (ccb.name, ccb.profile_code, ccb.line_count, ccb.total) == (
        "CCB_360721_202611_001.xlsx",
        "ccb",
        2,
        Decimal("5784.00"),
    )
    for file in BankFile.objects.all():
        assert file.sha256 == hashlib.sha256(bytes(file.content)).hexdigest()
        assert (file.created_by, file.created_at) == (county.clerk, T_EXPORT)
    funded.refresh_from_db()
    assert funded.status == S.EXPORTED
    last = funded.transitions.order_by("id").last()
    assert (last.from_status, last.to_status, last.by, last.reason) == (
        "funded",
        "exported",
        county.clerk,
        "生成 3 个银行文件,合计 ¥16,244.65",
    )


@pytest.mark.django_db
def test_the_psbc_file_carries_the_lines_and_the_header_total(county, funded, banks):
    export(funded, county.clerk)
    content = bytes(BankFile.objects.get(bank=banks["psbc"]).content)

    records = content.split(b"\r\n")
    assert records[-1] == b""  # CRLF after the last line too
    header = records[0].decode("gbk")
    assert header.startswith("H20261113" + "0000000003" + "000000000000766065" + f"P{funded.pk}")
    lines = PayoutLine.objects.filter(plan=funded, bank=banks["psbc"], is_withheld=False).order_by("id")
    for record, line in zip(records[1:4], lines, strict=True):
        assert len(record) == 103  # bytes of GBK, not characters
        text = record.decode("gbk")
        assert text.rstrip().endswith(payment_reference(plan_id=funded.pk, line_id=line.pk))
        assert str(int(line.net * 100)).zfill(15) in text
    # The withheld retiree is in the plan but not in the file.
    assert "赵停发".encode("gbk") not in content


@pytest.mark.django_db
def test_exporting_twice_returns_the_same_files(county, funded, banks):
    first = export(funded, county.clerk)
    stored = {row.pk: (row.sha256, bytes(row.content)) for row in BankFile.objects.all()}

    again = bank_files_export(plan=funded, by=county.admin)

    assert sorted(file.pk for file in again) == sorted(file.pk for file in first)
    assert BankFile.objects.count() == 3
    assert {row.pk: (row.sha256, bytes(row.content)) for row in BankFile.objects.all()} == stored
    assert funded.transitions.filter(to_status="exported").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "profiles",
    [
        {"psbc": "psbc", "rcc": "ebank", "ccb": "ccb"},
        # None: no setting, and RCC has no default in BANK_FILE_DEFAULT_PROFILES: generic_xlsx
        {"psbc": "ccb_csv", "rcc": None, "ccb": "generic_csv"},
        {"psbc": "generic_xlsx", "rcc": "psbc", "ccb": "ebank"},
    ],
)
def test_each_file_total_equals_the_plan_bank_total_for_every_profile(county, enrol, banks, profiles):
    enrol_month(county, enrol)
    set_profiles(banks, profiles)
    plan = approved_plan(county)
    fund_all(plan, banks, county.reviewer)

    export(plan, county.clerk)

    for key, bank in banks.items():
        file = BankFile.objects.get(plan=plan, bank=bank)
        assert file.profile_code == (profiles[key] or "generic_xlsx")
        assert (file.line_count, file.total) == ({"psbc": 3, "rcc": 1, "ccb": 2}[key], BANK_TOTALS[key])
        # Read back with its own profile, the file says the same count and total (the header/trailer or the
        # control-total row): an all-paid answer built from the file's lines parses to these figures.
        profile = BankFileProfile.from_dict(file.profile)
        parsed = parse_return_file(profile, bank_answer(file))
        assert (parsed.declared_count, parsed.declared_total) == (file.line_count, BANK_TOTALS[key])
        assert sum(line.amount for line in parsed.lines) == BANK_TOTALS[key]


@pytest.mark.django_db
def test_the_xlsx_keeps_ids_as_text_and_ends_with_the_control_total(county, funded, banks):
    export(funded, county.clerk)
    file = BankFile.objects.get(bank=banks["ccb"])

    rows = list(load_workbook(io.BytesIO(bytes(file.content)), read_only=True).active.values)
    assert rows[0] == ("序号", "账号", "户名", "金额(元)", "身份证号码", "备注")
    assert [row[2] for row in rows[1:3]] == ["单立新", "解红梅"]
    assert all(isinstance(row[4], str) and len(row[4]) == 18 for row in rows[1:3])
    assert rows[-1][:3] == ("合计", 2, 5784)


@pytest.mark.django_db
def test_an_unencodable_name_stops_the_whole_export_with_the_list(county, enrol, banks):
    enrol_month(county, enrol, names={1: "王䶮", 4: "𠮷祥"})
    set_profiles(banks)
    plan = approved_plan(county)
    fund_all(plan, banks, county.reviewer)

    with pytest.raises(UnencodableNamesError) as refused:
        export(plan, county.clerk)

    assert isinstance(refused.value, PlanError)
    listed = [(bank.code, line.name, line.characters) for bank, line in refused.value.lines]
    assert listed == [("PSBC", "王䶮", "䶮")]  # the xlsx (CCB) holds any character: only GBK files refuse
    assert "有 1 人的姓名含有银行文件编码无法表示的字符,所有银行文件都没有生成" in refused.value.message
    assert "王䶮" in refused.value.message
    assert "U+4DAE" in refused.value.message
    assert BankFile.objects.count() == 0
    plan.refresh_from_db()
    assert plan.status == S.FUNDED


@pytest.mark.django_db
def test_unencodable_names_of_several_banks_are_all_listed(county, enrol, banks):
    enrol_month(county, enrol, names={1: "王䶮", 3: "曾㛃"})
    set_profiles(banks)
    plan = approved_plan(county)
    fund_all(plan, banks, county.reviewer)

    with pytest.raises(UnencodableNamesError) as refused:
        export(plan, county.clerk)

    assert sorted((bank.code, line.name) for bank, line in refused.value.lines) == [
        ("PSBC", "王䶮"),
        ("RCC", "曾㛃"),
    ]
    assert BankFile.objects.count() == 0


@pytest.mark.django_db
def test_a_gb18030_profile_holds_the_rare_character(county, enrol, banks):
    enrol_month(county, enrol, names={1: "王䶮"})
    set_profiles(banks)
    gb18030 = bank_file_profile_for(bank=banks["psbc"]).to_dict() | {
        "code": "psbc18030",
        "encoding": "gb18030",
    }
    bank_file_profile_set(bank=banks["psbc"], by=county.admin, profile=gb18030)
    plan = approved_plan(county)
    fund_all(plan, banks, county.reviewer)

    export(plan, county.clerk)

    file = BankFile.objects.get(bank=banks["psbc"])
    assert file.profile_code == "psbc18030"
    assert "王䶮".encode("gb18030") in bytes(file.content)


@pytest.mark.django_db
def test_only_a_funded_plan_is_exported(county, enrol, banks):
    enrol_month(county, enrol)
    plan = approved_plan(county)
    with pytest.raises(PlanError, match="拨付完成后才能生成银行文件"):
        export(plan, county.clerk)
    assert BankFile.objects.count() == 0


@pytest.mark.django_db
def test_export_needs_the_clerk_role(county, funded):
    with pytest.raises(PermissionDenied):
        export(funded, county.officer_a)
    with pytest.raises(PermissionDenied):
        export(funded, county.auditor)
    assert BankFile.objects.count() == 0


@pytest.mark.django_db
def test_a_download_is_recorded_and_returns_the_stored_bytes(county, funded, banks):
    export(funded, county.clerk)
    file = BankFile.objects.defer("content").get(bank=banks["rcc"])

    with time_machine.travel(T_EXPORT.replace(hour=11), tick=False):
        content = bank_file_download(bank_file=file, by=county.reviewer)
    bank_file_download(bank_file=file, by=county.clerk)

    assert hashlib.sha256(content).hexdigest() == file.sha256
    assert content.endswith(b"\r\n")
    assert list(BankFileDownload.objects.order_by("id").values_list("bank_file", "by")) == [
        (file.pk, county.reviewer.pk),
        (file.pk, county.clerk.pk),
    ]
    assert BankFileDownload.objects.order_by("id").first().at == T_EXPORT.replace(hour=11)


@pytest.mark.django_db
def test_a_download_by_someone_without_the_role_is_refused_and_not_recorded(county, funded, banks):
    export(funded, county.clerk)
    file = BankFile.objects.get(bank=banks["rcc"])
    with pytest.raises(PermissionDenied):
        bank_file_download(bank_file=file, by=county.officer_a)
    assert BankFileDownload.objects.count() == 0


@pytest.mark.django_db
def test_profiles_default_and_custom(county, banks):
    # Without a setting, the county's default for the bank code (settings.BANK_FILE_DEFAULT_PROFILES).
    assert bank_file_profile_for(bank=banks["psbc"]).code == "psbc"
    with pytest.raises(PlanError) as both:
        bank_file_profile_set(bank=banks["psbc"], by=county.admin, profile_code="psbc", profile={"code": "x"})
    assert both.value.field == "profile_code"
    with pytest.raises(PlanError) as bad:
        bank_file_profile_set(bank=banks["psbc"], by=county.admin, profile={"code": "x"})
    assert bad.value.field == "profile"
    with pytest.raises(PermissionDenied):
        bank_file_profile_set(bank=banks["psbc"], by=county.clerk, profile_code="psbc")
    assert BankFileProfileSetting.objects.count() == 0

    bank_file_profile_set(bank=banks["psbc"], by=county.admin, profile_code="ccb_csv")
    assert bank_file_profile_for(bank=banks["psbc"]).code == "ccb_csv"


@pytest.mark.django_db
def test_a_bank_without_a_setting_uses_the_county_default_for_its_code(county, banks, settings):
    settings.BANK_FILE_DEFAULT_PROFILES = {"PSBC": "psbc", "RCB": "ebank"}
    rcb = Bank.objects.create(code="RCB", name="示范县农村商业银行", channel=Bank.Channel.EBANK_DIRECT)

    assert bank_file_profile_for(bank=rcb).code == "ebank"
    assert bank_file_profile_for(bank=banks["psbc"]).code == "psbc"
    assert bank_file_profile_for(bank=banks["ccb"]).code == "generic_xlsx"  # no default for its code
    assert BankFileProfileSetting.objects.count() == 0


@pytest.mark.django_db
def test_exported_plan_helper(county, enrol, banks):
    enrol_month(county, enrol)
    set_profiles(banks)
    plan, files = exported_plan(county, banks)
    assert {key: file.total for key, file in files.items()} == BANK_TOTALS


TEXT_PROFILE_CODES = sorted(code for code, profile in SHIPPED_PROFILES.items() if profile.layout != "xlsx")


@pytest.mark.django_db
@pytest.mark.parametrize("code", [*TEXT_PROFILE_CODES, "gb18030"])
def test_every_text_profile_is_the_python_writers_bytes_on_the_same_plan(county, enrol, banks, code):
    # Fen amounts (3120.55, 3333.33), a 䶮 (GB18030 only: GBK refuses it), a middle dot, a withheld line.
    names = {1: "王䶮", 3: "阿不都·热合曼"} if code == "gb18030" else {3: "阿不都·热合曼"}
    enrol_month(county, enrol, names=names)
    if code == "gb18030":
        profile = SHIPPED_PROFILES["psbc"].to_dict() | {"code": "psbc18030", "encoding": "gb18030"}
        for bank in banks.values():
            bank_file_profile_set(bank=bank, by=county.admin, profile=profile)
    else:
        set_profiles(banks, dict.fromkeys(banks, code))
    plan = approved_plan(county)
    fund_all(plan, banks, county.reviewer)

    files = export(plan, county.clerk)

    sent = payment_lines(plan=plan)
    with time_machine.travel(T_EXPORT, tick=False):
        county_code = _county_code()
        expected = {
            bank.pk: render_text_bank_file(
                bank_file_profile_for(bank=bank),
                sent[bank.pk],
                context=_context(PlanSource(plan), bank, county_code),
            )
            for bank in banks.values()
        }
    assert len(files) == 3
    for file in BankFile.objects.filter(plan=plan):
        oracle = expected[file.bank_id]
        assert bytes(file.content) == oracle.content
        assert (file.name, file.sha256, file.line_count, file.total) == (
            oracle.name,
            oracle.sha256,
            oracle.count,
            oracle.total,
        )
    if code == "gb18030":
        assert "王䶮".encode("gb18030") in bytes(BankFile.objects.get(plan=plan, bank=banks["psbc"]).content)
    plan.refresh_from_db()
    assert plan.status == S.EXPORTED


@pytest.mark.django_db
def test_a_name_gbk_cannot_hold_is_named_with_its_line_in_a_delimited_file(county, enrol, banks):
    enrol_month(county, enrol, names={3: "曾㛃"})
    set_profiles(banks, dict.fromkeys(banks, "ccb_csv"))
    plan = approved_plan(county)
    fund_all(plan, banks, county.reviewer)

    with pytest.raises(UnencodableNamesError) as refused:
        export(plan, county.clerk)

    line = PayoutLine.objects.get(plan=plan, name="曾㛃")
    reference = payment_reference(plan_id=plan.pk, line_id=line.pk)
    assert [
        (bank.code, item.number, item.reference, item.characters) for bank, item in refused.value.lines
    ] == [("RCC", 1, reference, "㛃")]
    assert refused.value.message == (
        "有 1 人的姓名含有银行文件编码无法表示的字符,所有银行文件都没有生成。"
        f"请人工处理这些人员(如改用银行认可的写法或单独发放)后再生成:农村信用社 {reference} 曾㛃:㛃(U+36C3)"
    )
    assert BankFile.objects.count() == 0
    plan.refresh_from_db()
    assert plan.status == S.FUNDED


@pytest.mark.django_db
def test_a_line_the_profile_cannot_write_stops_every_file(county, enrol, banks):
    # Eleven characters are 22 bytes of GBK: too wide for PSBC's 20-byte name, which is never cut.
    enrol_month(county, enrol, names={0: "王小明明明明明明明明明"})
    set_profiles(banks)
    plan = approved_plan(county)
    fund_all(plan, banks, county.reviewer)

    with pytest.raises(PlanError) as refused:
        export(plan, county.clerk)

    line = PayoutLine.objects.get(plan=plan, name="王小明明明明明明明明明")
    reference = payment_reference(plan_id=plan.pk, line_id=line.pk)
    assert refused.value.message == (
        "银行文件没有生成:中国邮政储蓄银行:有 1 条记录无法按银行文件格式写出,银行文件没有生成:"
        f"第 1 条 {reference} 王小明明明明明明明明明:"
        "户名“王小明明明明明明明明明”占 22 字节,超过字段宽度 20 字节。"
    )
    assert BankFile.objects.count() == 0
    plan.refresh_from_db()
    assert plan.status == S.FUNDED
