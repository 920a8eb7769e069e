"""The intake page: form, live checks, the confirmation step and the redirect to the record."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from registry.models import ArrearsItem, Retiree
from registry.months import PensionMonth
from tests.conftest import County
from tests.factories import BankFactory, EmployerFactory
from tests.registry.test_intake_services import NOW, counts, fresh_id, png_upload


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def form_data(county: County, **overrides: Any) -> dict[str, Any]:
    bank = BankFactory.create()
    values: dict[str, Any] = {
        "name": "孙 建华",
        "id_number": fresh_id(),
        "phone": "13800138000",
        "address": "城关镇东街8号",
        "township": county.township_a.pk,
        "community_id": county.community_a2.pk,
        "residence": "local",
        "employer_name": "示范县化肥厂",
        "work_start_date": "1984-09-01",
        "retirement_date": "2026-01-15",
        "contribution_months": "400",
        "initial_amount": "2980.00",
        "bank_id": bank.pk,
        "account_number": "6217000011112222",
        "fee_amount": "150.00",
        "fee_receipt_number": "TG-V-001",
        "fee_paid_on": "2026-04-20",
    }
    values.update(overrides)
    return values


def test_the_page_has_its_sections_and_a_nav_link(client, county: County) -> None:
    client.force_login(county.clerk)
    response = client.get(reverse("retiree-intake"))
    page = response.content.decode()
    assert response.status_code == 200
    for title in ["身份信息", "居住地", "原单位与退休", "养老金与银行账户", "委托代办人(可选)", "退管费"]:
        assert title in page
    assert f'href="{reverse("retiree-intake")}"' in page
    assert 'value="150.00"' in page


@pytest.mark.parametrize("username", ["officer_a", "station_a1", "reviewer", "auditor"])
def test_only_clerks_may_register(client, county: County, username: str) -> None:
    client.force_login(county.staff_by_role()[username])
    assert client.get(reverse("retiree-intake")).status_code == 403
    assert client.post(reverse("retiree-intake"), form_data(county)).status_code == 403
    assert reverse("retiree-intake") not in client.get(reverse("home")).content.decode()


def test_preview_then_confirm_registers_and_redirects(client, county: County) -> None:
    client.force_login(county.clerk)
    data = form_data(county, photo=png_upload())
    before = counts()

    preview = client.post(reverse("retiree-intake"), data, HTTP_HX_REQUEST="true")

    page = preview.content.decode()
    assert preview.status_code == 200
    assert 'id="intake-confirm"' in page
    assert "登记将生成 3 个月的补发,合计 ¥8,940.00" in page
    for month in ("2026-02", "2026-03", "2026-04"):
        assert month in page
    assert counts() == before  # the preview writes nothing
    signature = preview.context["signature"]

    data = form_data(county, photo=png_upload(), id_number=data["id_number"], confirm=signature)
    data["bank_id"] = preview.context["form"].cleaned_data["bank_id"].pk
    response = client.post(reverse("retiree-intake"), data, HTTP_HX_REQUEST="true")

    retiree = Retiree.objects.get(id_number=data["id_number"])
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("retiree-detail", args=[retiree.pk]) + "?registered=1"
    assert retiree.name == "孙建华"
    assert retiree.certificate_number == "360721202600001"
    assert list(ArrearsItem.objects.filter(retiree=retiree).values_list("month", "amount")) == [
        (PensionMonth(2026, month), Decimal("2980.00")) for month in (2, 3, 4)
    ]
    follow = client.get(response["HX-Redirect"])
    assert "打印待遇证" in follow.content.decode()
    assert reverse("retiree-certificate", args=[retiree.pk]) in follow.content.decode()


def test_without_htmx_the_whole_page_comes_back_and_confirm_redirects(client, county: County) -> None:
    client.force_login(county.clerk)
    data = form_data(county)
    preview = client.post(reverse("retiree-intake"), data)
    assert "<html" in preview.content.decode() and 'id="intake-confirm"' in preview.content.decode()
    data = {**data, "confirm": preview.context["signature"]}
    response = client.post(reverse("retiree-intake"), data)
    retiree = Retiree.objects.get(id_number=data["id_number"])
    assert response.status_code == 302
    assert response["Location"] == reverse("retiree-detail", args=[retiree.pk]) + "?registered=1"


def test_a_value_changed_after_the_preview_asks_again(client, county: County) -> None:
    client.force_login(county.clerk)
    data = form_data(county)
    preview = client.post(reverse("retiree-intake"), data, HTTP_HX_REQUEST="true")
    before = counts()
    data = {**data, "initial_amount": "2990.00", "confirm": preview.context["signature"]}
    response = client.post(reverse("retiree-intake"), data, HTTP_HX_REQUEST="true")
    assert "预览之后内容或补发月份有变化" in response.content.decode()
    assert "合计 ¥8,970.00" in response.content.decode()
    assert counts() == before


def test_errors_are_shown_per_field_and_nothing_is_written(client, county: County) -> None:
    client.force_login(county.clerk)
    number = fresh_id()
    bad = number[:17] + ("0" if number[-1] != "0" else "1")
    before = counts()
    response = client.post(
        reverse("retiree-intake"),
        form_data(county, id_number=bad, confirm="anything"),
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert 'id="err-id_number" class="invalid-feedback d-block" hx-swap-oob="true"' in page
    assert "校验位错误" in page
    assert "尚未保存任何内容" in page
    assert counts() == before


def test_missing_required_fields_in_chinese(client, county: County) -> None:
    client.force_login(county.clerk)
    response = client.post(reverse("retiree-intake"), {"residence": "local"})
    errors = response.context["form"].errors
    assert set(errors) >= {"name", "id_number", "retirement_date", "initial_amount", "fee_receipt_number"}
    assert errors["name"] == ["该字段是必填项。"]


def test_duplicate_id_links_to_the_existing_record(client, county: County) -> None:
    client.force_login(county.clerk)
    existing = county.retiree_b1
    response = client.post(
        reverse("retiree-intake"), form_data(county, id_number=existing.id_number), HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert existing.name in page and "梅林镇" in page
    assert reverse("retiree-detail", args=[existing.pk]) in page


def test_live_id_check(client, county: County) -> None:
    client.force_login(county.clerk)
    url = reverse("retiree-intake-id-check")
    ok = client.get(url, {"id_number": "360721660110123"}).content.decode()
    assert "号码有效:出生日期 1966年1月10日" in ok and "男" in ok and "15位号码将升为" in ok
    duplicate = client.get(url, {"id_number": county.retiree_a1.id_number}).content.decode()
    assert "已经登记过" in duplicate
    assert reverse("retiree-detail", args=[county.retiree_a1.pk]) in duplicate
    bad = client.get(url, {"id_number": "12345"}).content.decode()
    assert "应为18位" in bad


def test_communities_follow_the_township(client, county: County) -> None:
    client.force_login(county.clerk)
    page = client.get(
        reverse("retiree-intake-communities"), {"township": county.township_b.pk}
    ).content.decode()
    assert "梅林村" in page and "东街社区" not in page


def test_employer_suggestions(client, county: County) -> None:
    EmployerFactory.create(name="示范县第二纺织厂")
    client.force_login(county.clerk)
    page = client.get(reverse("retiree-intake-employers"), {"employer_name": "纺织"}).content.decode()
    assert 'value="示范县第二纺织厂"' in page


def test_photo_is_served_only_within_scope(client, county: County) -> None:
    client.force_login(county.clerk)
    data = form_data(county, photo=png_upload())
    preview = client.post(reverse("retiree-intake"), data)
    client.post(
        reverse("retiree-intake"),
        {
            **form_data(county, id_number=data["id_number"], photo=png_upload()),
            "bank_id": data["bank_id"],
            "confirm": preview.context["signature"],
        },
    )
    retiree = Retiree.objects.get(id_number=data["id_number"])
    url = reverse("retiree-photo", args=[retiree.pk])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    client.force_login(county.officer_b)
    assert client.get(url).status_code == 404
    client.force_login(county.officer_a)
    assert client.get(url).status_code == 200
    assert not retiree.photo.url.startswith(reverse("retiree-photo", args=[retiree.pk]))
    assert client.get("/" + retiree.photo.url.lstrip("/")).status_code == 404


def test_retiree_detail_still_renders_for_a_new_person(client, county: County) -> None:
    # The record page links here; a person registered here must render there.
    client.force_login(county.clerk)
    data = form_data(county, retirement_date=str(datetime.date(2026, 4, 1)))
    preview = client.post(reverse("retiree-intake"), data)
    client.post(reverse("retiree-intake"), {**data, "confirm": preview.context["signature"]})
    retiree = Retiree.objects.get(id_number=data["id_number"])
    assert retiree.arrears.count() == 0
    assert client.get(reverse("retiree-detail", args=[retiree.pk])).status_code == 200
