"""The list's xlsx export: same filters and scope as the list, masked or full numbers by role, no formulas."""

from __future__ import annotations

import io
import logging
import zipfile

import openpyxl
import pytest
from django.urls import reverse

from registry.models import Retiree, SensitiveExport
from registry.services import retiree_search_keys_rebuild
from tests.factories import BankAccountFactory, BankFactory


def export(client, **params):
    response = client.get(reverse("retiree-export"), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content)


def rows_of(content: bytes) -> list[list[object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def with_account(county):
    BankAccountFactory(retiree=county.retiree_a1, bank=BankFactory(), account_number="6217990000123456")
    return county


def test_a_clerk_gets_full_numbers_with_a_purpose_and_the_export_is_logged(client, with_account, caplog):
    county = with_account
    client.force_login(county.clerk)

    with caplog.at_level(logging.INFO, logger="registry.selectors.exports"):
        rows = rows_of(export(client, township=county.township_a.pk, purpose="data_correction"))

    assert rows[0][:3] == ["姓名", "身份证号码", "性别"]
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"张建国", "李秀兰"}
    assert by_name["张建国"][1] == county.retiree_a1.id_number
    assert by_name["张建国"][11] == "6217990000123456"
    assert by_name["张建国"][10] == "中国邮政储蓄银行"
    [record] = [r for r in caplog.records if r.name == "registry.selectors.exports"]
    message = record.getMessage()
    assert "user=clerk" in message and "rows=2" in message and "full_numbers=True" in message
    assert f"'township_id': {county.township_a.pk}" in message
    [record] = SensitiveExport.objects.all()
    assert (record.staff, record.export, record.person_count, record.purpose, record.detail) == (
        county.clerk,
        "registry.retiree_list",
        2,
        "data_correction",
        {"township_id": county.township_a.pk},
    )


def test_a_clerk_without_a_purpose_gets_masked_numbers_and_nothing_is_recorded(client, with_account):
    county = with_account
    client.force_login(county.clerk)

    by_name = {row[0]: row for row in rows_of(export(client, township=county.township_a.pk))[1:]}

    assert by_name["张建国"][1] == county.retiree_a1.masked_id_number
    assert by_name["张建国"][11] == "6217********3456"
    assert SensitiveExport.objects.count() == 0


def test_a_township_officer_gets_masked_numbers_and_only_their_township(client, with_account):
    county = with_account
    client.force_login(county.officer_a)

    rows = rows_of(export(client))

    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"张建国", "李秀兰"}
    assert by_name["张建国"][1] == county.retiree_a1.masked_id_number
    assert by_name["张建国"][11] == "6217********3456"


def test_a_search_outside_the_scope_exports_only_the_header(client, county):
    retiree_search_keys_rebuild()
    client.force_login(county.officer_a)

    rows = rows_of(export(client, q="王德胜"))

    assert len(rows) == 1
    assert rows_of(export(client, q="wangdesheng"))[1:] == []


def test_the_export_holds_the_search_of_the_list(client, county):
    retiree_search_keys_rebuild()
    client.force_login(county.clerk)

    assert [row[0] for row in rows_of(export(client, q="lxl"))[1:]] == ["李秀兰"]


def test_text_that_looks_like_a_formula_is_text_with_a_quote_prefix(client, county):
    Retiree.objects.filter(pk=county.retiree_a1.pk).update(
        name='=HYPERLINK("http://x")', phone="+8613900000000", remote_address="@SUM(1)"
    )
    Retiree.objects.filter(pk=county.retiree_a2.pk).update(phone="-1+2")
    client.force_login(county.clerk)

    content = export(client)

    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula anywhere
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    cells = {c.value: c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}
    for text in ('=HYPERLINK("http://x")', "+8613900000000", "-1+2"):
        assert cells[text].data_type == "s", text
        assert cells[text].quotePrefix is True, text
    assert cells["李秀兰"].quotePrefix is False


def test_id_and_account_numbers_are_text_cells(client, with_account):
    client.force_login(with_account.clerk)

    sheet = openpyxl.load_workbook(io.BytesIO(export(client))).active

    id_cell = sheet["B2"]
    assert id_cell.data_type == "s"
    assert id_cell.number_format == "@"
    assert isinstance(id_cell.value, str) and len(id_cell.value) == 18


def test_anonymous_visitors_are_sent_to_the_login_page(client, county):
    response = client.get(reverse("retiree-export"))

    assert response.status_code == 302
