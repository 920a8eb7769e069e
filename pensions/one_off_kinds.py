"""What a one-off payment pays, as the app that owns the source registers it (docs/one-off-payments.md).

pensions pays one-off payments but imports no app that asks for them: benefits (a family's death claim)
registers its kind in its AppConfig.ready() with `register_one_off_kind(OneOffKind(...))`. When a return file
marks a payment paid or failed, pensions calls the kind's `on_result` inside the same transaction, so the
source (the claim) moves with the money; `source_url` links a payment to the page of what it pays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.functional import Promise

if TYPE_CHECKING:
    from .models import OneOffPayment


@dataclass(frozen=True)
class OneOffKind:
    key: str  # OneOffPayment.Kind value
    label: str | Promise
    # Called with the payment after its payment_status changed (paid or failed), in the same transaction.
    on_result: Callable[[OneOffPayment], None]
    source_url: Callable[[OneOffPayment], str]


_KINDS: dict[str, OneOffKind] = {}


def register_one_off_kind(kind: OneOffKind) -> None:
    """Add a kind (from an AppConfig.ready()); the same key again replaces it."""
    _KINDS[kind.key] = kind


def one_off_kind(key: str) -> OneOffKind | None:
    """The registered kind, or None when the app that pays through it is not installed."""
    return _KINDS.get(key)
