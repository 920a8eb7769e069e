"""The adjustment parameters API: the admin creates a version and reads it back with its history, refusals
come back as {field: [message]} with nothing written, "copy last year's", and who may read and write."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from pensions.models import AdjustmentParameters
from tests.clients import signed_in

from .adjustment_flow import published_values, set_published

LIST = "/api/pensions/adjustments/parameters/"
YEAR_2026 = "/api/pensions/adjustments/parameters/2026/"


def body(year: int = 2026, note: str = "", **changes: Any) -> dict[str, Any]:
    values = published_values(**changes)
    values["effective_month"] = str(values["effective_month"])
    values["retired_by"] = values["retired_by"].isoformat()
    values["year_counting"] = str(values["year_counting"])
    return {"year": year, "note": note, **values}


def post(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def test_the_admin_creates_a_version_and_reads_it_back(county: Any) -> None:
    client = signed_in(county.admin)

    created = post(client, LIST, body(note="按省通知录入"))

    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["year"] == 2026
    assert data["status"] == {"code": "none", "status_label": "未试算", "applied": False, "run_id": None}
    parameters = data["parameters"]
    assert parameters["effective_month"] == "2026-01"
    assert parameters["retired_by"] == "2025-12-31"
    assert parameters["flat_amount"] == "50.00"
    assert parameters["pension_percent"] == "1.5000"
    assert parameters["year_bands"] == [
        {"up_to": 15, "per_year": "1.00"},
        {"up_to": None, "per_year": "1.50"},
    ]
    assert [tier["age"] for tier in parameters["age_tiers"]] == [70, 75, 80]
    assert parameters["note"] == "按省通知录入"
    assert "定额调整 每人每月 ¥50.00" in parameters["components"]
    row = AdjustmentParameters.objects.get(year=2026)
    assert row.flat_amount == Decimal("50.00") and row.set_by == county.admin

    # A correction: a second version, the history says what changed.
    assert post(client, LIST, body(flat_amount="55.00", note="文件更正")).status_code == 201
    detail = client.get(YEAR_2026).json()
    assert detail["parameters"]["flat_amount"] == "55.00"
    assert [version["number"] for version in detail["history"]] == [2, 1]
    assert detail["history"][0]["changes"] == ["定额调整(元/月):¥50.00 → ¥55.00"]
    assert detail["history"][1]["changes"] == []

    listed = client.get(LIST).json()
    assert [(item["year"], item["version_count"]) for item in listed] == [(2026, 2)]
    assert listed[0]["parameters"]["flat_amount"] == "55.00"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"year_bands": [{"up_to": 20, "per_year": "1.00"}, {"up_to": 15, "per_year": "1.50"}]},
            "year_bands",
            "缴费年限分段的上限应逐段增加。",
        ),
        ({"flat_amount": "-5.00"}, "flat_amount", "定额调整不能为负数。"),
        ({"minimum_rise": "-1.00"}, "minimum_rise", "最低增加额不能为负数。"),
        ({"effective_month": "2027-01"}, "effective_month", "调整起始月份应在 2026 年内(通常为 1 月)。"),
        ({"flag_extras": [{"flag": "nobody", "amount": "10.00"}]}, "flag_extras", "人员标记“nobody”不存在。"),
        (
            {"flat_amount": "0", "pension_percent": "0", "year_bands": [], "age_tiers": []},
            "flat_amount",
            "各项调整金额都为 0,请至少填写一项。",
        ),
    ],
)
def test_a_wrong_parameter_is_refused_with_its_field_and_nothing_is_written(
    county: Any, changes: dict[str, Any], field: str, message: str
) -> None:
    data = body()
    data.update(changes)

    response = post(signed_in(county.admin), LIST, data)

    assert response.status_code == 400
    assert response.json() == {field: [message]}
    assert not AdjustmentParameters.objects.exists()


def test_a_month_that_is_not_a_month_is_refused_by_the_serializer(county: Any) -> None:
    response = post(signed_in(county.admin), LIST, body() | {"effective_month": "January"})

    assert response.status_code == 400
    assert response.json() == {"effective_month": ["请按“年-月”填写月份,例如 2026-01。"]}
    assert not AdjustmentParameters.objects.exists()


def test_copy_from_the_year_before(county: Any) -> None:
    set_published(county.admin)
    client = signed_in(county.admin)

    copied = post(client, "/api/pensions/adjustments/parameters/2027/copy/")
    again = post(client, "/api/pensions/adjustments/parameters/2027/copy/")
    nothing_before = post(client, "/api/pensions/adjustments/parameters/2026/copy/")

    assert copied.status_code == 201
    parameters = copied.json()["parameters"]
    assert (parameters["year"], parameters["effective_month"]) == (2027, "2027-01")
    assert parameters["retired_by"] == "2026-12-31"
    assert parameters["note"] == "复制 2026 年参数"
    assert again.status_code == 400
    assert again.json() == {"year": ["2027 年已有调待参数,请直接修改。"]}
    assert nothing_before.status_code == 400
    assert nothing_before.json() == {"year": ["2025 年没有调待参数,无法复制。"]}
    assert AdjustmentParameters.objects.filter(year=2027).count() == 1
    assert AdjustmentParameters.objects.get(year=2027).retired_by == datetime.date(2026, 12, 31)


def test_a_year_without_parameters_is_not_found(county: Any) -> None:
    response = signed_in(county.clerk).get(YEAR_2026)

    assert response.status_code == 404


@pytest.mark.parametrize("role", ["clerk", "reviewer", "auditor"])
def test_the_other_roles_read_but_cannot_write(county: Any, role: str) -> None:
    set_published(county.admin)
    client = signed_in(getattr(county, role))

    assert client.get(LIST).status_code == 200
    assert client.get(YEAR_2026).json()["parameters"]["flat_amount"] == "50.00"
    assert post(client, LIST, body(flat_amount="60.00")).status_code == 403
    assert post(client, "/api/pensions/adjustments/parameters/2027/copy/").status_code == 403
    assert AdjustmentParameters.objects.count() == 1


def test_township_staff_get_403(county: Any) -> None:
    set_published(county.admin)
    client = signed_in(county.officer_a)

    assert client.get(LIST).status_code == 403
    assert client.get(YEAR_2026).status_code == 403
    assert post(client, LIST, body()).status_code == 403
