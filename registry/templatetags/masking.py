"""Masked ID and account numbers for the pages: `{{ retiree.id_number|masked_id }}`. Full numbers are shown
only through the recorded reveal (registry.services.sensitive_view_record)."""

from __future__ import annotations

from django import template

from registry.id_numbers import mask_account_number, mask_resident_id

register = template.Library()


@register.filter
def masked_id(number: str | None) -> str:
    return mask_resident_id(number) if number else ""


@register.filter
def masked_account(number: str | None) -> str:
    return mask_account_number(number) if number else ""
