"""Reads for remote residents (异地居住人员): who a new batch would hold, the batches a user may see, a
batch's members with whether their form came back, and the rows of the upload file. Each starts from
registry.access."""

from __future__ import annotations

import datetime

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from registry import access
from registry.models import Retiree, Staff
from registry.selectors import community_order

from ..models import Campaign, Certification, RemoteBatch, RemoteBatchMember
from .progress import DUE_STATUSES


def certified_for(*, campaign: Campaign, today: datetime.date, retiree_ref: str = "pk") -> Exists:
    """Whether the retiree (OuterRef `retiree_ref`) counts as certified for the campaign on `today`: a record
    for the year, or in the 12-month mode one dated within the 12 months up to today (certified_since)."""
    from ..services.certify import certified_since  # noqa: PLC0415 - the services import these selectors

    since = certified_since(campaign, today)
    records = Certification.objects.filter(retiree_id=OuterRef(retiree_ref))
    if since is None:
        return Exists(records.filter(year=campaign.year))
    return Exists(records.filter(certified_on__gte=since, certified_on__lte=today))


def remote_batch_candidates(*, user: Staff, year: int, today: datetime.date) -> QuerySet[Retiree]:
    """The people a new batch of `year` made by `user` would hold: remote residents of the user's scope whose
    certification is due (active or suspended, retired before the year: due_before), not yet certified for
    the year and not already in a batch of the year (a second batch catches people who moved away later
    without mailing anyone twice)."""
    from ..services.certify import due_before  # noqa: PLC0415 - the services import these selectors

    campaign = Campaign.or_default(year)
    already_in_batch = RemoteBatchMember.objects.filter(retiree_id=OuterRef("pk"), batch__year=year)
    return (
        access.retirees_visible_to(user)
        .filter(
            residence=Retiree.Residence.REMOTE,
            status__in=DUE_STATUSES,
            retirement_date__lt=due_before(year),
        )
        .filter(~certified_for(campaign=campaign, today=today), ~Exists(already_in_batch))
        .order_by(*community_order("community"), "id_number")
    )


def remote_batches_visible_to(user: Staff) -> QuerySet[RemoteBatch]:
    """Batches whose every member the user may see: a file or PDF covering people outside one's scope is
    never handed out. County staff see all of them."""
    if not access.can(user, access.Action.VIEW_REGISTRY):
        return RemoteBatch.objects.none()
    batches = RemoteBatch.objects.select_related("made_by")
    if access.sees_whole_county(user):
        return batches
    outside = RemoteBatchMember.objects.filter(batch_id=OuterRef("pk")).exclude(
        retiree__community_id__in=access.visible_community_ids(user)
    )
    return batches.filter(~Exists(outside))


def remote_batch_list(*, user: Staff, year: int) -> QuerySet[RemoteBatch]:
    """The year's batches, newest first, each with `returned_count`: members certified for the year by any
    channel (the returned form, an import, or a visit home)."""
    returned = (
        RemoteBatchMember.objects.filter(batch_id=OuterRef("pk"))
        .filter(
            Exists(
                Certification.objects.filter(
                    retiree_id=OuterRef("retiree_id"), year=OuterRef(OuterRef("year"))
                )
            )
        )
        .order_by()
        .values("batch_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        remote_batches_visible_to(user)
        .filter(year=year)
        .annotate(returned_count=Coalesce(Subquery(returned), 0))
        .annotate(outstanding_count=F("member_count") - F("returned_count"))
        .order_by("-made_at", "-id")
    )


def remote_batch_get(*, user: Staff, pk: int) -> RemoteBatch:
    """One batch the user may see (RemoteBatch.DoesNotExist otherwise: pages answer 404)."""
    return remote_batches_visible_to(user).get(pk=pk)


def remote_batch_members(
    *, user: Staff, batch: RemoteBatch, returned: bool | None = None
) -> QuerySet[RemoteBatchMember]:
    """The batch's members in the user's scope, in batch order, with the year's certification if any
    (`certified_on`, `certified_channel`, `certifying_office`) and the retiree's current status."""
    year_record = Certification.objects.filter(retiree_id=OuterRef("retiree_id"), year=batch.year)
    members = (
        RemoteBatchMember.objects.filter(batch=batch, retiree__in=access.retirees_visible_to(user))
        .select_related("retiree", "retiree__community", "retiree__community__parent")
        .annotate(
            certified_on=Subquery(year_record.values("certified_on")[:1]),
            certified_channel=Subquery(year_record.values("channel")[:1]),
            certified_office=Subquery(year_record.values("certifying_office")[:1]),
        )
        .order_by("id")
    )
    if returned is True:
        members = members.filter(Exists(year_record))
    elif returned is False:
        members = members.filter(~Exists(year_record))
    return members


def remote_batch_member_get(*, user: Staff, batch: RemoteBatch, pk: int) -> RemoteBatchMember:
    return remote_batch_members(user=user, batch=batch).get(pk=pk)


def remote_upload_rows(*, user: Staff, batch: RemoteBatch) -> QuerySet[RemoteBatchMember]:
    """The upload file's members: the batch in the user's scope with the retiree, the employer and the date
    of the latest certification on record (`last_certified_on`, any year)."""
    return (
        RemoteBatchMember.objects.filter(batch=batch, retiree__in=access.retirees_visible_to(user))
        .select_related("retiree", "retiree__employer")
        .annotate(last_certified_on=Max("retiree__certifications__certified_on"))
        .order_by("id")
    )


def remote_batch_counts(*, batch: RemoteBatch) -> dict[str, int]:
    """Members, returned and outstanding for the whole batch."""
    totals = RemoteBatchMember.objects.filter(batch=batch).aggregate(
        members=Count("id"),
        returned=Count(
            "id",
            filter=Q(
                Exists(Certification.objects.filter(retiree_id=OuterRef("retiree_id"), year=batch.year))
            ),
        ),
    )
    return {
        "members": totals["members"],
        "returned": totals["returned"],
        "outstanding": totals["members"] - totals["returned"],
    }
