"""One retiree's record, as the record page and the API detail show it."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from ..access import get_visible_retiree_or_404
from ..id_numbers import mask_account_number, mask_resident_id
from ..models import (
    Agent,
    ArrearsItem,
    BankAccount,
    ChangeRequest,
    ManagementFeeReceipt,
    PensionRate,
    Recovery,
    Retiree,
    Staff,
    StatusChange,
)


def retiree_detail(*, user: Staff, pk: int) -> Retiree:
    """One retiree with everything the record page's tabs show, or 404 when out of the user's scope.
    A fixed number of queries whatever the length of the histories."""
    queryset = Retiree.objects.select_related("community", "community__parent", "employer").prefetch_related(
        Prefetch("bank_accounts", queryset=BankAccount.objects.select_related("bank", "created_by")),
        Prefetch("rates", queryset=PensionRate.objects.select_related("created_by")),
        Prefetch("status_changes", queryset=StatusChange.objects.select_related("actor")),
        Prefetch("agents", queryset=Agent.objects.select_related("created_by")),
        Prefetch(
            "change_requests", queryset=ChangeRequest.objects.select_related("requested_by", "decided_by")
        ),
        Prefetch("arrears", queryset=ArrearsItem.objects.select_related("created_by")),
        Prefetch("recoveries", queryset=Recovery.objects.select_related("created_by")),
        Prefetch(
            "fee_receipts",
            queryset=ManagementFeeReceipt.objects.select_related("received_by").order_by("-paid_on", "-id"),
        ),
    )
    return get_visible_retiree_or_404(user, pk, queryset)


def current_rate(retiree: Retiree) -> PensionRate | None:
    """The newest rate (retiree_detail prefetches rates newest first)."""
    rates = list(retiree.rates.all())
    return rates[0] if rates else None


def current_bank_account(retiree: Retiree) -> BankAccount | None:
    """The current account among the prefetched ones (retiree_detail prefetches them, current first)."""
    return next((account for account in retiree.bank_accounts.all() if account.is_current), None)


def current_agent(retiree: Retiree) -> Agent | None:
    """The agent in force among the prefetched ones, if any."""
    return next((agent for agent in retiree.agents.all() if agent.is_current), None)


# Keys of a change request's old/new value (or the field itself) that hold a number shown only masked.
_ID_KEYS = frozenset({"id_number", "id_number_original", "agent_id_number"})
_ACCOUNT_KEYS = frozenset({"account_number"})


def masked_value(key: str, value: Any) -> Any:
    """`value` with any ID or account number in it masked, looked up by its key (or field name).
    Change requests keep their old and new values as JSON whose shape depends on the field changed."""
    if isinstance(value, dict):
        return {k: masked_value(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked_value(key, v) for v in value]
    if isinstance(value, str) and value:
        if key in _ID_KEYS or key.endswith("id_number"):
            return mask_resident_id(value)
        if key in _ACCOUNT_KEYS or key.endswith("account_number"):
            return mask_account_number(value)
    return value


def change_value_text(field: str, value: Any) -> str:
    """A change request's old or new value as one line for a person, sensitive numbers masked."""
    value = masked_value(field, value)
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return ";".join(f"{k}: {'—' if v in (None, '') else v}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)
