"""The test client of a signed-in member of staff, as the page and API tests use it."""

from __future__ import annotations

from typing import Any

from django.test import Client


def signed_in(staff: Any) -> Client:
    client = Client()
    client.force_login(staff)
    return client
