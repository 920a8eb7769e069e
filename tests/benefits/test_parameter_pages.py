"""The claim parameters page (/deaths/parameters/) and API (/api/benefits/parameters/): the admin reads the
years with the computed and published average, sets a value in a dialog, clears the published average and
sees the history; a refusal keeps the dialog open with the error and writes nothing; no one else gets in."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from benefits.demo import DEMO_PARAMETERS
from benefits.models import BenefitParameter
from benefits.selectors.parameters import parameter_in_force
from benefits.services import benefit_parameter_set
from registry.models import Retiree, Staff
from tests.pensions.average_flow import plan_at
from tests.pensions.conftest import Enrol, M

pytestmark = pytest.mark.django_db

Kind = BenefitParameter.Kind
SH = ZoneInfo("Asia/Shanghai")
TODAY = datetime.datetime(2026, 12, 5, 10, 0, tzinfo=SH)


def web(staff: Staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def api(staff: Staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff)
    return client


def _row(html: str, year: int) -> str:
    match = re.search(rf'<tr data-year="{year}">(.*?)</tr>', html, re.S)
    assert match, year
    return match.group(1)


def _cell(row: str, column: str) -> str:
    match = re.search(rf'data-col="{column}">(.*?)</td>', row, re.S)
    assert match, column
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


@pytest.fixture
def paid_2025(county: Any, enrol: Enrol) -> None:
    """One approved plan in 2025: 7660.65 paid to three people, one withheld → 2553.55."""
    for amount in ("2650.00", "3120.55", "1890.10"):
        enrol(rates=((M(2018, 4), amount),))
    enrol(status=Retiree.Status.SUSPENDED, rates=((M(2018, 4), "2000.00"),))
    plan_at(county, M(2025, 1))


def test_the_page_shows_each_year_the_values_the_averages_and_which_is_used(
    county: Any, paid_2025: None
) -> None:
    with time_machine.travel(TODAY, tick=False):
        benefit_parameter_set(kind=Kind.FUNERAL_ALLOWANCE, year=2026, value="5000", note="", by=county.admin)
        benefit_parameter_set(kind=Kind.COMPENSATION_MONTHS, year=2026, value="10", note="", by=county.admin)
        response = web(county.admin).get(reverse("benefit-parameters"))

    assert response.status_code == 200
    html = response.content.decode()
    # This year − 3 to next year, newest first.
    years = [int(year) for year in re.findall(r'<tr data-year="(\d{4})">', html)]
    assert years == [2027, 2026, 2025, 2024, 2023]
    row_2026 = _row(html, 2026)
    assert _cell(row_2026, "funeral_allowance").startswith("¥5,000.00")
    assert _cell(row_2026, "compensation_months").startswith("10 个月")
    assert _cell(row_2026, "average_computed") == "—"
    row_2025 = _row(html, 2025)
    assert _cell(row_2025, "average_computed") == "¥2,553.55"
    assert _cell(row_2025, "average_used") == "系统计算的 ¥2,553.55 用于 2026 年死亡"
    assert _cell(row_2025, "funeral_allowance").startswith("未设置")
    # An edit dialog per value and year.
    for kind in Kind.values:
        assert f'id="dialog-{kind}-2026"' in html
    assert 'id="dialog-clear-2025"' not in html  # nothing published to clear


def test_setting_a_value_in_the_dialog_saves_it_and_shows_it_in_the_history(county: Any) -> None:
    client = web(county.admin)
    with time_machine.travel(TODAY, tick=False):
        response = client.post(
            reverse("benefit-parameter-set"),
            {"kind": Kind.PUBLISHED_AVERAGE, "year": "2025", "value": "2890.45", "note": "县统计公报"},
        )
    assert response.status_code == 302
    row = parameter_in_force(kind=Kind.PUBLISHED_AVERAGE, year=2025)
    assert row is not None
    assert (row.value, row.note, row.set_by) == (Decimal("2890.45"), "县统计公报", county.admin)

    with time_machine.travel(TODAY + datetime.timedelta(hours=1), tick=False):
        client.post(reverse("benefit-average-clear"), {"year": "2025", "note": "公报撤回"})
        page = client.get(reverse("benefit-parameters"))

    assert parameter_in_force(kind=Kind.PUBLISHED_AVERAGE, year=2025).value is None  # type: ignore[union-attr]
    html = page.content.decode()
    history = html[html.index('id="parameter-history"') :]
    entries = re.findall(r'<tr data-year="2025" data-kind="published_average">(.*?)</tr>', history, re.S)
    texts = [" ".join(re.sub(r"<[^>]+>", " ", entry).split()) for entry in entries]
    # Newest first: who, when, old → new, basis.
    assert texts[0] == "2025 公布的月人均基本养老金 ¥2,890.45 清除 公报撤回 a 2026-12-05 11:00"
    assert texts[1] == "2025 公布的月人均基本养老金 — ¥2,890.45 县统计公报 a 2026-12-05 10:00"


def test_a_refused_value_reopens_its_dialog_with_the_error_and_writes_nothing(county: Any) -> None:
    with time_machine.travel(TODAY, tick=False):
        response = web(county.admin).post(
            reverse("benefit-parameter-set"),
            {"kind": Kind.FUNERAL_ALLOWANCE, "year": "2026", "value": "5000.123", "note": ""},
        )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="modal fade show-on-load" id="dialog-funeral_allowance-2026"' in html
    assert html.count("show-on-load") == 1
    assert "金额只能精确到分(小数点后最多两位)。" in html
    assert 'value="5000.123"' in html  # what was typed is kept
    assert not BenefitParameter.objects.exists()


def test_a_published_average_without_basis_is_refused_on_the_page(county: Any) -> None:
    with time_machine.travel(TODAY, tick=False):
        response = web(county.admin).post(
            reverse("benefit-parameter-set"),
            {"kind": Kind.PUBLISHED_AVERAGE, "year": "2025", "value": "2890.45", "note": ""},
        )
    assert response.status_code == 400
    assert "请填写依据(例如文件文号)。" in response.content.decode()
    assert not BenefitParameter.objects.exists()


@pytest.mark.parametrize("role", ["clerk", "reviewer", "auditor", "officer_a"])
def test_no_one_but_the_admin_sees_or_changes_them(county: Any, role: str) -> None:
    someone = getattr(county, role)
    client = web(someone)

    assert client.get(reverse("benefit-parameters")).status_code == 403
    response = client.post(
        reverse("benefit-parameter-set"), {"kind": Kind.FUNERAL_ALLOWANCE, "year": "2026", "value": "5000"}
    )
    assert response.status_code == 403
    assert api(someone).get(reverse("api-benefit-parameters")).status_code == 403
    assert not BenefitParameter.objects.exists()
    # And the menu does not offer the page.
    assert reverse("benefit-parameters") not in client.get(reverse("home")).content.decode()


def test_the_admin_menu_links_the_page(county: Any) -> None:
    assert reverse("benefit-parameters") in web(county.admin).get(reverse("home")).content.decode()


def test_the_api_lists_sets_and_clears(county: Any, paid_2025: None) -> None:
    client = api(county.admin)
    with time_machine.travel(TODAY, tick=False):
        created = client.post(
            reverse("api-benefit-parameters"),
            {"kind": "published_average", "year": 2025, "value": "2890.45", "note": "县统计公报"},
            format="json",
        )
        refused = client.post(
            reverse("api-benefit-parameters"),
            {"kind": "compensation_months", "year": 2026, "value": "9.5"},
            format="json",
        )
        listed = client.get(reverse("api-benefit-parameters"))

    assert created.status_code == 201
    assert created.json()["value"] == "2890.45"
    assert refused.status_code == 400
    assert refused.json() == {"value": ["抚恤金月数须为 1 至 60 之间的整数。"]}
    year_2025 = next(row for row in listed.json() if row["year"] == 2025)
    assert year_2025["average_computed"] == "2553.55"
    assert year_2025["published_average"]["value"] == "2890.45"
    assert (year_2025["average_used"], year_2025["average_source"]) == ("2890.45", "published")
    assert [(entry["kind"], entry["previous"], entry["value"]) for entry in year_2025["history"]] == [
        ("published_average", None, "2890.45")
    ]

    with time_machine.travel(TODAY + datetime.timedelta(hours=1), tick=False):
        cleared = client.post(
            reverse("api-benefit-average-clear"), {"year": 2025, "note": "撤回"}, format="json"
        )
        listed = client.get(reverse("api-benefit-parameters")).json()
        again = client.post(
            reverse("api-benefit-average-clear"), {"year": 2025, "note": "撤回"}, format="json"
        )
    assert cleared.status_code == 200
    assert cleared.json()["value"] is None
    year_2025 = next(row for row in listed if row["year"] == 2025)
    assert (year_2025["average_used"], year_2025["average_source"]) == ("2553.55", "computed")
    assert again.status_code == 400
    assert again.json() == {"year": ["2025 年没有公布的月人均养老金,无需清除。"]}
    assert BenefitParameter.objects.count() == 2


def test_the_demo_seeding_sets_the_parameters_once(county: Any) -> None:
    call_command("seed_demo_benefits")
    assert BenefitParameter.objects.count() == len(DEMO_PARAMETERS)
    for kind, year, value in DEMO_PARAMETERS:
        row = parameter_in_force(kind=kind, year=year)
        assert row is not None
        assert (row.value, row.set_by) == (value, county.admin)

    # The admin changes one on the page: a second run neither repeats nor puts it back.
    benefit_parameter_set(kind=Kind.FUNERAL_ALLOWANCE, year=2026, value="5200", note="调整", by=county.admin)
    call_command("seed_demo_benefits")

    assert BenefitParameter.objects.count() == len(DEMO_PARAMETERS) + 1
    assert parameter_in_force(kind=Kind.FUNERAL_ALLOWANCE, year=2026).value == Decimal("5200.00")  # type: ignore[union-attr]
