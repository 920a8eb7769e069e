"""Profiles as stored JSON: every shipped profile round-trips, and a wrong one is refused in Chinese."""

from __future__ import annotations

import json

import pytest

from pensions.bankfiles import SHIPPED_PROFILES, BankFileProfile, ProfileError, shipped_profile
from pensions.bankfiles.profiles import PSBC


@pytest.mark.parametrize("code", sorted(SHIPPED_PROFILES))
def test_every_shipped_profile_round_trips_through_json(code):
    profile = shipped_profile(code)

    stored = json.loads(json.dumps(profile.to_dict(), ensure_ascii=False))

    assert BankFileProfile.from_dict(stored) == profile
    assert stored["schema"] == 1


def test_the_shipped_profiles_are_the_three_banks_and_the_generic_formats():
    assert sorted(SHIPPED_PROFILES) == ["ccb", "ccb_csv", "ebank", "generic_csv", "generic_xlsx", "psbc"]
    assert (PSBC.encoding, PSBC.layout, PSBC.unit, PSBC.line_ending) == ("gbk", "fixed", "fen", "crlf")
    assert {spec.name for spec in PSBC.header} >= {"count", "total"}


FIELDS = PSBC.to_dict()["fields"]
NO_CODES = {"status": {"name": "status", "width": 4}, "reason": {"name": "reason", "width": 9}}


def psbc(**changes):
    data = PSBC.to_dict()
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (psbc(encoding="big5"), "不支持的编码 big5"),
        (psbc(layout="json"), "不支持的文件版式"),
        (psbc(unit="jiao"), "金额单位"),
        (psbc(colour="red"), "不认识的设置:colour"),
        (psbc(header=[{"name": "count", "width": 10, "kind": "digits"}]), "总金额(total)"),
        (psbc(fields=[{"name": "name", "width": 20}]), "reference、account_number、amount"),
        (psbc(fields=[*FIELDS, {"name": "salary", "width": 3}]), "salary 不是可用的数据项"),
        (psbc(fields=[{**FIELDS[0], "width": None}, *FIELDS[1:]]), "宽度"),
        (psbc(fields=[{**FIELDS[0], "truncate": True}, *FIELDS[1:]]), "不能截断"),
        (psbc(file_name="PSBC_{town}.txt"), "不认识的占位符:town"),
        (psbc(file_name="../x.txt"), "路径"),
        (psbc(delimiter="|"), "只有分隔格式"),
        (psbc(bom=True), "BOM"),
        (psbc(returns=NO_CODES), "success_codes"),
        ({**psbc(), "code": "x y"}, "格式代码"),
        ("psbc", "JSON 对象"),
    ],
)  # fmt: skip
def test_a_wrong_profile_is_refused_with_a_chinese_message(data, words):
    with pytest.raises(ProfileError) as refused:
        BankFileProfile.from_dict(data)

    assert words in refused.value.message


def test_an_unknown_shipped_code_is_refused():
    with pytest.raises(ProfileError, match="没有代码为 abc"):
        shipped_profile("abc")
