"""Reads of the family's claims (丧葬抚恤待遇, docs/claims.md), scoped to the retirees the user may see
(registry.access.retirees_visible_to). Township officers see their township's claims' progress only: the
views give them the list's status column and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from pensions.models import ArrearsRelease
from pensions.selectors.deaths import DeathMonths, death_months
from registry import access
from registry.access import Action
from registry.models import ArrearsItem
from registry.months import PensionMonth
from registry.selectors.changes import as_month

from ..models import ClaimTransition, SurvivorClaim

Status = SurvivorClaim.Status


def may_see_claim_details(user: Any) -> bool:
    """Amounts, applicant and documents: bureau staff (VIEW_SENSITIVE); a township officer sees the status."""
    return access.can(user, Action.VIEW_SENSITIVE)


def claims_visible_to(user: Any) -> QuerySet[SurvivorClaim]:
    return SurvivorClaim.objects.filter(registration__retiree__in=access.retirees_visible_to(user))


def claim_list(
    *, user: Any, status: str | None = None, township_id: int | None = None
) -> QuerySet[SurvivorClaim]:
    """The claims `user` may see, newest first, optionally of one status and one township."""
    queryset = claims_visible_to(user)
    if status:
        queryset = queryset.filter(status=status)
    if township_id:
        queryset = queryset.filter(registration__retiree__community__parent_id=township_id)
    return queryset.select_related(
        "registration__retiree__community__parent", "prepared_by", "approved_by", "payment"
    ).order_by("-id")


def claim_get(*, user: Any, pk: int) -> SurvivorClaim:
    """One claim the user may see (SurvivorClaim.DoesNotExist otherwise)."""
    return claim_list(user=user).select_related("bank", "registration__recovery").get(pk=pk)


def claims_awaiting(*, user: Any) -> QuerySet[SurvivorClaim]:
    """Submitted claims this reviewer may approve, oldest first: APPROVE_PAYMENTS, in their scope, not
    prepared by them (the rule services.claim_approve enforces)."""
    if not access.can(user, Action.APPROVE_PAYMENTS):
        return SurvivorClaim.objects.none()
    return (
        claims_visible_to(user)
        .filter(status=Status.SUBMITTED)
        .exclude(prepared_by=user.pk)
        .order_by("submitted_at", "id")
    )


def claim_for_registration(*, registration_id: int) -> SurvivorClaim | None:
    return SurvivorClaim.objects.filter(registration_id=registration_id).first()


@dataclass(frozen=True)
class ClaimMonth:
    """One month the claim pays the family, its amount and where it comes from."""

    month: PensionMonth
    amount: Decimal
    source: str
    part: str  # "withheld" or "unpaid": which line of the claim it adds to


@dataclass(frozen=True)
class ClaimBreakdown:
    months: tuple[ClaimMonth, ...]
    from_payment: bool  # the months the approved payment released (else: computed now, for a draft)
    death_months: DeathMonths | None

    @property
    def withheld_total(self) -> Decimal:
        return sum((m.amount for m in self.months if m.part == "withheld"), Decimal("0.00"))

    @property
    def unpaid_total(self) -> Decimal:
        return sum((m.amount for m in self.months if m.part == "unpaid"), Decimal("0.00"))


def claim_breakdown(*, claim: SurvivorClaim) -> ClaimBreakdown:
    """Every month in the claim: for an approved claim the arrears items its payment released, else the
    months as the death sorts them now (pensions.selectors.deaths)."""
    if claim.payment_id is not None:
        items = (
            ArrearsRelease.objects.filter(one_off_payment_id=claim.payment_id)
            .select_related("arrears_item")
            .order_by("arrears_item__month", "arrears_item__id")
        )
        months = []
        for release in items:
            item = release.arrears_item
            withheld = item.reason == ArrearsItem.Reason.RESTORATION
            months.append(
                ClaimMonth(
                    month=as_month(item.month),
                    amount=item.amount,
                    source=str(ArrearsItem.Reason(item.reason).label),
                    part="withheld" if withheld else "unpaid",
                )
            )
        return ClaimBreakdown(months=tuple(months), from_payment=True, death_months=None)
    registration = claim.registration
    sorted_months = death_months(retiree=registration.retiree, died_on=registration.died_on)
    computed = [
        *(
            ClaimMonth(m.month, m.amount, _("暂停发放期间应发"), "withheld")
            for m in sorted_months.withheld_payable
        ),
        *(
            ClaimMonth(m.month, m.amount, _("无已审批发放计划,死亡前应发未发"), "unpaid")
            for m in sorted_months.unpaid_due
        ),
        *(
            ClaimMonth(m.month, m.amount, _("未发放的补发项"), "unpaid")
            for m in sorted_months.arrears_payable
        ),
        *(
            ClaimMonth(m.month, m.amount, _("银行发放失败,未重发"), "unpaid")
            for m in sorted_months.failed_payable
        ),
    ]
    computed.sort(key=lambda m: m.month)
    return ClaimBreakdown(months=tuple(computed), from_payment=False, death_months=sorted_months)


def claim_transitions(*, claim: SurvivorClaim) -> QuerySet[ClaimTransition]:
    return ClaimTransition.objects.filter(claim=claim).select_related("by").order_by("at", "id")
