"""The import file's columns: the one place their Chinese headers are defined (docs/import.md lists them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool  # the column must be in the header row (a cell may still be blank where the rules allow)
    text: bool = False  # numbers that must stay text: Excel would round them (ID and account numbers)
    example: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", True, example="张建国"),
    Column("id_number", "身份证号码", True, text=True, example="360721195803140010"),
    Column("sex", "性别", False, example="男"),
    Column("township", "乡镇(街道)", True, example="城关镇"),
    Column("community", "社区(村居)", True, example="东街社区"),
    Column("residence", "居住类型", False, example="本地"),
    Column("remote_province", "异地居住省份", False),
    Column("remote_city", "异地居住城市", False),
    Column("remote_address", "异地居住地址", False),
    Column("employer", "原单位", False, example="示范县机械厂"),
    Column("work_start_date", "参加工作时间", False, example="1976-09-01"),
    Column("retirement_date", "退休时间", True, example="2018-03-31"),
    Column("contribution_months", "缴费月数", False, example="498"),
    Column("amount", "月养老金", True, example="2650.00"),
    Column("start_month", "起始月份", True, example="2026-01"),
    Column("bank", "发放银行", True, example="中国邮政储蓄银行"),
    Column("account_number", "银行账号", True, text=True, example="6217991234567890123"),
    Column("holder_name", "户名", False),
    Column("certificate_number", "待遇证号", False, text=True),
    Column("phone", "联系电话", False, text=True, example="13807970001"),
    Column("address", "住址", False, example="城关镇解放路18号"),
    Column("status", "状态", False, example="正常"),
)
BY_KEY = {column.key: column for column in COLUMNS}
BY_HEADER = {column.header: column for column in COLUMNS}
HEADERS = tuple(column.header for column in COLUMNS)
REQUIRED_HEADERS = tuple(column.header for column in COLUMNS if column.required)
TEXT_KEYS = frozenset(column.key for column in COLUMNS if column.text)

# The extra column of the rejected-rows file.
REASON_HEADER = "错误原因"


def normalise_header(text: str) -> str:
    """Old systems and hand-made sheets write the brackets full-width or half-width, with stray spaces."""
    return "".join(str(text).split()).replace("(", "(").replace(")", ")")
