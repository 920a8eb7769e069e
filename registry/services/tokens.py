"""API tokens for scripts: one per account, valid for API_TOKEN_TTL_HOURS, revocable (docs/api.md)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from ..models import Staff


def api_token_expires_at(*, token: Token) -> datetime:
    """When the token stops being accepted: its creation plus the configured lifetime."""
    created: datetime = token.created
    return created + timedelta(hours=settings.API_TOKEN_TTL_HOURS)


def api_token_is_expired(*, token: Token) -> bool:
    return timezone.now() >= api_token_expires_at(token=token)


@transaction.atomic
def api_token_issue(*, staff: Staff) -> Token:
    """The account's token: the current one while it is valid, else a new one in place of the expired.

    The row is locked so that two simultaneous requests of one account cannot both replace an expired token
    (the second would hand out a key that the first has already deleted).
    """
    token = Token.objects.select_for_update().filter(user=staff).first()
    if token is not None and api_token_is_expired(token=token):
        token.delete()
        token = None
    if token is None:
        token = Token.objects.create(user=staff)
    return token


@transaction.atomic
def api_token_revoke(*, staff: Staff) -> bool:
    """Revoke the account's token at once (the next request with it is refused). False: it had none."""
    deleted, _ = Token.objects.filter(user=staff).delete()
    return deleted > 0
