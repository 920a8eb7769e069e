"""One retiree's record, as the record page shows it."""

from __future__ import annotations

from django.db.models import Prefetch

from ..access import get_visible_retiree_or_404
from ..models import BankAccount, PensionRate, Retiree, Staff


def retiree_detail(*, user: Staff, pk: int) -> Retiree:
    """One retiree with everything the read-only page shows, or 404 when out of the user's scope."""
    queryset = Retiree.objects.select_related("community", "community__parent", "employer").prefetch_related(
        Prefetch("bank_accounts", queryset=BankAccount.objects.select_related("bank", "created_by")),
        Prefetch("rates", queryset=PensionRate.objects.select_related("created_by")),
        "status_changes__actor",
        "agents",
    )
    return get_visible_retiree_or_404(user, pk, queryset)


def current_rate(retiree: Retiree) -> PensionRate | None:
    """The newest rate (retiree_detail prefetches rates newest first)."""
    rates = list(retiree.rates.all())
    return rates[0] if rates else None


def current_bank_account(retiree: Retiree) -> BankAccount | None:
    """The current account among the prefetched ones (retiree_detail prefetches them, current first)."""
    return next((account for account in retiree.bank_accounts.all() if account.is_current), None)
