"""Reads of the registry. Each starts from what the user may see (registry.access)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from .access import get_visible_retiree_or_404, retirees_visible_to, visible_townships, visible_units
from .models import BankAccount, OrgUnit, PensionRate, Retiree, Staff

_ID_PREFIX = re.compile(r"^\d{4,17}[\dXx]?$")
_DIGITS = re.compile(r"^\d{8,32}$")


@dataclass(frozen=True)
class RetireeFilters:
    q: str = ""
    township_id: int | None = None
    status: str = ""
    bank_id: int | None = None


def retiree_list(*, user: Staff, filters: RetireeFilters) -> QuerySet[Retiree]:
    """The retiree list as a clerk searches it. The box takes an ID number or its prefix, a certificate
    number, an account number or the start of a name (pinyin search comes with the registry search work)."""
    queryset = retirees_visible_to(user).select_related("community", "community__parent")
    query = filters.q.strip()
    if query:
        if _ID_PREFIX.match(query):
            condition = Q(id_number__startswith=query.upper()) | Q(certificate_number__startswith=query)
            if _DIGITS.match(query):
                condition |= Q(Exists(_current_accounts().filter(account_number=query)))
        else:
            condition = Q(name__startswith=query) | Q(certificate_number__startswith=query)
        queryset = queryset.filter(condition)
    if filters.township_id:
        queryset = queryset.filter(community__parent_id=filters.township_id)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.bank_id:
        queryset = queryset.filter(Exists(_current_accounts().filter(bank_id=filters.bank_id)))
    return queryset.order_by("id_number")


def _current_accounts() -> QuerySet[BankAccount]:
    return BankAccount.objects.filter(retiree=OuterRef("pk"), is_current=True)


def retiree_detail(*, user: Staff, pk: int) -> Retiree:
    """One retiree with everything the read-only page shows, or 404 when out of the user's scope."""
    queryset = Retiree.objects.select_related("community", "community__parent", "employer").prefetch_related(
        Prefetch("bank_accounts", queryset=BankAccount.objects.select_related("bank", "created_by")),
        Prefetch("rates", queryset=PensionRate.objects.select_related("created_by")),
        "status_changes__actor",
        "agents",
    )
    return get_visible_retiree_or_404(user, pk, queryset)


def with_list_columns(retirees: QuerySet[Retiree]) -> QuerySet[Retiree]:
    """Current bank and newest monthly amount as subqueries, so a page of 50 costs one query, not 101."""
    current_bank = BankAccount.objects.filter(retiree=OuterRef("pk"), is_current=True).values("bank__name")
    newest_rate = (
        PensionRate.objects.filter(retiree=OuterRef("pk")).order_by("-effective_month").values("amount")
    )
    return retirees.annotate(
        current_bank_name=Subquery(current_bank[:1]),
        current_amount=Subquery(newest_rate[:1]),
    )


def current_rate(retiree: Retiree) -> PensionRate | None:
    """The newest rate (retiree_detail prefetches rates newest first)."""
    rates = list(retiree.rates.all())
    return rates[0] if rates else None


def current_bank_account(retiree: Retiree) -> BankAccount | None:
    """The current account among the prefetched ones (retiree_detail prefetches them, current first)."""
    return next((account for account in retiree.bank_accounts.all() if account.is_current), None)


def county_name() -> str:
    """The county bureau's name, for the login page."""
    county = OrgUnit.objects.filter(kind=OrgUnit.Kind.COUNTY).order_by("sort_order", "code").first()
    return county.name if county else ""


def status_counts(*, user: Staff) -> dict[str, int]:
    rows = retirees_visible_to(user).values("status").annotate(n=Count("id")).order_by()
    counts = {status: 0 for status in Retiree.Status.values}
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def community_counts(*, user: Staff) -> QuerySet[OrgUnit]:
    """The communities in the user's scope with head counts by status (township staff's home page)."""
    status = Retiree.Status
    return (
        visible_units(user)
        .filter(kind=OrgUnit.Kind.COMMUNITY)
        .annotate(
            total=Count("retirees"),
            active=Count("retirees", filter=Q(retirees__status=status.ACTIVE)),
            suspended=Count("retirees", filter=Q(retirees__status=status.SUSPENDED)),
            deceased=Count("retirees", filter=Q(retirees__status=status.DECEASED)),
            terminated=Count("retirees", filter=Q(retirees__status=status.TERMINATED)),
        )
        .order_by("sort_order", "code")
    )


def township_counts(*, user: Staff) -> list[dict[str, Any]]:
    """Per visible township: retirees by status, for the home page table."""
    townships: list[OrgUnit] = list(visible_townships(user).order_by("sort_order", "code"))
    rows = (
        retirees_visible_to(user).values("community__parent_id", "status").annotate(n=Count("id")).order_by()
    )
    table: dict[int, dict[str, int]] = {t.id: dict.fromkeys(Retiree.Status.values, 0) for t in townships}
    for row in rows:
        if row["community__parent_id"] in table:
            table[row["community__parent_id"]][row["status"]] = row["n"]
    return [{"township": t, "counts": table[t.id], "total": sum(table[t.id].values())} for t in townships]
