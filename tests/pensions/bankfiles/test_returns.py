"""Return files (回盘): read per profile, checked against their own totals, then against what was sent."""

from __future__ import annotations

import dataclasses
import io
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pensions.bankfiles import (
    SHIPPED_PROFILES,
    ReturnFileError,
    ReturnMismatchError,
    match_return,
    parse_return_file,
    render_return_file,
)
from pensions.bankfiles.profiles import CCB, EBANK, GENERIC_CSV, GENERIC_XLSX, PSBC
from tests.pensions.bankfiles.helpers import CONTEXT, LI, ZHANG, line
from tests.pensions.bankfiles.reference_text_renderer import render_bank_file

SENT = [ZHANG, LI, line(3, name="王芳", amount="999.99")]


def test_a_psbc_return_with_a_failure_line_and_its_reason():
    returned = render_return_file(PSBC, SENT, context=CONTEXT, failures={"P12L2": ("E104", "账户已销户")})

    detail = returned.content.split(b"\r\n")[2]
    assert len(detail) == PSBC.record_width + 4 + 60
    assert detail[103:107] == b"E104"
    parsed = parse_return_file(PSBC, returned.content)
    result = match_return(SENT, parsed)

    assert [item.reference for item in result.paid] == ["P12L1", "P12L3"]
    [failed] = result.failed
    assert (failed.reference, failed.status, failed.reason, failed.amount) == (
        "P12L2",
        "E104",
        "账户已销户",
        Decimal("1800.00"),
    )
    assert result.paid_total == Decimal("3345.59")
    assert result.failed_total == Decimal("1800.00")
    assert returned.name == "PSBC_360721_202604_001_RET.txt"


def test_reading_the_same_file_twice_gives_the_same_answer():
    returned = render_return_file(EBANK, SENT, context=CONTEXT, failures={"P12L3": ("E201", "户名不符")})

    first = match_return(SENT, parse_return_file(EBANK, returned.content))
    second = match_return(SENT, parse_return_file(EBANK, returned.content))

    assert first == second


def ebank_return(*lines: str) -> bytes:
    return "\r\n".join(lines).encode("gbk") + b"\r\n"


def test_totals_that_differ_from_what_was_sent_are_refused():
    content = ebank_return(
        "1|6217990000000001|张建国|2345.60|360721195001011234|P12L1|0000|",
        "T|1|2345.60|20260410|P12",
    )
    parsed = parse_return_file(EBANK, content)

    with pytest.raises(ReturnMismatchError) as refused:
        match_return(SENT, parsed)

    assert "回盘汇总 1 笔 ¥2,345.60,与发出的 3 笔 ¥5,145.59 不一致" in refused.value.message
    assert "回盘缺少 2 条" in refused.value.message


def test_an_unknown_reference_is_refused():
    content = ebank_return(
        "1|6217990000000001|张建国|2345.60|360721195001011234|P99L1|0000|",
        "T|1|2345.60|20260410|P12",
    )

    with pytest.raises(ReturnMismatchError) as refused:
        match_return([ZHANG], parse_return_file(EBANK, content))

    assert "第 1 行:流水号 P99L1 不是这个文件发出的" in refused.value.problems[0]


def test_a_changed_amount_is_refused_even_when_the_file_adds_up():
    content = ebank_return(
        "1|6217990000000001|张建国|2345.00|360721195001011234|P12L1|0000|",
        "T|1|2345.00|20260410|P12",
    )

    with pytest.raises(ReturnMismatchError) as refused:
        match_return([ZHANG], parse_return_file(EBANK, content))

    assert any("金额 2345.00 与发出的 2345.60 不同" in problem for problem in refused.value.problems)


def test_a_changed_account_is_refused():
    content = ebank_return(
        "1|6217990000000009|张建国|2345.60|360721195001011234|P12L1|0000|",
        "T|1|2345.60|20260410|P12",
    )

    with pytest.raises(ReturnMismatchError, match="账号与发出的不同"):
        match_return([ZHANG], parse_return_file(EBANK, content))


def test_a_file_whose_trailer_does_not_add_up_to_its_lines_is_refused():
    content = ebank_return(
        "1|6217990000000001|张建国|2345.60|360721195001011234|P12L1|0000|",
        "T|1|2345.61|20260410|P12",
    )

    with pytest.raises(ReturnFileError, match="与其明细"):
        parse_return_file(EBANK, content)


def test_malformed_lines_are_named_by_their_line_number():
    content = ebank_return(
        "1|6217990000000001|张建国|2345.60|360721195001011234|P12L1|0000|",
        "2|6217990000000002|李秀兰|1800.0x|36072119520202123X|P12L2|0000|",
        "3|6217990000000003|王芳|999.99|P12L3|0000|",
        "T|3|5145.59|20260410|P12",
    )

    with pytest.raises(ReturnFileError) as refused:
        parse_return_file(EBANK, content)

    assert [problem.number for problem in refused.value.problems] == [2, 3]
    assert "第 2 行:金额“1800.0x”格式不对" in refused.value.message
    assert "第 3 行:有 7 个字段,应为 8 个" in refused.value.message


def test_a_fixed_width_line_of_the_wrong_length_or_encoding_is_named():
    returned = render_return_file(PSBC, [ZHANG, LI], context=CONTEXT).content
    header, first, second, end = returned.split(b"\r\n")
    broken = b"\r\n".join([header, first[:-1], second[:30] + b"\xff\xff" + second[32:], end])

    with pytest.raises(ReturnFileError) as refused:
        parse_return_file(PSBC, broken)

    assert [problem.number for problem in refused.value.problems] == [2, 3]
    assert "长度为 166 字节,应为 167 字节" in refused.value.problems[0].message
    assert "不是有效的 GBK 文字" in refused.value.problems[1].message


def test_a_wrong_record_mark_is_refused():
    content = ebank_return(
        "1|6217990000000001|张建国|2345.60|360721195001011234|P12L1|0000|", "X|1|2345.60|20260410|P12"
    )

    with pytest.raises(ReturnFileError, match="应以“T”标记"):
        parse_return_file(EBANK, content)


def test_an_xlsx_return_with_a_failure_reads_back():
    returned = render_return_file(CCB, SENT, context=CONTEXT, failures={"P12L1": ("失败", "账户冻结")})

    result = match_return(SENT, parse_return_file(CCB, returned.content))

    assert [(item.reference, item.reason) for item in result.failed] == [("P12L1", "账户冻结")]
    assert len(result.paid) == 2


def test_an_xlsx_return_with_an_id_or_account_stored_as_a_number_is_refused():
    returned = render_return_file(GENERIC_XLSX, [ZHANG], context=CONTEXT)
    workbook = openpyxl.load_workbook(io.BytesIO(returned.content))
    workbook.active.cell(row=2, column=5).value = 6217990000000001  # what Excel does to a typed-in account
    target = io.BytesIO()
    workbook.save(target)

    with pytest.raises(ReturnFileError, match="数字单元格,可能已丢失位数"):
        parse_return_file(GENERIC_XLSX, target.getvalue())


def test_a_file_that_is_not_an_xlsx_is_refused():
    with pytest.raises(ReturnFileError, match="不是可读的 Excel"):
        parse_return_file(CCB, b"not a zip")


# A name alphabet every shipped encoding holds (GBK ⊂ GB18030 ⊂ Unicode), and names with the delimiters.
NAMES = st.text(
    alphabet="张王李赵刘陈杨黄吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤",
    min_size=2,
    max_size=4,
)  # noqa: E501
AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    profile_code=st.sampled_from(sorted(SHIPPED_PROFILES)),
    people=st.lists(st.tuples(NAMES, AMOUNTS), min_size=1, max_size=30),
)
def test_totals_equal_the_sum_and_an_all_success_return_round_trips(profile_code, people):
    profile = SHIPPED_PROFILES[profile_code]
    sent = [line(number, name=name, amount=str(amount)) for number, (name, amount) in enumerate(people, 1)]

    rendered = render_bank_file(profile, sent, context=CONTEXT)
    returned = render_return_file(profile, sent, context=CONTEXT)
    parsed = parse_return_file(profile, returned.content)
    result = match_return(sent, parsed)

    total = sum((item.amount for item in sent), Decimal("0.00"))
    assert rendered.total == parsed.declared_total == result.paid_total == total
    assert rendered.count == parsed.declared_count == len(sent)
    assert [item.reference for item in result.paid] == [item.reference for item in sent]
    assert [item.amount for item in parsed.lines] == [item.amount for item in sent]
    assert result.failed == ()


@settings(max_examples=30, deadline=None)
@given(people=st.lists(AMOUNTS, min_size=1, max_size=40))
def test_the_psbc_header_total_in_fen_is_the_sum_of_the_lines(people):
    sent = [line(number, amount=str(amount)) for number, amount in enumerate(people, 1)]

    content = render_bank_file(PSBC, sent, context=CONTEXT).content
    header, *details, end = content.split(b"\r\n")

    assert end == b""
    assert int(header[9:19]) == len(details) == len(sent)
    assert (
        int(header[19:37])
        == sum(int(detail[68:83]) for detail in details)
        == sum(int(a * 100) for a in people)
    )
    assert all(len(detail) == PSBC.record_width for detail in details)


def test_the_same_lines_render_to_the_same_bytes():
    assert render_bank_file(PSBC, SENT, context=CONTEXT) == render_bank_file(PSBC, SENT, context=CONTEXT)
    assert dataclasses.replace(PSBC) == PSBC


def test_a_csv_return_with_a_quoted_name_reads_back():
    sent = [line(1, name='张"三",四'), LI]
    returned = render_return_file(
        GENERIC_CSV, sent, context=CONTEXT, failures={"P12L1": ("失败", "户名不符,请核对")}
    )

    result = match_return(sent, parse_return_file(GENERIC_CSV, returned.content))

    [failed] = result.failed
    assert (failed.name, failed.reason) == ('张"三",四', "户名不符,请核对")
