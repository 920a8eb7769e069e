"""The parameter sheet (年度养老金调整参数表): A4 with the CJK font, every component's figures, the bands and
tiers, the rounding rule, who set the version in force, and the worked example computed with the one
calculation (tests/pensions/adjustment_flow.py has the published parameters)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from django.test import Client

from pensions.pdfs.adjustment_parameters import exact
from registry.models import FlagKind

from ..pdfs import pdf_fonts, pdf_info, pdf_text
from .adjustment_flow import published_values, set_published
from .test_adjustment_parameters_views import form_data, signed_in

PDF_2026 = "/pensions/adjustments/2026/parameters.pdf"


def fetched(client: Client, tmp_path: Path, url: str = PDF_2026) -> Path:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    assert "inline" in response["Content-Disposition"]
    assert "adjustment-parameters-2026.pdf" in response["Content-Disposition"]
    path = tmp_path / "sheet.pdf"
    path.write_bytes(response.content)
    return path


def test_the_sheet_prints_every_figure_and_the_worked_example(county: Any, tmp_path: Path) -> None:
    set_published(county.admin)

    path = fetched(signed_in(county.auditor), tmp_path)

    info = pdf_info(path)
    assert "(A4)" in info["Page size"]
    assert info["Pages"] == "1"
    assert "Noto-Sans-CJK-SC" in pdf_fonts(path)
    text = " ".join(pdf_text(path).split())
    for expected in (
        "2026 年度企业退休人员基本养老金调整参数表",
        "省人社厅 省财政厅 关于2026年调整退休人员基本养老金的通知",
        "2026-01",
        "2025-12-31 及以前退休的人员",
        "每人每月 ¥50.00",
        "本人基本养老金的 1.5%",
        "15 年及以下 ¥1.00",
        "15 年以上的部分 ¥1.50",
        "每满一年计一年",
        "70 周岁及以上 ¥20.00",
        "75 周岁及以上 ¥30.00",
        "80 周岁及以上 ¥50.00",
        "按达到的最高一档计发,各档不累加",
        "合计一次四舍五入到分",
        "第 1 版(共 1 版)",
        "a 2026-06-20 09:00",
    ):
        assert expected in text, expected
    # 3,000.00, 20 years, 72: 50 + 45.00 + (15 × 1.00 + 5 × 1.50) + 20 = 137.50.
    assert "定额调整 50.00 挂钩调整(养老金) 45.00 挂钩调整(缴费年限) 22.50 倾斜调整(年龄) 20.00" in text
    assert "合计(舍入前) 137.50 月增加额(四舍五入到分) ¥137.50 调整后基本养老金 ¥3,137.50" in text


def test_the_example_rounds_once_on_the_total_and_adds_the_flag_extras(county: Any, tmp_path: Path) -> None:
    FlagKind.objects.create(code="senior_title", name="高级职称")
    set_published(
        county.admin,
        pension_percent="1.2345",
        flag_extras=[{"flag": "senior_title", "amount": "30.00"}],
    )
    client = signed_in(county.admin)
    # A correction: the sheet prints the version in force and says which one it is.
    values = published_values(
        pension_percent="1.2345", flag_extras=[{"flag": "senior_title", "amount": "35.00"}]
    )
    assert (
        client.post("/pensions/adjustments/2026/parameters/", form_data(values, note="更正")).status_code
        == 302
    )

    text = " ".join(pdf_text(fetched(client, tmp_path)).split())

    # 3,000.00 × 1.2345 % = 37.035 (kept whole); 50 + 37.035 + 22.50 + 20 + 35 = 164.535 → 164.54.
    assert "挂钩调整(养老金) 37.035" in text
    assert "倾斜调整(人员标记) 35.00" in text
    assert "合计(舍入前) 164.535 月增加额(四舍五入到分) ¥164.54" in text
    assert "高级职称 ¥35.00" in text
    assert "第 2 版(共 2 版)" in text


def test_a_year_without_parameters_has_no_sheet(county: Any) -> None:
    assert signed_in(county.admin).get(PDF_2026).status_code == 404


def test_exact_keeps_every_digit_of_a_component() -> None:
    assert exact(Decimal("45.000000")) == "45.00"
    assert exact(Decimal("42.9825")) == "42.9825"
    assert exact(Decimal("1234.5")) == "1,234.50"
