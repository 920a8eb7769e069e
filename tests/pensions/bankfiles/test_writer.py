"""Bank files, byte for byte: widths in bytes of the encoding, totals equal to the lines, no silent '?'."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from decimal import Decimal

import openpyxl
import pytest

from pensions.bankfiles import (
    InvalidLinesError,
    UnencodableLines,
)
from pensions.bankfiles.profiles import CCB, CCB_CSV, EBANK, GENERIC_CSV, GENERIC_XLSX, PSBC, FieldSpec
from tests.pensions.bankfiles.helpers import CONTEXT, LI, ZHANG, line
from tests.pensions.bankfiles.reference_text_renderer import render_bank_file


def test_a_psbc_line_is_exactly_the_profiles_byte_width_with_a_chinese_name():
    rendered = render_bank_file(PSBC, [ZHANG], context=CONTEXT)

    header, detail, end = rendered.content.split(b"\r\n")
    assert end == b""
    assert len(detail) == PSBC.record_width == 103
    assert detail == (
        b"6217990000000001" + b" " * 14
        + "张建国".encode("gbk") + b" " * 14  # 3 characters = 6 bytes of the 20
        + b"360721195001011234"
        + b"000000000234560"  # 2345.60 yuan in fen, right-aligned, zero-padded
        + b"P12L1" + b" " * 15
    )  # fmt: skip
    assert header == b"H" + b"20260410" + b"0000000001" + b"000000000000234560" + b"P12" + b" " * 17


def test_header_count_and_total_equal_the_lines_in_fen():
    rendered = render_bank_file(PSBC, [ZHANG, LI], context=CONTEXT)

    header = rendered.content.split(b"\r\n")[0]
    assert header[9:19] == b"0000000002"
    assert header[19:37] == b"000000000000414560"
    assert rendered.count == 2
    assert rendered.total == Decimal("4145.60")


def test_the_ebank_trailer_carries_count_and_total_in_yuan_with_crlf_line_ends():
    rendered = render_bank_file(EBANK, [ZHANG, LI], context=CONTEXT)

    assert rendered.content == (
        "1|6217990000000001|张建国|2345.60|360721195001011234|P12L1\r\n"
        "2|6217990000000002|李秀兰|1800.00|36072119520202123X|P12L2\r\n"
        "T|2|4145.60|20260410|P12\r\n"
    ).encode("gbk")
    assert b"\n" not in rendered.content.replace(b"\r\n", b"")


def test_yuan_and_fen_of_the_same_amount():
    fen = render_bank_file(PSBC, [line(1, amount="0.05")], context=CONTEXT)
    yuan = render_bank_file(EBANK, [line(1, amount="0.05")], context=CONTEXT)

    assert b"000000000000005P12L1" in fen.content
    assert b"|0.05|" in yuan.content
    assert b"|50.00|" in render_bank_file(EBANK, [line(1, amount="50")], context=CONTEXT).content


def test_file_names_follow_the_pattern_and_the_checksum_is_of_the_content():
    rendered = render_bank_file(PSBC, [ZHANG], context=dataclasses.replace(CONTEXT, seq=2))

    assert rendered.name == "PSBC_360721_202604_002.txt"
    assert rendered.sha256 == hashlib.sha256(rendered.content).hexdigest()
    custom = dataclasses.replace(EBANK, file_name="{bank_code}-{date}-{batch}.dat")
    named = render_bank_file(custom, [ZHANG], context=dataclasses.replace(CONTEXT, bank_code="NSH"))
    assert named.name == "NSH-20260410-P12.dat"


def test_a_name_gbk_cannot_hold_stops_the_file_and_lists_the_line():
    rare = line(2, name="王䶮")

    with pytest.raises(UnencodableLines) as refused:
        render_bank_file(PSBC, [ZHANG, rare, line(3, name="吉𠮷")], context=CONTEXT)

    assert [(item.number, item.reference, item.name, item.characters) for item in refused.value.lines] == [
        (2, "P12L2", "王䶮", "䶮"),
        (3, "P12L3", "吉𠮷", "𠮷"),
    ]
    assert "P12L2" in refused.value.message and "U+4DAE" in refused.value.message
    with pytest.raises(UnencodableLines):
        render_bank_file(EBANK, [rare], context=CONTEXT)


def test_a_gb18030_profile_encodes_the_same_name_in_its_byte_width():
    gb18030 = dataclasses.replace(PSBC, code="psbc18030", encoding="gb18030")

    rendered = render_bank_file(gb18030, [line(1, name="王䶮"), line(2, name="吉𠮷")], context=CONTEXT)

    _header, first, second, _end = rendered.content.split(b"\r\n")
    assert len(first) == len(second) == 103
    assert first[30:50] == "王䶮".encode("gb18030") + b" " * 16
    assert second[30:50] == "吉𠮷".encode("gb18030") + b" " * 14  # 𠮷 takes 4 bytes in GB18030


def test_a_name_too_long_for_its_field_is_refused_unless_the_profile_allows_cutting_at_a_character():
    long_name = "欧阳" + "建" * 9  # 11 characters = 22 GBK bytes, field is 20

    with pytest.raises(InvalidLinesError) as refused:
        render_bank_file(PSBC, [line(1, name=long_name)], context=CONTEXT)
    assert "22 字节" in refused.value.problems[0].message

    odd = [FieldSpec("name", width=5, truncate=True) if spec.name == "name" else spec for spec in PSBC.fields]
    cutting = dataclasses.replace(PSBC, fields=tuple(odd))
    detail = render_bank_file(cutting, [line(1)], context=CONTEXT).content.split(b"\r\n")[1]
    assert detail[30:35] == "张建".encode("gbk") + b" "  # never half of 国
    assert len(detail) == cutting.record_width


def test_an_account_too_long_is_refused_never_truncated():
    with pytest.raises(InvalidLinesError) as refused:
        render_bank_file(PSBC, [line(1, account_number="6" * 31)], context=CONTEXT)

    [problem] = refused.value.problems
    assert (problem.number, problem.reference) == (1, "P12L1")
    assert "31 字节" in problem.message and "30 字节" in problem.message


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"amount": Decimal("12.345")}, "不是整分数"),
        ({"amount": Decimal("0.00")}, "不大于零"),
        ({"amount": Decimal("-5.00")}, "不大于零"),
        ({"account_number": "6217 9900"}, "只能由数字组成"),
        ({"name": "张\n三"}, "控制字符"),
        ({"name": "张|三"}, "分隔符"),
    ],
)
def test_doubtful_lines_are_refused_with_their_number(change, words):
    bad = dataclasses.replace(line(2), **change)

    with pytest.raises(InvalidLinesError) as refused:
        render_bank_file(EBANK, [ZHANG, bad], context=CONTEXT)

    assert [problem.number for problem in refused.value.problems] == [2]
    assert words in refused.value.message


def test_a_float_amount_is_refused():
    with pytest.raises(InvalidLinesError, match="Decimal"):
        render_bank_file(EBANK, [dataclasses.replace(ZHANG, amount=2345.6)], context=CONTEXT)


def test_a_repeated_reference_is_refused():
    with pytest.raises(InvalidLinesError, match="重复"):
        render_bank_file(EBANK, [ZHANG, dataclasses.replace(LI, reference=ZHANG.reference)], context=CONTEXT)


def test_the_generic_csv_has_a_bom_column_labels_and_csv_quoting():
    rendered = render_bank_file(GENERIC_CSV, [line(1, name='张"三",四')], context=CONTEXT)

    assert rendered.content.startswith(b"\xef\xbb\xbf")
    text = rendered.content[3:].decode("utf-8")
    labels, detail, trailer, end = text.split("\r\n")
    assert labels.startswith("序号,乡镇(街道),姓名,")
    assert detail == '1,城关镇,"张""三"",四",360721195001011234,6217990000000001,2345.60,P12L1'
    assert (trailer, end) == ("合计,1,2345.60", "")
    assert render_bank_file(GENERIC_CSV, [line(1, name="王䶮")], context=CONTEXT).count == 1


def test_the_ccb_csv_is_gbk():
    rendered = render_bank_file(CCB_CSV, [ZHANG], context=CONTEXT)

    assert rendered.name == "CCB_360721_202604_001.csv"
    assert "张建国".encode("gbk") in rendered.content
    assert rendered.content.endswith("合计,1,2345.60\r\n".encode("gbk"))


@pytest.mark.parametrize("profile", [CCB, GENERIC_XLSX])
def test_xlsx_reads_back_with_ids_and_accounts_as_text_and_a_control_total_row(profile):
    rendered = render_bank_file(profile, [ZHANG, LI], context=CONTEXT)

    sheet = openpyxl.load_workbook(io.BytesIO(rendered.content)).active
    rows = list(sheet.iter_rows())
    labels = [cell.value for cell in rows[0]]
    id_column = labels.index("身份证号码")
    first = rows[1]
    assert first[id_column].value == "360721195001011234"
    assert first[id_column].data_type == "s" and first[id_column].number_format == "@"
    amount = first[labels.index("金额(元)")].value
    assert Decimal(str(amount)) == Decimal("2345.60")
    assert [cell.value for cell in rows[-1]][:3] == ["合计", 2, pytest.approx(4145.60)]
    assert len(rows) == 4
    assert rendered.content_type.endswith("spreadsheetml.sheet")


def test_xlsx_text_that_looks_like_a_formula_stays_a_quoted_string():
    rendered = render_bank_file(GENERIC_XLSX, [line(1, name="=HYPERLINK(1)")], context=CONTEXT)

    sheet = openpyxl.load_workbook(io.BytesIO(rendered.content)).active
    name = sheet.cell(row=2, column=3)
    assert name.value == "=HYPERLINK(1)"
    assert name.data_type == "s"
    assert name.quotePrefix


@pytest.mark.parametrize("profile", [PSBC, dataclasses.replace(PSBC, code="psbc_yuan", unit="yuan")])
def test_the_fast_path_writes_the_same_bytes_as_the_checked_path(profile):
    from pensions.bankfiles.writer import _Encoder, _fast_fixed, _getter

    fast = [_fast_fixed(spec, profile) for spec in profile.fields]
    getters = [_getter(spec) for spec in profile.fields]
    for number, payment in enumerate([ZHANG, LI, line(3, name="欧阳秀", amount="0.01")], 1):
        checked, problems, bad = _Encoder(profile).record(profile.fields, payment, number, getters)
        assert (problems, bad) == ([], [])
        assert b"".join(field(payment, number) for field in fast) == checked
