"""The suspension notices (暂停发放基本养老金告知书) of a suspension run: one combined PDF per
township with one page per person the run suspended, made by a Celery task queued when the run commits
(docs/certification.md).
"""

from __future__ import annotations

import datetime
from typing import cast

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from pensions.models import PayoutPlan
from registry.id_numbers import mask_resident_id
from registry.models import Retiree, StatusChange
from registry.months import PensionMonth
from registry.selectors import county_name

from ..models import Campaign, SuspensionNotice, SuspensionRun
from ..pdfs.suspension_notices import NoticeBatch, NoticeRow, suspension_notices_pdf
from ..selectors.campaigns import run_changes


def _run_day(run: SuspensionRun) -> datetime.date:
    """The effective date the run wrote on its status changes (the day it ran, local time)."""
    first_change = run_changes(run=run).order_by("id").first()
    return first_change.effective_date if first_change is not None else timezone.localdate(run.started_at)


def suspended_from_month(*, run: SuspensionRun) -> PensionMonth:
    """The first month the suspension withholds: the month of the run's effective date, or, when a plan for
    that month or later is already past its draft (submitted, approved, paid), the month after the last such
    plan. A draft is made again from the registry, where the person is now suspended."""
    month = PensionMonth.of(_run_day(run))
    planned = (
        PayoutPlan.objects.exclude(status=PayoutPlan.Status.DRAFT)
        .filter(month__gte=month)
        .order_by("-month")
        .first()
    )
    if planned is None:
        return month
    # PensionMonthField gives a PensionMonth; the stubs see the IntegerField it is built on.
    return cast(PensionMonth, planned.month).next()


def _address(retiree: Retiree) -> str:
    """Where the notice is mailed: a remote resident's address where they live, else the local address."""
    if retiree.residence == Retiree.Residence.REMOTE and retiree.remote_address:
        return f"{retiree.remote_province}{retiree.remote_city}{retiree.remote_address}"
    return retiree.address


def _row(change: StatusChange) -> NoticeRow:
    retiree = change.retiree
    return NoticeRow(
        name=retiree.name,
        masked_id_number=mask_resident_id(retiree.id_number),
        certificate_number=retiree.certificate_number or "",
        community=retiree.community.name,
        address=_address(retiree),
    )


def suspension_notices_make(*, run: SuspensionRun) -> list[SuspensionNotice]:
    """Make the notices file of every township with people suspended by `run` that has none yet; returns the
    files made (none on a second call). One transaction per township, so each file appears on the
    suspension page as soon as it is ready and a failure keeps the townships already done."""
    changes = run_changes(run=run)
    parents = changes.values_list("retiree__community__parent_id", flat=True).order_by()
    township_ids = sorted({pk for pk in parents if pk is not None})
    if not township_ids:
        return []
    campaign = Campaign.or_default(run.year)
    suspended_from = suspended_from_month(run=run)
    dated = _run_day(run)
    bureau = county_name()
    phone = settings.BUREAU_PHONE
    made: list[SuspensionNotice] = []
    for township_id in township_ids:
        with transaction.atomic():
            # Lock the run row: two task runs at once make each township's file one after the other, and the
            # second finds the first's row (the unique run + township is the last line of defence).
            SuspensionRun.objects.select_for_update().get(pk=run.pk)
            if SuspensionNotice.objects.filter(run=run, township_id=township_id).exists():
                continue
            people = (
                changes.filter(retiree__community__parent_id=township_id)
                .select_related("retiree", "retiree__community", "retiree__community__parent")
                .order_by("retiree__community__sort_order", "retiree__community__code", "retiree__name", "id")
            )
            rows = tuple(_row(change) for change in people)
            township = people[0].retiree.community.parent
            assert township is not None  # noqa: S101  # a community always has its township
            pdf = suspension_notices_pdf(
                NoticeBatch(
                    township=township.name,
                    year=run.year,
                    window_start=campaign.window_start,
                    window_end=campaign.window_end,
                    suspended_from=suspended_from,
                    bureau=bureau,
                    bureau_phone=phone,
                    dated=dated,
                    rows=rows,
                )
            )
            notice = SuspensionNotice(run=run, township=township, notice_count=len(rows))
            notice.pdf.save(
                f"suspension-notices-{run.year}-{township.code}.pdf", ContentFile(pdf), save=False
            )
            notice.save()
            made.append(notice)
    return made
