"""The annual adjustment's hub and the year's parameters pages: the admin enters the published parameters
through the form and reads them back, refusals say what is wrong and write nothing, the other roles read
only, township staff are turned away, and "copy last year's" makes next year's first version."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from pensions.models import AdjustmentParameters
from registry.models import FlagKind
from registry.months import PensionMonth
from tests.clients import signed_in

from .adjustment_flow import first_half_paid, make_people, published_values, run_and_apply, set_published

PARAMETERS_2026 = "/pensions/adjustments/2026/parameters/"


def form_data(values: dict[str, Any], note: str = "") -> dict[str, str]:
    """The form as a person fills it from the values the services take (blank rows left blank)."""
    data: dict[str, str] = {
        "effective_month": str(values["effective_month"]),
        "retired_by": values["retired_by"].isoformat(),
        "flat_amount": str(values["flat_amount"]),
        "pension_percent": str(values["pension_percent"]),
        "year_counting": str(values["year_counting"]),
        "years_minimum": str(values["years_minimum"]),
        "minimum_rise": str(values["minimum_rise"]),
        "announcement": values["announcement"],
        "note": note,
    }
    for name in ("include_suspended", "include_deceased"):
        if values[name]:
            data[name] = "on"
    for i, band in enumerate(values["year_bands"]):
        data[f"band_up_to_{i}"] = "" if band["up_to"] is None else str(band["up_to"])
        data[f"band_per_year_{i}"] = band["per_year"]
    for i, tier in enumerate(values["age_tiers"]):
        data[f"tier_age_{i}"] = str(tier["age"])
        data[f"tier_amount_{i}"] = tier["amount"]
    for i, extra in enumerate(values["flag_extras"]):
        data[f"flag_{i}"] = extra["flag"]
        data[f"flag_amount_{i}"] = extra["amount"]
    return data


def stored(year: int = 2026) -> list[AdjustmentParameters]:
    return list(AdjustmentParameters.objects.filter(year=year).order_by("set_at", "id"))


def test_the_admin_enters_the_published_parameters_and_reads_them_back(county: Any) -> None:
    FlagKind.objects.create(code="senior_title", name="高级职称")
    values = published_values(flag_extras=[{"flag": "senior_title", "amount": "30.00"}])
    client = signed_in(county.admin)

    response = client.post(PARAMETERS_2026, form_data(values, note="按省通知录入"))

    assert response.status_code == 302
    (row,) = stored()
    assert row.effective_month == PensionMonth(2026, 1)
    assert row.retired_by == datetime.date(2025, 12, 31)
    assert (row.include_suspended, row.include_deceased) == (True, True)
    assert row.flat_amount == Decimal("50.00")
    assert row.pension_percent == Decimal("1.5")
    assert row.year_counting == AdjustmentParameters.YearCounting.WHOLE
    assert row.year_bands == [{"up_to": 15, "per_year": "1.00"}, {"up_to": None, "per_year": "1.50"}]
    assert row.age_tiers == values["age_tiers"]
    assert row.flag_extras == [{"flag": "senior_title", "amount": "30.00"}]
    assert row.announcement == values["announcement"]
    assert (row.note, row.set_by) == ("按省通知录入", county.admin)

    page = client.get(PARAMETERS_2026)
    html = page.content.decode()
    assert page.status_code == 200
    # The form comes back filled with what is in force, ready for a correction.
    form = page.context["form"]
    assert form.initial["flat_amount"] == "50.00"
    assert form.initial["pension_percent"] == "1.5"
    assert (form.initial["band_up_to_1"], form.initial["band_per_year_1"]) == ("", "1.50")
    assert (form.initial["tier_age_2"], form.initial["tier_amount_2"]) == ("80", "50.00")
    assert form.initial["flag_0"] == "senior_title"
    assert "15 年及以下每年 ¥1.00;15 年以上的部分每年 ¥1.50" in html
    assert "高级职称 ¥30.00" in html
    assert "首次录入" in html


def test_a_correction_is_a_new_version_and_the_history_says_what_changed(county: Any) -> None:
    set_published(county.admin)
    client = signed_in(county.admin)

    response = client.post(PARAMETERS_2026, form_data(published_values(flat_amount="55.00"), note="文件更正"))

    assert response.status_code == 302
    assert [row.flat_amount for row in stored()] == [Decimal("50.00"), Decimal("55.00")]
    html = client.get(PARAMETERS_2026).content.decode()
    assert "定额调整(元/月):¥50.00 → ¥55.00" in html
    assert "文件更正" in html
    assert "第 2 版" in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"year_bands": [{"up_to": 20, "per_year": "1.00"}, {"up_to": 15, "per_year": "1.50"}]},
            "缴费年限分段的上限应逐段增加。",
        ),
        (
            {"year_bands": [{"up_to": None, "per_year": "1.00"}, {"up_to": 15, "per_year": "1.50"}]},
            "只有最后一段可以不填年限上限。",
        ),
        ({"flat_amount": "-5.00"}, "定额调整不能为负数。"),
        ({"age_tiers": [{"age": 70, "amount": "-20.00"}]}, "年龄倾斜金额不能为负数。"),
        ({"flat_amount": "12.345"}, "定额调整最多两位小数(分)。"),
        ({"effective_month": PensionMonth(2025, 12)}, "调整起始月份应在 2026 年内(通常为 1 月)。"),
        ({"retired_by": datetime.date(2026, 3, 1)}, "退休时间截止日应早于调整起始月份结束。"),
        ({"pension_percent": "120"}, "挂钩比例应在 0 到 100 之间。"),
    ],
)
def test_a_wrong_parameter_is_refused_with_its_reason_and_nothing_is_written(
    county: Any, changes: dict[str, Any], message: str
) -> None:
    response = signed_in(county.admin).post(PARAMETERS_2026, form_data(published_values(**changes)))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert stored() == []
    # What was typed comes back, to be put right.
    assert response.context["form"].data["announcement"] == published_values()["announcement"]


def test_a_form_without_the_months_is_refused_by_the_form(county: Any) -> None:
    data = form_data(published_values())
    data["effective_month"] = "2026/13"
    data["retired_by"] = ""

    response = signed_in(county.admin).post(PARAMETERS_2026, data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "请按“年-月”填写月份" in html
    assert "请填写退休时间截止日。" in html
    assert stored() == []


def test_a_new_year_starts_from_the_usual_defaults(county: Any) -> None:
    page = signed_in(county.admin).get("/pensions/adjustments/2027/parameters/")

    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["effective_month"] == PensionMonth(2027, 1)
    assert form.initial["retired_by"] == datetime.date(2026, 12, 31)
    assert form.initial["include_suspended"] is True
    assert form.initial["include_deceased"] is True
    html = page.content.decode()
    assert 'value="2027-01"' in html
    assert 'value="2026-12-31"' in html


@pytest.mark.parametrize("role", ["clerk", "reviewer", "auditor"])
def test_the_other_roles_read_the_parameters_but_cannot_change_them(county: Any, role: str) -> None:
    set_published(county.admin)
    client = signed_in(getattr(county, role))

    page = client.get(PARAMETERS_2026)
    hub = client.get("/pensions/adjustments/")
    refused = client.post(PARAMETERS_2026, form_data(published_values(flat_amount="60.00")))

    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="parameters-form"' not in html
    assert 'id="parameters-read-only"' in html
    assert "定额调整" in html and "¥50.00" in html
    assert hub.status_code == 200
    assert 'id="copy-open"' not in hub.content.decode()
    assert 'id="nav-adjustments"' in hub.content.decode()
    assert refused.status_code == 403
    assert len(stored()) == 1


def test_township_staff_are_turned_away(county: Any) -> None:
    set_published(county.admin)
    client = signed_in(county.officer_a)

    assert client.get("/pensions/adjustments/").status_code == 403
    assert client.get(PARAMETERS_2026).status_code == 403
    assert client.get("/pensions/adjustments/2026/parameters.pdf").status_code == 403
    assert client.post("/pensions/adjustments/copy/", {"to_year": "2027"}).status_code == 403
    home = client.get("/")
    assert 'id="nav-adjustments"' not in home.content.decode()


def test_the_hub_lists_each_year_with_its_components_and_status(county: Any) -> None:
    set_published(county.admin)

    page = signed_in(county.clerk).get("/pensions/adjustments/")

    assert page.status_code == 200
    (row,) = page.context["rows"]
    assert row.year == 2026
    assert row.status.label == "未试算"
    assert [component.key for component in row.components] == ["flat", "percent", "years", "age"]
    html = page.content.decode()
    assert "2026-01" in html and "2025-12-31" in html
    assert "本人基本养老金的 1.5%" in html
    assert "70 岁及以上 ¥20.00;75 岁及以上 ¥30.00;80 岁及以上 ¥50.00" in html


def test_copy_last_years_makes_next_years_first_version(county: Any) -> None:
    set_published(county.admin)
    client = signed_in(county.admin)
    hub = client.get("/pensions/adjustments/").content.decode()
    assert 'id="copy-modal"' in hub
    assert "将 2026 年的调待参数复制为 2027 年的第一版" in hub

    response = client.post("/pensions/adjustments/copy/", {"to_year": "2027"})

    assert response.status_code == 302
    assert response["Location"] == reverse("adjustment-parameters", kwargs={"year": 2027})
    (copied,) = stored(2027)
    assert copied.effective_month == PensionMonth(2027, 1)
    assert copied.retired_by == datetime.date(2026, 12, 31)
    assert copied.flat_amount == Decimal("50.00")
    assert copied.year_bands == stored(2026)[0].year_bands
    assert copied.announcement == ""
    assert copied.note == "复制 2026 年参数"
    # 2027 is now the newest: the next copy would be to 2028, so a dialog still naming 2027 is refused.
    again = client.post("/pensions/adjustments/copy/", {"to_year": "2027"})
    assert again.status_code == 400
    assert "年度已有变化" in again.content.decode()
    assert len(stored(2027)) == 1
    assert not AdjustmentParameters.objects.filter(year=2028).exists()


def test_copy_without_any_year_is_refused(county: Any) -> None:
    response = signed_in(county.admin).post("/pensions/adjustments/copy/", {"to_year": "2027"})

    assert response.status_code == 400
    assert "还没有任何年度的调待参数" in response.content.decode()
    assert not AdjustmentParameters.objects.exists()


def test_an_applied_year_cannot_be_changed(county: Any, banks: Any) -> None:
    people = make_people(county, banks["psbc"])
    set_published(county.admin)
    first_half_paid(county, people)
    run_and_apply(county)
    client = signed_in(county.admin)

    page = client.get(PARAMETERS_2026)
    refused = client.post(PARAMETERS_2026, form_data(published_values(flat_amount="60.00")))
    hub = client.get("/pensions/adjustments/")

    assert page.status_code == 200
    assert 'id="parameters-form"' not in page.content.decode()
    assert "2026 年度调待已执行,参数不能再修改。" in page.content.decode()
    assert refused.status_code == 400
    assert "2026 年度调待已执行,参数不能再修改。" in refused.content.decode()
    assert len(stored()) == 1
    assert hub.context["rows"][0].status.label == "已执行"
