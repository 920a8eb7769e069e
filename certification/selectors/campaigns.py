"""Reads of campaigns and of a year's suspension run: the people it suspended (its StatusChange rows), per
township, who has been restored since, and the notices made for it. Every read of people is scoped by
registry.access."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import override

from registry import access
from registry.models import OrgUnit, Retiree, Staff, StatusChange
from registry.selectors import community_order, in_unit_order

from ..models import Campaign, SuspensionNotice, SuspensionRun

Status = Retiree.Status


def campaign_list() -> QuerySet[Campaign]:
    """Every year's campaign, newest first, with its suspension run's count (None: not run yet)."""
    runs = SuspensionRun.objects.filter(year=OuterRef("year"))
    return Campaign.objects.annotate(
        run_id=Subquery(runs.values("id")[:1], output_field=IntegerField()),
        run_suspended_count=Subquery(runs.values("suspended_count")[:1], output_field=IntegerField()),
    ).order_by("-year")


def campaign_get(*, year: int) -> Campaign:
    return Campaign.objects.get(year=year)


def suspension_run_of(*, year: int) -> SuspensionRun | None:
    return SuspensionRun.objects.filter(year=year).first()


def run_reason(run: SuspensionRun) -> str:
    """The reason the run wrote on its status changes: stored in the site language, whatever the reader's."""
    # Imported here: the services import these selectors (the notices), and selectors load first in pages.
    from ..services.certify import SUSPENSION_REASON  # noqa: PLC0415

    with override(settings.LANGUAGE_CODE):
        return _(SUSPENSION_REASON) % {"year": run.year}


def run_changes(*, run: SuspensionRun) -> QuerySet[StatusChange]:
    """The run's status changes, all townships: the suspensions by the system account with the run's reason,
    which names the year (a year has one run). Not matched on the run's start time: the demo county's
    suspensions (registry.demo_county) carry the job's actor and reason but the time they were seeded."""
    return StatusChange.objects.filter(
        actor__username=settings.SYSTEM_STAFF_USERNAME,
        to_status=Status.SUSPENDED,
        reason=run_reason(run),
    )


def _restored_on(run: SuspensionRun) -> Subquery:
    """The date a person suspended by the run was made active again (by a certification), if they were."""
    later = StatusChange.objects.filter(
        retiree_id=OuterRef("retiree_id"),
        from_status=Status.SUSPENDED,
        to_status=Status.ACTIVE,
        created_at__gte=run.started_at,
    ).order_by("created_at", "id")
    return Subquery(later.values("effective_date")[:1])


def run_suspended(
    *, run: SuspensionRun, user: Staff, township_id: int | None = None
) -> QuerySet[StatusChange]:
    """The people the run suspended that `user` may see, by township and community, with `restored_on`."""
    changes = run_changes(run=run).filter(retiree__in=access.retirees_visible_to(user))
    if township_id is not None:
        changes = changes.filter(retiree__community__parent_id=township_id)
    return (
        changes.select_related("retiree", "retiree__community", "retiree__community__parent")
        .annotate(restored_on=_restored_on(run))
        .order_by(*community_order("retiree__community"), "retiree__name", "id")
    )


@dataclass(frozen=True)
class TownshipRow:
    township: OrgUnit
    suspended: int
    restored: int
    notice: SuspensionNotice | None

    @property
    def still_suspended(self) -> int:
        return self.suspended - self.restored


def run_townships(*, run: SuspensionRun, user: Staff) -> list[TownshipRow]:
    """Per township in the user's scope with anyone suspended by the run: how many, how many restored since,
    and its notices file (None while it is being made)."""
    counts = (
        run_changes(run=run)
        .filter(retiree__in=access.retirees_visible_to(user))
        .annotate(restored_on=_restored_on(run))
        .values("retiree__community__parent_id")
        .annotate(suspended=Count("id"), restored=Count("id", filter=Q(restored_on__isnull=False)))
        .order_by()
    )
    by_township = {row["retiree__community__parent_id"]: row for row in counts}
    notices = {n.township_id: n for n in SuspensionNotice.objects.filter(run=run)}
    townships = access.visible_townships(user).filter(pk__in=[pk for pk in by_township if pk is not None])
    return [
        TownshipRow(
            township=township,
            suspended=by_township[township.pk]["suspended"],
            restored=by_township[township.pk]["restored"],
            notice=notices.get(township.pk),
        )
        for township in in_unit_order(townships)
    ]


def notices_pending(*, run: SuspensionRun) -> int:
    """How many townships with people suspended by the run still have no notices file (county-wide)."""
    townships = (
        run_changes(run=run).values_list("retiree__community__parent_id", flat=True).distinct().order_by()
    )
    made = SuspensionNotice.objects.filter(run=run).values_list("township_id", flat=True)
    return len(set(townships) - set(made))


def notice_visible_to(*, user: Staff, pk: int) -> SuspensionNotice:
    """One township's notices file, if the user sees that township (else DoesNotExist)."""
    return SuspensionNotice.objects.select_related("run", "township").get(
        pk=pk, township__in=access.visible_townships(user)
    )
