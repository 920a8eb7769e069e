"""The retiree list and its search box."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from ..access import retirees_visible_to
from ..models import BankAccount, PensionRate, Retiree, Staff

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
