"""The family's claim as a kind of one-off payment (pensions.one_off_kinds): pensions pays it in its monthly
batch and tells the claim the bank's answer."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pensions.models import OneOffPayment
from pensions.one_off_kinds import OneOffKind, register_one_off_kind


def _on_result(payment: OneOffPayment) -> None:
    from .services.claims import claim_payment_result

    claim_payment_result(payment=payment)


def _source_url(payment: OneOffPayment) -> str:
    return reverse("benefit-claim-detail", args=[payment.source_id])


def register_kind() -> None:
    register_one_off_kind(
        OneOffKind(
            key=OneOffPayment.Kind.DEATH_CLAIM,
            label=_("丧葬补助金和抚恤金"),
            on_result=_on_result,
            source_url=_source_url,
        )
    )
