"""How API callers are recognised and slowed down: the token expiry check and the throttles (docs/api.md).

Loaded by DRF's settings, so it must not import rest_framework.views (that would be a circular import).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from .. import services


class ExpiringTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, refused once the token is older than API_TOKEN_TTL_HOURS."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        user, token = super().authenticate_credentials(key)
        if services.api_token_is_expired(token=token):
            raise AuthenticationFailed(_("认证令牌已过期,请重新获取。"))
        return user, token


# Throttles. The rates are read from the settings at each request (not frozen when DRF loads), so a county
# can change them in the environment and a test can change them with the settings fixture.


class _SettingsRateMixin:
    def get_rate(self) -> str | None:
        rate: str | None = settings.API_THROTTLE_RATES.get(str(getattr(self, "scope", "")))
        return rate


class ApiAnonRateThrottle(_SettingsRateMixin, AnonRateThrottle):
    """Requests without an account, per address (the token endpoint and refused calls)."""


class ApiUserRateThrottle(_SettingsRateMixin, UserRateThrottle):
    """Requests of one signed-in account, per account, whichever way it signed in."""


class TokenObtainRateThrottle(_SettingsRateMixin, SimpleRateThrottle):
    """The password endpoint, per address and username together: guessing passwords for one account from one
    address is slowed at once, while the officers of a township behind one NAT address do not block each
    other (the same reasoning as the login lockout, ADR 0003)."""

    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        username = ""
        if hasattr(request, "data") and hasattr(request.data, "get"):
            username = str(request.data.get("username", "")).strip().lower()
        # Hashed: any text may be sent as a username, and the cache key must stay short and plain.
        digest = hashlib.sha256(username.encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": f"{self.get_ident(request)}:{digest}"}
