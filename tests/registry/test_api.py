"""The REST API: each persona sees exactly what the pages show them; errors are JSON with Chinese messages."""

import datetime
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from registry.models import Agent, Bank, PensionRate, Retiree
from registry.months import PensionMonth
from registry.services import retiree_change_status, retiree_search_keys_rebuild
from tests.conftest import PASSWORD
from tests.factories import (
    BankAccountFactory,
    BankFactory,
    EmployerFactory,
    PensionRateFactory,
    RetireeFactory,
    StaffFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 5, 6, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
NOW_JSON = "2026-05-06T09:30:00+08:00"

COUNTY_ROLES = ("admin", "clerk", "reviewer", "auditor")
PERSONAS = (*COUNTY_ROLES, "officer_a", "officer_b", "station_a1")

# What each persona sees, by the county fixture's attribute names (access.py decides; the API must agree).
RETIREES_SEEN = {
    **{role: ("retiree_a1", "retiree_a2", "retiree_b1") for role in COUNTY_ROLES},
    "officer_a": ("retiree_a1", "retiree_a2"),
    "officer_b": ("retiree_b1",),
    "station_a1": ("retiree_a1",),
}
UNITS_SEEN = {
    **{
        role: ("county", "township_a", "township_b", "community_a1", "community_a2", "community_b1")
        for role in COUNTY_ROLES
    },
    "officer_a": ("township_a", "community_a1", "community_a2"),
    "officer_b": ("township_b", "community_b1"),
    "station_a1": ("community_a1",),
}


def client_for(staff):
    client = APIClient()
    client.force_login(staff)
    return client


def ids_in_id_number_order(county, names):
    retirees = sorted((getattr(county, name) for name in names), key=lambda r: r.id_number)
    return [r.id for r in retirees]


@pytest.fixture
def banks():
    return {
        "PSBC": BankFactory(code="PSBC", name="中国邮政储蓄银行", channel=Bank.Channel.SYSTEM_DIRECT),
        "CCB": BankFactory(code="CCB", name="中国建设银行", channel=Bank.Channel.AGENCY),
    }


@pytest.fixture
def records(county, banks):
    """Retiree A1's full file: employer, an old and a current account, two rates, a suspension and its
    restoration, an agent. B1 is paid through CCB. Everything recorded at NOW."""
    a1 = county.retiree_a1
    a1.employer = EmployerFactory(name="示范机械厂")
    a1.work_start_date = datetime.date(1976, 9, 1)
    a1.contribution_months = 418
    a1.certificate_number = "3607212018000123"
    a1.phone = "13907970001"
    a1.address = "城关镇东街12号"
    a1.save()
    with time_machine.travel(NOW, tick=False):
        BankAccountFactory(
            retiree=a1,
            bank=banks["CCB"],
            account_number="6217000000000011",
            is_current=False,
            valid_from=datetime.date(2018, 4, 1),
            valid_until=datetime.date(2024, 12, 31),
        )
        BankAccountFactory(
            retiree=a1,
            bank=banks["PSBC"],
            account_number="6221000000000022",
            valid_from=datetime.date(2025, 1, 1),
        )
        BankAccountFactory(retiree=county.retiree_b1, bank=banks["CCB"], account_number="6217000000000033")
        PensionRateFactory(retiree=a1, amount=Decimal("2650.00"), effective_month=PensionMonth(2018, 4))
        PensionRateFactory(
            retiree=a1,
            amount=Decimal("2712.35"),
            effective_month=PensionMonth(2026, 1),
            reason=PensionRate.Reason.ANNUAL_ADJUSTMENT,
            note="2026年调待",
        )
        retiree_change_status(
            retiree=a1,
            to_status=Retiree.Status.SUSPENDED,
            effective_date=datetime.date(2025, 9, 1),
            reason="未按期认证",
            by=county.clerk,
        )
        retiree_change_status(
            retiree=a1,
            to_status=Retiree.Status.ACTIVE,
            effective_date=datetime.date(2025, 10, 1),
            reason="补认证",
            by=county.clerk,
        )
        Agent.objects.create(
            retiree=a1,
            name="张小军",
            id_number=make_id_number(datetime.date(1985, 6, 1)),
            relation="儿子",
            phone="13907970002",
            valid_from=datetime.date(2025, 3, 1),
        )
    return county


# Scope: every persona × list, detail, org units -------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_retiree_list_holds_exactly_the_personas_retirees(county, persona):
    response = client_for(getattr(county, persona)).get("/api/retirees/")

    assert response.status_code == 200
    expected = ids_in_id_number_order(county, RETIREES_SEEN[persona])
    assert [item["id"] for item in response.json()["results"]] == expected
    assert response.json()["count"] == len(expected)


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_retiree_outside_the_personas_scope_is_404(county, persona):
    client = client_for(getattr(county, persona))

    for name in ("retiree_a1", "retiree_a2", "retiree_b1"):
        retiree = getattr(county, name)
        response = client.get(f"/api/retirees/{retiree.id}/")
        if name in RETIREES_SEEN[persona]:
            masked = response.json()["id_number_masked"]
            assert (response.status_code, masked) == (200, retiree.masked_id_number)
        else:
            assert (response.status_code, response.json()) == (404, {"detail": "未找到。"})


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_org_units_are_the_personas_subtree(county, persona):
    response = client_for(getattr(county, persona)).get("/api/org-units/")

    assert response.status_code == 200
    assert sorted(unit["id"] for unit in response.json()) == sorted(
        getattr(county, name).id for name in UNITS_SEEN[persona]
    )


def test_an_org_unit_carries_its_place_in_the_tree(county):
    response = client_for(county.officer_a).get("/api/org-units/")

    assert response.json() == [
        {"id": county.township_a.id, "code": "360721100", "name": "城关镇", "kind": "township",
         "parent": county.county.id},
        {"id": county.community_a1.id, "code": "360721100001", "name": "东街社区", "kind": "community",
         "parent": county.township_a.id},
        {"id": county.community_a2.id, "code": "360721100002", "name": "西街社区", "kind": "community",
         "parent": county.township_a.id},
    ]  # fmt: skip


def test_a_nonexistent_retiree_is_404_too(county):
    response = client_for(county.clerk).get("/api/retirees/999999999/")

    assert (response.status_code, response.json()) == (404, {"detail": "未找到。"})


# What a list item and a detail hold -------------------------------------------------------------------------


def test_a_list_item_masks_the_id_number(records):
    retiree_search_keys_rebuild()
    a1 = records.retiree_a1

    response = client_for(records.officer_a).get("/api/retirees/", {"q": "张建国"})

    assert response.json() == {
        "count": 1,
        "count_is_exact": True,
        "page": 1,
        "num_pages": 1,
        "sort": "",
        "sort_applied": True,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": a1.id,
                "name": "张建国",
                "id_number_masked": a1.id_number[:6] + "********" + a1.id_number[-4:],
                "sex": a1.sex,
                "birth_date": "1958-03-14",
                "community": {"id": records.community_a1.id, "name": "东街社区"},
                "township": {"id": records.township_a.id, "name": "城关镇"},
                "status": "active",
                "status_label": "正常发放",
                "residence": "local",
                "certificate_number": "3607212018000123",
            }
        ],
    }


def test_the_detail_holds_the_whole_file_with_exact_amounts_and_masked_numbers(records, banks):
    a1 = records.retiree_a1
    agent = a1.agents.get()
    current_account = {
        "bank_code": "PSBC",
        "bank_name": "中国邮政储蓄银行",
        "account_number_masked": "6221********0022",
        "holder_name": "张建国",
        "is_current": True,
        "valid_from": "2025-01-01",
        "valid_until": None,
    }
    new_rate = {
        "month": "2026-01",
        "amount": "2712.35",
        "reason": "annual_adjustment",
        "reason_label": "年度调待",
        "note": "2026年调待",
        "created_at": NOW_JSON,
    }
    current_agent = {
        "name": "张小军",
        "id_number_masked": agent.id_number[:6] + "********" + agent.id_number[-4:],
        "relation": "儿子",
        "phone": "13907970002",
        "is_current": True,
        "valid_from": "2025-03-01",
        "valid_until": None,
    }

    response = client_for(records.station_a1).get(f"/api/retirees/{a1.id}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": a1.id,
        "name": "张建国",
        "id_number_masked": a1.id_number[:6] + "********" + a1.id_number[-4:],
        "id_number_original_masked": "",
        "sex": a1.sex,
        "birth_date": "1958-03-14",
        "phone": "13907970001",
        "address": "城关镇东街12号",
        "community": {"id": records.community_a1.id, "name": "东街社区"},
        "township": {"id": records.township_a.id, "name": "城关镇"},
        "residence": "local",
        "remote_province": "",
        "remote_city": "",
        "remote_address": "",
        "employer": {"id": a1.employer_id, "name": "示范机械厂"},
        "work_start_date": "1976-09-01",
        "retirement_date": "2018-03-31",
        "contribution_months": 418,
        "certificate_number": "3607212018000123",
        "status": "active",
        "status_label": "正常发放",
        "died_on": None,
        "current_rate": new_rate,
        "current_bank_account": current_account,
        "current_agent": current_agent,
        "bank_accounts": [
            current_account,
            {
                "bank_code": "CCB",
                "bank_name": "中国建设银行",
                "account_number_masked": "6217********0011",
                "holder_name": "张建国",
                "is_current": False,
                "valid_from": "2018-04-01",
                "valid_until": "2024-12-31",
            },
        ],
        "rates": [
            new_rate,
            {
                "month": "2018-04",
                "amount": "2650.00",
                "reason": "initial",
                "reason_label": "初次核定",
                "note": "",
                "created_at": NOW_JSON,
            },
        ],
        "status_changes": [
            {
                "from_status": "suspended",
                "to_status": "active",
                "effective_date": "2025-10-01",
                "reason": "补认证",
                "actor": "c",
                "created_at": NOW_JSON,
            },
            {
                "from_status": "active",
                "to_status": "suspended",
                "effective_date": "2025-09-01",
                "reason": "未按期认证",
                "actor": "c",
                "created_at": NOW_JSON,
            },
        ],
        "agents": [current_agent],
    }
    assert a1.id_number not in response.content.decode()
    assert "6221000000000022" not in response.content.decode()


def test_a_retiree_without_an_account_or_rates_has_empty_sections(county):
    response = client_for(county.clerk).get(f"/api/retirees/{county.retiree_a2.id}/")

    body = response.json()
    assert (
        body["current_bank_account"],
        body["current_rate"],
        body["current_agent"],
        body["bank_accounts"],
        body["rates"],
        body["status_changes"],
        body["agents"],
    ) == (None, None, None, [], [], [], [])
    assert body["employer"] is None


# Filters and their validation -------------------------------------------------------------------------------


def listed_ids(client, **params):
    response = client.get("/api/retirees/", params)
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def test_the_filters_narrow_within_the_scope(records, banks):
    retiree_search_keys_rebuild()
    clerk = client_for(records.clerk)
    a1, a2, b1 = records.retiree_a1, records.retiree_a2, records.retiree_b1
    suspended = RetireeFactory(community=records.community_b1, status=Retiree.Status.SUSPENDED)

    assert listed_ids(clerk, q="李") == [a2.id]
    assert listed_ids(clerk, q=a1.id_number[:17]) == [a1.id]
    assert listed_ids(clerk, q="6217000000000033") == [b1.id]
    assert listed_ids(clerk, township=records.township_b.id) == sorted(
        [b1.id, suspended.id], key=lambda pk: Retiree.objects.get(pk=pk).id_number
    )
    assert listed_ids(clerk, status="suspended") == [suspended.id]
    assert listed_ids(clerk, bank=banks["CCB"].id) == [b1.id]
    assert listed_ids(clerk, bank=banks["PSBC"].id, township=records.township_a.id) == [a1.id]
    # A filter never widens the scope: township B asked for by township A's officer gives nothing.
    assert listed_ids(client_for(records.officer_a), township=records.township_b.id) == []


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"status": "retired"}, {"status": ["没有“retired”这种状态。"]}),
        ({"township": "abc"}, {"township": ["乡镇(街道)应填写单位 ID(整数)。"]}),
        ({"bank": "999999"}, {"bank": ["没有 ID 为 999999 的银行。"]}),
        ({"status": "active", "bank": "x"}, {"bank": ["银行应填写银行 ID(整数)。"]}),
        ({"q": "张" * 51}, {"q": ["请确保这个字段不能超过 50 个字符。"]}),
    ],
)
def test_a_bad_query_parameter_is_400_with_the_field_and_a_chinese_message(county, params, errors):
    response = client_for(county.clerk).get("/api/retirees/", params)

    assert (response.status_code, response.json()) == (400, errors)


def test_a_community_is_not_a_township_filter(county):
    response = client_for(county.clerk).get("/api/retirees/", {"township": county.community_a1.id})

    assert response.status_code == 400
    assert response.json() == {"township": [f"没有 ID 为 {county.community_a1.id} 的乡镇(街道)。"]}


# Who may call at all ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/retirees/", "/api/retirees/1/", "/api/org-units/", "/api/banks/", "/api/me/"]
)
def test_anonymous_is_refused(county, path):
    response = APIClient().get(path)

    assert (response.status_code, response.json()) == (403, {"detail": "身份认证信息未提供。"})


def test_an_account_without_a_role_sees_no_retirees_but_may_ask_who_it_is(county):
    newcomer = StaffFactory(username="newcomer", role="", org_unit=county.county, last_name="新")
    client = client_for(newcomer)

    refused = {"detail": "您没有执行该操作的权限。"}
    for path in (
        "/api/retirees/",
        f"/api/retirees/{county.retiree_a1.id}/",
        "/api/org-units/",
        "/api/banks/",
    ):
        response = client.get(path)
        assert (response.status_code, response.json()) == (403, refused)
    me = client.get("/api/me/")
    assert (me.status_code, me.json()["role"], me.json()["actions"]) == (200, "", [])


def test_me_describes_the_signed_in_officer(county):
    response = client_for(county.officer_a).get("/api/me/")

    assert response.json() == {
        "username": "officer_a",
        "name": "o",
        "role": "township_staff",
        "role_label": "乡镇(社区)经办人员",
        "org_unit": {"id": county.township_a.id, "code": "360721100", "name": "城关镇", "kind": "township"},
        "actions": ["certify", "view_registry"],
    }


def test_me_lists_every_action_of_the_bureau_admin(county):
    response = client_for(county.admin).get("/api/me/")

    assert response.json()["actions"] == [
        "approve_changes",
        "approve_payments",
        "certify",
        "edit_registry",
        "manage_settings",
        "prepare_payments",
        "view_audit",
        "view_registry",
        "view_sensitive",
    ]


def test_banks_are_listed_by_code(county, banks):
    response = client_for(county.officer_b).get("/api/banks/")

    assert response.json() == [
        {
            "id": banks["CCB"].id,
            "code": "CCB",
            "name": "中国建设银行",
            "channel": "agency",
            "is_active": True,
        },
        {
            "id": banks["PSBC"].id,
            "code": "PSBC",
            "name": "中国邮政储蓄银行",
            "channel": "system_direct",
            "is_active": True,
        },
    ]


# Token authentication ---------------------------------------------------------------------------------------


def test_a_script_obtains_a_token_and_calls_with_it(county):
    anonymous = APIClient()

    response = anonymous.post(
        "/api/auth/token/", {"username": "officer_b", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=county.officer_b).key == token
    scripted = APIClient()
    scripted.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listed = scripted.get("/api/retirees/")
    assert [item["id"] for item in listed.json()["results"]] == [county.retiree_b1.id]
    # Asking again while it is valid gives the same token (and the same expiry), not a second one.
    again = anonymous.post("/api/auth/token/", {"username": "officer_b", "password": PASSWORD}, format="json")
    assert again.json() == {"token": token, "expires_at": response.json()["expires_at"]}
    assert Token.objects.count() == 1


def test_a_wrong_password_gets_no_token(county):
    response = APIClient().post(
        "/api/auth/token/", {"username": "officer_b", "password": "wrong-Password-1"}, format="json"
    )

    assert (response.status_code, response.json()) == (
        400,
        {"non_field_errors": ["无法使用提供的认证信息登录。"]},
    )
    assert Token.objects.count() == 0


def test_repeated_wrong_passwords_lock_the_token_endpoint_too(county, settings):
    client = APIClient()
    wrong = {"username": "officer_b", "password": "wrong-Password-1"}
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/auth/token/", wrong, format="json")

    response = client.post("/api/auth/token/", {"username": "officer_b", "password": PASSWORD}, format="json")

    # Django's authenticate() turns the lock into "no user": the right password gets the same refusal.
    assert (response.status_code, response.json()) == (
        400,
        {"non_field_errors": ["无法使用提供的认证信息登录。"]},
    )
    assert Token.objects.count() == 0


def test_an_unknown_token_is_refused(county):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")

    response = client.get("/api/retirees/")

    assert (response.status_code, response.json()) == (403, {"detail": "认证令牌无效。"})


# The schema and its documentation page ----------------------------------------------------------------------


def test_the_openapi_schema_documents_every_endpoint(county):
    response = client_for(county.clerk).get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = json.loads(response.content)
    api_paths = {path: sorted(ops) for path, ops in schema["paths"].items() if path.startswith("/api/")}
    assert {
        "/api/auth/token/": ["post"],
        "/api/auth/token/revoke/": ["post"],
        "/api/banks/": ["get"],
        "/api/me/": ["get"],
        "/api/org-units/": ["get"],
        "/api/retirees/": ["get"],
        "/api/retirees/{id}/": ["get"],
    }.items() <= api_paths.items()
    listing = schema["paths"]["/api/retirees/"]["get"]
    assert listing["summary"] == "退休人员列表"
    assert {p["name"] for p in listing["parameters"]} == {
        "q",
        "township",
        "community",
        "status",
        "bank",
        "residence",
        "sort",
        "page",
    }
    assert schema["paths"]["/api/retirees/{id}/"]["get"]["summary"] == "退休人员详情"


def test_the_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert "/api/retirees/{id}/:" in (tmp_path / "schema.yaml").read_text(encoding="utf-8")


def test_swagger_ui_is_served_from_the_sidecar_not_a_cdn(county):
    response = client_for(county.admin).get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr.net" not in html
    assert "unpkg.com" not in html
    assert "https://" not in html


def queries_for(client, path):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_list_and_detail_queries_do_not_grow_with_the_rows(records):
    client = client_for(records.clerk)
    a1 = records.retiree_a1
    list_before, detail_before = (
        queries_for(client, "/api/retirees/"),
        queries_for(client, f"/api/retirees/{a1.id}/"),
    )

    RetireeFactory.create_batch(5, community=records.community_b1)
    PensionRateFactory(retiree=a1, amount=Decimal("2800.00"), effective_month=PensionMonth(2027, 1))
    retiree_change_status(
        retiree=a1,
        to_status=Retiree.Status.SUSPENDED,
        effective_date=datetime.date(2026, 9, 1),
        reason="未按期认证",
        by=records.clerk,
    )

    assert queries_for(client, "/api/retirees/") == list_before
    assert queries_for(client, f"/api/retirees/{a1.id}/") == detail_before
