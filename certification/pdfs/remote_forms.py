"""The combined PDF of a remote batch's forms 《异地居住人员领取社会保险待遇资格协助认证表》: one A4 page per
member, all of them rendered by one WeasyPrint run into one file: every PDF file embeds its own font subset,
so one file per person is ten times slower and two hundred times larger (docs/technical-notes.md, "PDFs").

The top third of the page is the mailing part: the recipient block sits where the window of a DL window
envelope (A4 folded in three) shows it, and a cut line below it lets the office post it otherwise. The
lower two thirds are the form the retiree takes to the social insurance office where they live
(docs/remote-residents.md).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings

from registry.pdfs.rendering import render_pdf
from registry.selectors import county_name

from ..models import Campaign, RemoteBatch, RemoteBatchMember


@dataclass(frozen=True)
class ReturnAddress:
    """Where the form goes back to: the county bureau, from settings (BUREAU_ADDRESS / BUREAU_PHONE) or, until
    they are set, the county org unit's name and a blank to fill in."""

    bureau: str
    address: str
    phone: str


@dataclass(frozen=True)
class Form:
    number: str  # year-batch-sequence, printed on both parts so a returned lower part finds its person
    name: str
    sex: str
    id_number: str  # in full: the assisting office checks it against the ID card
    birth_date: datetime.date
    retirement_date: datetime.date
    employer: str
    province: str
    city: str
    address: str
    phone: str

    @property
    def mailing_address(self) -> str:
        return "".join([self.province, self.city, self.address])


def return_address() -> ReturnAddress:
    bureau = county_name()
    return ReturnAddress(
        bureau=bureau,
        address=settings.BUREAU_ADDRESS or bureau,
        phone=settings.BUREAU_PHONE,
    )


def batch_forms(batch: RemoteBatch) -> Iterator[Form]:
    """The batch's forms in member order, with the mailing address as it was when the batch was made."""
    members = (
        RemoteBatchMember.objects.filter(batch=batch)
        .select_related("retiree", "retiree__employer")
        .order_by("id")
    )
    for sequence, member in enumerate(members.iterator(chunk_size=2000), start=1):
        retiree = member.retiree
        yield Form(
            number=f"{batch.year}-{batch.pk}-{sequence:04d}",
            name=member.name,
            sex=retiree.get_sex_display(),
            id_number=retiree.id_number,
            birth_date=retiree.birth_date,
            retirement_date=retiree.retirement_date,
            employer=retiree.employer.name if retiree.employer else "",
            province=member.remote_province,
            city=member.remote_city,
            address=member.remote_address,
            phone=member.phone,
        )


def forms_context(
    *, batch: RemoteBatch, campaign: Campaign, forms: list[Form], sender: ReturnAddress
) -> dict[str, object]:
    return {"batch": batch, "campaign": campaign, "forms": forms, "sender": sender}


def forms_pdf(*, batch: RemoteBatch, campaign: Campaign, forms: list[Form], sender: ReturnAddress) -> bytes:
    """The forms as one PDF: one WeasyPrint run, so the font subset is embedded once for the whole batch."""
    return render_pdf(
        template="certification/remote/forms_pdf.html",
        context=forms_context(batch=batch, campaign=campaign, forms=forms, sender=sender),
    )


def remote_forms_pdf(*, batch: RemoteBatch) -> bytes:
    """Every form of the batch as one PDF (WeasyPrint once per batch)."""
    return forms_pdf(
        batch=batch,
        campaign=Campaign.or_default(batch.year),
        forms=list(batch_forms(batch)),
        sender=return_address(),
    )
