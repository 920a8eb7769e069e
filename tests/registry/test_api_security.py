"""API tokens that expire and can be revoked, the throttles, and the schema only for signed-in staff."""

from __future__ import annotations

import datetime
import hashlib
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from registry.api.authentication import TokenObtainRateThrottle
from tests.conftest import PASSWORD
from tests.factories import StaffFactory

TZ = ZoneInfo("Asia/Shanghai")
NINE = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)


def obtain(username: str = "officer_b", password: str = PASSWORD) -> APIClient:
    """A script's client carrying a freshly obtained token."""
    credentials = {"username": username, "password": password}
    response = APIClient().post("/api/auth/token/", credentials, format="json")
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


# Expiry ---------------------------------------------------------------------------------------------------


def test_a_token_says_when_it_expires_and_works_until_then(county, settings):
    settings.API_TOKEN_TTL_HOURS = 8
    with time_machine.travel(NINE, tick=False):
        response = APIClient().post(
            "/api/auth/token/", {"username": "officer_b", "password": PASSWORD}, format="json"
        )
    assert response.json()["expires_at"] == "2026-03-02T17:00:00+08:00"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")

    with time_machine.travel(NINE + datetime.timedelta(hours=7, minutes=59), tick=False):
        assert client.get("/api/me/").json()["username"] == "officer_b"


def test_an_expired_token_is_refused_and_the_next_request_for_one_gets_a_new_token(county, settings):
    settings.API_TOKEN_TTL_HOURS = 8
    with time_machine.travel(NINE, tick=False):
        client = obtain()
    old_key = Token.objects.get(user=county.officer_b).key

    with time_machine.travel(NINE + datetime.timedelta(hours=8), tick=False):
        refused = client.get("/api/me/")
        renewed = APIClient().post(
            "/api/auth/token/", {"username": "officer_b", "password": PASSWORD}, format="json"
        )

    assert (refused.status_code, refused.json()) == (403, {"detail": "认证令牌已过期,请重新获取。"})
    assert renewed.status_code == 200
    assert renewed.json()["token"] != old_key
    assert list(Token.objects.filter(user=county.officer_b).values_list("key", flat=True)) == [
        renewed.json()["token"]
    ]
    assert renewed.json()["expires_at"] == "2026-03-03T01:00:00+08:00"


# Revocation -----------------------------------------------------------------------------------------------


def test_the_owner_revokes_the_token_and_it_stops_working_at_once(county):
    client = obtain()

    response = client.post("/api/auth/token/revoke/")

    assert response.status_code == 204
    assert Token.objects.filter(user=county.officer_b).count() == 0
    refused = client.get("/api/me/")
    assert (refused.status_code, refused.json()) == (403, {"detail": "认证令牌无效。"})


def test_revoking_ones_own_token_leaves_other_accounts_tokens_alone(county):
    obtain("officer_a")
    client = obtain("officer_b")
    kept = Token.objects.get(user=county.officer_a).key

    client.post("/api/auth/token/revoke/")

    assert list(Token.objects.values_list("key", flat=True)) == [kept]


def test_revoking_needs_a_signed_in_caller(county):
    obtain("officer_a")

    response = APIClient().post("/api/auth/token/revoke/")

    assert response.status_code == 403
    assert Token.objects.filter(user=county.officer_a).count() == 1


def test_the_admin_revokes_any_token_in_the_admin_site(county):
    client = obtain("officer_b")
    token = Token.objects.get(user=county.officer_b)

    admin = APIClient()
    admin.force_login(county.admin)
    # The token's own page in the admin site (认证令牌 › 令牌), its "删除" button.
    response = admin.post(f"/admin/authtoken/tokenproxy/{token.user_id}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert Token.objects.count() == 0
    assert client.get("/api/me/").status_code == 403


# Throttles ------------------------------------------------------------------------------------------------


def _forget_token_throttle(username: str) -> None:
    digest = hashlib.sha256(username.encode()).hexdigest()[:32]
    cache.delete(f"throttle_token_127.0.0.1:{digest}")


def test_the_token_endpoint_answers_429_after_its_rate_per_address_and_username(county, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token": "3/minute"}
    _forget_token_throttle("officer_b")
    _forget_token_throttle("officer_a")
    try:
        anonymous = APIClient()
        answers = [
            anonymous.post("/api/auth/token/", {"username": "officer_b", "password": PASSWORD}).status_code
            for _attempt in range(4)
        ]
        other_user = anonymous.post("/api/auth/token/", {"username": "officer_a", "password": PASSWORD})
    finally:
        _forget_token_throttle("officer_b")
        _forget_token_throttle("officer_a")

    assert answers == [200, 200, 200, 429]
    # Another officer behind the same address is not blocked by the first one's attempts.
    assert other_user.status_code == 200


def test_the_whole_api_is_throttled_per_account(county, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "user": "2/minute"}
    key = f"throttle_user_{county.auditor.pk}"
    cache.delete(key)
    client = APIClient()
    client.force_login(county.auditor)
    try:
        answers = [client.get("/api/me/").status_code for _attempt in range(3)]
    finally:
        cache.delete(key)

    assert answers == [200, 200, 429]


def test_the_throttles_count_in_redis_so_every_worker_shares_them(settings):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert TokenObtainRateThrottle.cache is cache


# The schema and Swagger UI ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/schema/", "/api/schema/?format=json"])
def test_anonymous_callers_get_no_schema(county, path):
    response = APIClient().get(path)

    assert response.status_code == 403
    assert b"openapi" not in response.content


def test_the_schema_answers_a_token(county):
    response = obtain("officer_a").get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_an_account_without_a_role_gets_no_schema(county):
    nobody = StaffFactory.create(username="norole", role="", org_unit=None)
    client = APIClient()
    client.force_login(nobody)

    assert client.get("/api/schema/").status_code == 403
    assert client.get("/api/docs/").status_code == 403


def test_swagger_ui_sends_anonymous_browsers_to_the_login_page(county):
    response = APIClient().get("/api/docs/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/api/docs/"
