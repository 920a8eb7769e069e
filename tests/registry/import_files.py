"""Import files for the bulk import tests: rows by Chinese header, written as xlsx or CSV in an encoding."""

from __future__ import annotations

import csv
import datetime
import io
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from registry.imports.columns import HEADERS
from registry.models import (
    Bank,
    BankAccount,
    Employer,
    PensionRate,
    Retiree,
    RetireeSearchKey,
    StatusChange,
)
from registry.services import import_batch_check, import_batch_upload
from tests.factories import BankFactory, make_id_number

_accounts = itertools.count(1)


def good_row(**overrides: object) -> dict[str, object]:
    """A row that passes every check (in the `county` personas' township A, community 东街社区)."""
    row: dict[str, object] = {
        "姓名": "赵国庆",
        "身份证号码": make_id_number(datetime.date(1958, 3, 14)),
        "性别": "",
        "乡镇(街道)": "城关镇",
        "社区(村居)": "东街社区",
        "居住类型": "本地",
        "原单位": "示范县机械厂",
        "参加工作时间": "1976-09-01",
        "退休时间": "2018-03-31",
        "缴费月数": "498",
        "月养老金": "2650.00",
        "起始月份": "2026-01",
        "发放银行": "中国邮政储蓄银行",
        "银行账号": f"621799{next(_accounts):013d}",
        "户名": "",
        "待遇证号": "",
        "联系电话": "13807970001",
        "住址": "城关镇解放路18号",
        "状态": "正常",
    }
    row.update(overrides)
    return row


def xlsx_bytes(rows: list[dict[str, object]], headers: list[str] | tuple[str, ...] = HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append([row.get(header, "") for header in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_text(rows: list[dict[str, object]], headers: list[str] | tuple[str, ...] = HEADERS) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(header, "") for header in headers])
    return buffer.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.fixture(name="banks")
def banks_fixture(db: None) -> list[Bank]:
    return [
        BankFactory.create(),
        BankFactory.create(code="CCB", name="中国建设银行", channel=Bank.Channel.AGENCY),
        BankFactory.create(code="OLD", name="已撤并信用社", channel=Bank.Channel.AGENCY, is_active=False),
    ]


def checked(rows, by, *, name="退休人员.xlsx", data=None):
    """A file uploaded by `by` and checked (the dry run), as the worker runs it."""
    data = xlsx_bytes(rows) if data is None else data
    batch = import_batch_upload(file=upload(name, data), by=by)
    return import_batch_check(batch_id=batch.pk)


def registry_counts():
    """Rows of every registry table an import writes: compared before and after to show nothing was."""
    return (
        Retiree.objects.count(),
        PensionRate.objects.count(),
        BankAccount.objects.count(),
        RetireeSearchKey.objects.count(),
        Employer.objects.count(),
        StatusChange.objects.count(),
    )
