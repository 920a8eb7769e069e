"""Printing the benefit certificate (待遇证): from the intake message, the record page or the API, each
printing recorded (docs/intake.md, "Printing and reprinting the certificate")."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import access, selectors
from ..access import Action
from ..errors import CertificateError
from ..models import CertificatePrint, Retiree, SensitiveView, Staff
from ..pdfs.certificate import certificate_context, certificate_pdf


def may_print_certificate(user: Staff) -> bool:
    """Printing the certificate is registry work (it is handed to the person at the counter): the roles that
    do intake. Reviewers and auditors see full numbers through the recorded reveal instead."""
    return access.can(user, Action.EDIT_REGISTRY)


@transaction.atomic
def certificate_print(*, retiree: Retiree, by: Staff, channel: str) -> bytes:
    """The certificate PDF of `retiree`, after recording who printed it, when, and how (page or API).

    404 outside `by`'s scope, 403 for a role that may not print, CertificateError when no number was issued.
    Recorded in the same transaction as the rendering: a PDF that failed to render leaves no record. The full
    ID number it shows is also recorded as a viewing (SensitiveView), as every showing of a full number is."""
    # Scope first: a record outside the user's scope must look the same whatever the role (404, not 403).
    # retiree_detail also loads the rates and accounts the certificate shows, newest first.
    retiree = selectors.retiree_detail(user=by, pk=retiree.pk)
    access.require(by, Action.EDIT_REGISTRY)
    if channel not in CertificatePrint.Channel.values:
        raise CertificateError(_("未知的打印方式:%(channel)s") % {"channel": channel})
    if not retiree.certificate_number:
        raise CertificateError(_("该人员尚未发放待遇证号。"))
    now = timezone.now()
    CertificatePrint.objects.create(
        retiree=retiree,
        certificate_number=retiree.certificate_number,
        printed_by=by,
        printed_at=now,
        channel=channel,
    )
    SensitiveView.objects.create(staff=by, retiree=retiree, field=SensitiveView.Field.ID_NUMBER)
    return certificate_pdf(
        certificate_context(
            retiree=retiree,
            rate=selectors.current_rate(retiree),
            account=selectors.current_bank_account(retiree),
            issued_on=timezone.localtime(retiree.created_at).date(),
        )
    )
