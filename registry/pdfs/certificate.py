"""The printed benefit certificate (基本养老保险待遇证), A5; its number is issued by
registry.services.certificate_numbers."""

from __future__ import annotations

import datetime

from django.utils import timezone

from ..id_numbers import mask_resident_id
from ..models import BankAccount, OrgUnit, PensionRate, Retiree
from .rendering import render_pdf


def certificate_context(
    *,
    retiree: Retiree,
    rate: PensionRate | None,
    account: BankAccount | None,
    issued_on: datetime.date | None = None,
) -> dict[str, object]:
    county = OrgUnit.objects.filter(kind=OrgUnit.Kind.COUNTY).order_by("sort_order", "code").first()
    photo_uri = ""
    if retiree.photo:
        photo_uri = retiree.photo.path
    return {
        "retiree": retiree,
        "rate": rate,
        "account": account,
        "masked_account": _mask_account(account.account_number) if account else "",
        "county_name": county.name if county else "",
        "issued_on": issued_on or timezone.localdate(),
        "photo_path": photo_uri,
        "masked_id": mask_resident_id(retiree.id_number),
    }


def _mask_account(number: str) -> str:
    """6221 **** **** 1234: enough to recognise the passbook, not to use it."""
    if len(number) <= 8:
        return number
    return f"{number[:4]} **** {number[-4:]}"


def certificate_pdf(context: dict[str, object]) -> bytes:
    """The A5 certificate. The photo is read from the file system (a file:// URL under MEDIA_ROOT), never by
    URL from the web."""
    return render_pdf(template="registry/intake/certificate_pdf.html", context=context)
