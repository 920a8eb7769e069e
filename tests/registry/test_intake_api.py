"""POST /api/retirees/intake/: the same service and checks as the page, errors as JSON per field."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from registry.models import Retiree
from tests.conftest import County
from tests.registry.test_intake_services import NOW, counts, fresh_id, pdf_upload, png_upload
from tests.registry.test_intake_views import form_data


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def api_for(staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff)
    return client


def payload(county: County, **overrides: Any) -> dict[str, Any]:
    data = form_data(county, **overrides)
    data.pop("township")
    return data


def test_happy_path_returns_number_and_arrears(county: County) -> None:
    data = payload(
        county,
        photo=png_upload(),
        agent_name="孙丽",
        agent_id_number=fresh_id(male=False),
        agent_relation="配偶",
        agent_proof=pdf_upload(),
    )
    response = api_for(county.clerk).post(reverse("api-retiree-intake"), data, format="multipart")
    assert response.status_code == 201, response.json()
    retiree = Retiree.objects.get(id_number=data["id_number"])
    assert response.json() == {
        "id": retiree.pk,
        "certificate_number": "360721202600001",
        "regular_payment_from": "2026-05",
        "arrears": {
            "months": ["2026-02", "2026-03", "2026-04"],
            "monthly_amount": "2980.00",
            "amounts": ["2980.00", "2980.00", "2980.00"],
            "total": "8940.00",
        },
    }
    assert retiree.agents.get().relation == "配偶"


def test_a_field_error_is_json_and_writes_nothing(county: County) -> None:
    before = counts()
    response = api_for(county.clerk).post(
        reverse("api-retiree-intake"), payload(county, retirement_date="2030-01-01"), format="multipart"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["retirement_date"]
    assert "在今天之后" in response.json()["retirement_date"][0]
    assert counts() == before


def test_duplicate_id_names_the_existing_record(county: County) -> None:
    response = api_for(county.clerk).post(
        reverse("api-retiree-intake"),
        payload(county, id_number=county.retiree_a1.id_number),
        format="multipart",
    )
    assert response.status_code == 400
    assert county.retiree_a1.name in response.json()["id_number"][0]


def test_serializer_errors_are_per_field(county: County) -> None:
    response = api_for(county.clerk).post(
        reverse("api-retiree-intake"), payload(county, initial_amount="abc"), format="multipart"
    )
    assert response.status_code == 400
    assert "initial_amount" in response.json()


@pytest.mark.parametrize("username", ["officer_a", "reviewer", "auditor"])
def test_roles_without_edit_registry_are_refused(county: County, username: str) -> None:
    before = counts()
    response = api_for(county.staff_by_role()[username]).post(
        reverse("api-retiree-intake"), payload(county), format="multipart"
    )
    assert response.status_code == 403
    assert counts() == before


def test_documented_in_the_schema(client, county: County) -> None:
    client.force_login(county.admin)
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/retirees/intake/"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert "201" in operation["responses"]
