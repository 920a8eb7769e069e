"""Certification progress (认证进度): who is due, who is certified and who is still missing, per township and
community, with the certifications by day (docs/certification-progress.md).

Definitions for campaign year Y:
- due (应认证): retirees whose status is active or suspended today (deceased and terminated people are not)
  and who retired before Y (due_before(): those retiring during Y were checked at intake);
- certified (已认证): due retirees with a certification for Y in the campaign mode, or, in the 12-month mode,
  one dated within the 12 months up to the as-of date (certified_since());
- remaining (未认证) = due − certified.
The as-of date is today, or December 31 of Y for a past year.

In the campaign mode the counts come from the kept counts (registry.RetireeCount for due,
certification.CertifiedCount for certified, both kept by triggers, docs/page-speed.md), summed per community
and added up per township and for the total, so the total is the sum of the rows by construction. The
12-month mode counts distinct people over a sliding window, which sums cannot give: one grouped statement
over the retirees (ROLLUP by township and community). Reads only: a year without a campaign row is shown
with the default dates and the county's mode, and no row is written.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Collate

from registry import access
from registry.models import Agent, OrgUnit, Retiree, RetireeCount, Staff
from registry.replica import read_connection
from registry.selectors import in_unit_order
from registry.sql import with_names

from ..models import Campaign, Certification, CertifiedCount
from ..services.certify import certified_since, due_before

DUE_STATUSES = (Retiree.Status.ACTIVE, Retiree.Status.SUSPENDED)
# PostgreSQL's ICU collation for Chinese sorts names by pinyin, as a printed list is read; the database's
# own C.UTF-8 collation would sort them by code point.
PINYIN_COLLATION = "zh-x-icu"
Kind = OrgUnit.Kind


@dataclass(frozen=True)
class Counts:
    due: int
    certified: int

    @property
    def remaining(self) -> int:
        return self.due - self.certified

    @property
    def percent(self) -> Decimal | None:
        """Certified ÷ due in per cent, one decimal, half up; None when nobody is due."""
        if not self.due:
            return None
        return (Decimal(self.certified) * 100 / self.due).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def bar_width(self) -> str:
        """The progress bar's width for a style attribute, with a dot whatever the language."""
        return f"{self.percent or 0:.1f}"


@dataclass(frozen=True)
class ProgressRow:
    unit: OrgUnit
    counts: Counts
    has_children: bool  # a township row links to its communities


@dataclass(frozen=True)
class DayPoint:
    day: datetime.date
    certifications: int  # records dated that day (bars)
    cumulative: int | None  # due retirees certified up to that day; None after the as-of date


@dataclass(frozen=True)
class Progress:
    year: int
    campaign: Campaign  # unsaved when the year has no campaign row yet
    as_of: datetime.date
    since: datetime.date | None  # the 12-month mode's earliest counting date; None in the campaign mode
    unit: OrgUnit
    path: list[OrgUnit]  # the units from the user's own down to `unit`, for the breadcrumb
    rows: list[ProgressRow]
    total: Counts
    by_day: list[DayPoint]

    @property
    def rolling(self) -> bool:
        return self.since is not None


# The unit and the year -----------------------------------------------------------------------------------


def progress_years(*, today: datetime.date) -> list[int]:
    """The year selector: the years that have a campaign, and the current one; newest first."""
    years = set(Campaign.objects.values_list("year", flat=True)) | {today.year}
    return sorted(years, reverse=True)


def as_of_date(year: int, today: datetime.date) -> datetime.date:
    return min(today, datetime.date(year, 12, 31))


def _home_unit(user: Staff) -> OrgUnit | None:
    if user.org_unit_id is not None and not user.is_superuser:
        return user.org_unit
    if access.sees_whole_county(user):
        return OrgUnit.objects.filter(kind=Kind.COUNTY).order_by("sort_order", "code").first()
    return user.org_unit


def progress_unit(*, user: Staff, unit_id: int | None) -> OrgUnit:
    """The unit asked for, or the user's own; OrgUnit.DoesNotExist when it is outside the user's scope
    (a page answers 404, saying nothing about the unit)."""
    if unit_id is None:
        unit = _home_unit(user)
        if unit is None:
            raise OrgUnit.DoesNotExist
        unit_id = unit.pk
    return access.visible_units(user).select_related("parent").get(pk=unit_id)


def _path(user: Staff, unit: OrgUnit) -> list[OrgUnit]:
    visible = set(access.visible_units(user).values_list("pk", flat=True))
    path = [unit]
    while path[0].parent_id is not None and path[0].parent_id in visible:
        parent = path[0].parent
        assert parent is not None  # noqa: S101  # parent_id is set
        path.insert(0, parent)
    return path


# Counting ---------------------------------------------------------------------------------------------------


def _certified_condition(since: datetime.date | None) -> str:
    """The certifications that count, for a statement with the parameters year, since and as_of. Two fixed
    texts rather than one CASE, so each mode's condition can use its own index."""
    if since is None:
        return "cert.year = %(year)s"
    return "cert.certified_on BETWEEN %(since)s AND %(as_of)s"


_IN_COMMUNITIES = with_names("r.{retiree.community} = ANY(%(communities)s)", retiree=Retiree)


def _scope_condition(unit: OrgUnit) -> str:
    """The retirees of `unit` (r: retiree), for a statement with the parameter communities. A list of
    community ids rather than a join on the township keeps the plan on the (community, status) index."""
    if unit.kind == Kind.COUNTY:
        return "TRUE"
    return _IN_COMMUNITIES


def _community_ids(unit: OrgUnit) -> list[int]:
    if unit.kind == Kind.COMMUNITY:
        return [unit.pk]
    if unit.kind == Kind.TOWNSHIP:
        return list(OrgUnit.objects.filter(parent=unit).values_list("pk", flat=True))
    return []


# The registry's tables are read here in SQL; their names come from the models (registry.sql), so a rename
# fails at import. ROLLUP gives the (township, community) rows, each township's subtotal and the grand total
# in one pass. GROUPING(...) says which: 0 a community, 1 a township subtotal, 3 the total.
_COUNTS = with_names(
    """
WITH certified AS ({{certified}})
SELECT c.{unit.parent}, r.{retiree.community}, GROUPING(c.{unit.parent}, r.{retiree.community}) AS level,
       count(*) AS due, count(x.retiree_id) AS certified
  FROM {retiree} r
  JOIN {unit} c ON c.{unit.id} = r.{retiree.community}
  LEFT JOIN certified x ON x.retiree_id = r.{retiree.id}
 WHERE r.{retiree.status} IN (%(active)s, %(suspended)s)
   AND r.{retiree.retirement_date} < %(due_before)s AND {{scope}}
 GROUP BY ROLLUP (c.{unit.parent}, r.{retiree.community})
""",
    retiree=Retiree,
    unit=OrgUnit,
)
# In the campaign mode a retiree has at most one certification a year (a unique constraint); in the
# 12-month mode they may have two within the 12 months, hence DISTINCT.
_CERTIFIED_CAMPAIGN = "SELECT cert.retiree_id FROM certification_certification cert WHERE {condition}"
_CERTIFIED_ROLLING = "SELECT DISTINCT cert.retiree_id FROM certification_certification cert WHERE {condition}"


def _params(*, year: int, since: datetime.date | None, as_of: datetime.date, unit: OrgUnit) -> dict[str, Any]:
    return {
        "year": year,
        "since": since,
        "as_of": as_of,
        "communities": _community_ids(unit),
        "active": Retiree.Status.ACTIVE,
        "suspended": Retiree.Status.SUSPENDED,
        "due_before": due_before(year),
    }


def _counts_sql(since: datetime.date | None, unit: OrgUnit) -> str:
    certified = (_CERTIFIED_CAMPAIGN if since is None else _CERTIFIED_ROLLING).format(
        condition=_certified_condition(since)
    )
    return _COUNTS.format(certified=certified, scope=_scope_condition(unit))


def _grouped_counts(
    *, year: int, since: datetime.date | None, as_of: datetime.date, unit: OrgUnit
) -> tuple[dict[int, Counts], dict[int, Counts], Counts]:
    """(by township, by community, total) for the retirees of `unit`."""
    if since is None:
        return _kept_counts(year=year, unit=unit)
    townships: dict[int, Counts] = {}
    communities: dict[int, Counts] = {}
    total = Counts(due=0, certified=0)
    with read_connection().cursor() as cursor:
        cursor.execute(_counts_sql(since, unit), _params(year=year, since=since, as_of=as_of, unit=unit))
        for township_id, community_id, level, due, certified in cursor.fetchall():
            counts = Counts(due=due, certified=certified)
            if level == 0:
                communities[community_id] = counts
            elif level == 1:
                townships[township_id] = counts
            else:
                total = counts
    return townships, communities, total


def _kept_counts(*, year: int, unit: OrgUnit) -> tuple[dict[int, Counts], dict[int, Counts], Counts]:
    """The campaign mode's (by township, by community, total) from the kept counts (RetireeCount for due,
    CertifiedCount for certified): a few thousand rows summed instead of the registry joined to the year's
    certifications (2.8–3.4 s county-wide at 1,000,000 retirees). The same definitions: due is active or
    suspended and retired before the year, certified is a certification for the year of a due retiree."""
    due_rows = RetireeCount.objects.filter(status__in=DUE_STATUSES, retired_year__lt=_due_below_year(year))
    certified_rows = CertifiedCount.objects.filter(
        year=year, status__in=DUE_STATUSES, retired_before_year=True
    )
    if unit.kind != Kind.COUNTY:
        scope = _community_ids(unit)
        due_rows = due_rows.filter(community_id__in=scope)
        certified_rows = certified_rows.filter(community_id__in=scope)
    due = _sum_by_community(due_rows)
    certified = _sum_by_community(certified_rows)
    parents = dict(
        OrgUnit.objects.filter(pk__in=set(due) | set(certified)).values_list("pk", "parent_id").order_by()
    )
    communities: dict[int, Counts] = {}
    by_township: dict[int, list[int]] = {}
    for community_id in sorted(set(due) | set(certified)):
        counts = Counts(due=due.get(community_id, 0), certified=certified.get(community_id, 0))
        communities[community_id] = counts
        township = parents.get(community_id)
        if township is not None:
            by_township.setdefault(township, [0, 0])
            by_township[township][0] += counts.due
            by_township[township][1] += counts.certified
    townships = {pk: Counts(due=pair[0], certified=pair[1]) for pk, pair in by_township.items()}
    total = Counts(
        due=sum(counts.due for counts in communities.values()),
        certified=sum(counts.certified for counts in communities.values()),
    )
    return townships, communities, total


def _due_below_year(year: int) -> int:
    """The kept counts are by retirement year (RetireeCount) and by "retired before the certification's year"
    (CertifiedCount), which say "retired before due_before" only while that is a January 1."""
    first = due_before(year)
    if (first.month, first.day) != (1, 1):
        raise ValueError(f"due_before({year}) is {first}: the kept counts need a January 1")
    return first.year


def _sum_by_community(rows: QuerySet[Any]) -> dict[int, int]:
    return {
        community_id: int(n)
        for community_id, n in rows.values("community_id")
        .annotate(n=Sum("n"))
        .values_list("community_id", "n")
        if n
    }


# The day series. Bars count every record of a day; the line counts each retiree once, on their first
# counting date, so that it ends at `certified`. In the campaign mode a retiree has one record a year, so both
# are the same count (from CertifiedCount); in the 12-month mode the records are numbered per retiree (a
# window function, which costs a sort: only there).
_BY_DAY_ROLLING = with_names(
    """
WITH counted AS (
    SELECT cert.certified_on,
           row_number() OVER (PARTITION BY cert.retiree_id ORDER BY cert.certified_on, cert.id) AS nth
      FROM certification_certification cert
      JOIN {retiree} r ON r.{retiree.id} = cert.retiree_id
     WHERE {{condition}} AND r.{retiree.status} IN (%(active)s, %(suspended)s)
   AND r.{retiree.retirement_date} < %(due_before)s AND {{scope}}
)
SELECT certified_on, count(*), count(*) FILTER (WHERE nth = 1)
  FROM counted
 GROUP BY certified_on
 ORDER BY certified_on
""",
    retiree=Retiree,
)


def _kept_by_day(*, year: int, unit: OrgUnit) -> dict[datetime.date, tuple[int, int]]:
    """The campaign mode's series from CertifiedCount: a retiree has one certification a year there, so the
    bars and the line's daily steps are the same count."""
    _due_below_year(year)
    rows = CertifiedCount.objects.filter(year=year, status__in=DUE_STATUSES, retired_before_year=True)
    if unit.kind != Kind.COUNTY:
        rows = rows.filter(community_id__in=_community_ids(unit))
    found: dict[datetime.date, tuple[int, int]] = {}
    for day, n in rows.values("certified_on").annotate(n=Sum("n")).values_list("certified_on", "n"):
        if n:
            found[day] = (int(n), int(n))
    return found


def _by_day(
    *,
    campaign: Campaign,
    since: datetime.date | None,
    as_of: datetime.date,
    unit: OrgUnit,
    today: datetime.date,
) -> list[DayPoint]:
    if since is None:
        found = _kept_by_day(year=campaign.year, unit=unit)
    else:
        sql = _BY_DAY_ROLLING.format(condition=_certified_condition(since), scope=_scope_condition(unit))
        with read_connection().cursor() as cursor:
            cursor.execute(sql, _params(year=campaign.year, since=since, as_of=as_of, unit=unit))
            found = {day: (records, first) for day, records, first in cursor.fetchall()}
    if since is not None:
        start, end = since, as_of
    else:
        # The campaign window, stretched to the first and last certification of the year (data comparison
        # may come before the window, late certifications after it) and, this year, to today.
        start = min([campaign.window_start, *found])
        end = max([campaign.window_end, *found, *([today] if campaign.year == today.year else [])])
    points: list[DayPoint] = []
    cumulative = 0
    day = start
    while day <= end:
        records, first = found.get(day, (0, 0))
        cumulative += first
        shown = cumulative if day <= as_of else None
        points.append(DayPoint(day=day, certifications=records, cumulative=shown))
        day += datetime.timedelta(days=1)
    return points


def certification_progress(*, user: Staff, year: int, unit: OrgUnit, today: datetime.date) -> Progress:
    """`unit` (from progress_unit) with its rows: a county's townships, a township's communities, or the
    community itself; the total over the unit; the series by day."""
    campaign = Campaign.or_default(year)
    as_of = as_of_date(year, today)
    since = certified_since(campaign, as_of)
    townships, communities, total = _grouped_counts(year=year, since=since, as_of=as_of, unit=unit)
    empty = Counts(due=0, certified=0)
    rows: list[ProgressRow]
    if unit.kind == Kind.COMMUNITY:
        rows = [ProgressRow(unit=unit, counts=communities.get(unit.pk, empty), has_children=False)]
    else:
        children = list(in_unit_order(OrgUnit.objects.filter(parent=unit)))
        table = townships if unit.kind == Kind.COUNTY else communities
        rows = [
            ProgressRow(unit=child, counts=table.get(child.pk, empty), has_children=unit.kind == Kind.COUNTY)
            for child in children
        ]
    return Progress(
        year=year,
        campaign=campaign,
        as_of=as_of,
        since=since,
        unit=unit,
        path=_path(user, unit),
        rows=rows,
        total=total,
        by_day=_by_day(campaign=campaign, since=since, as_of=as_of, unit=unit, today=today),
    )


def progress_total(*, user: Staff, year: int, today: datetime.date) -> tuple[OrgUnit, Counts] | None:
    """The user's own unit and its total (the home card); None for a user without a unit in scope."""
    try:
        unit = progress_unit(user=user, unit_id=None)
    except OrgUnit.DoesNotExist:
        return None
    campaign = Campaign.or_default(year)
    as_of = as_of_date(year, today)
    since = certified_since(campaign, as_of)
    return unit, _grouped_counts(year=year, since=since, as_of=as_of, unit=unit)[2]


# Who is still missing -------------------------------------------------------------------------------------


def missing_retirees(*, user: Staff, year: int, unit: OrgUnit, today: datetime.date) -> QuerySet[Retiree]:
    """The due retirees of `unit` without a certification that counts, by community (in the tree's order)
    then name (pinyin), with the columns of the list: last certification date and the current agent."""
    campaign = Campaign.or_default(year)
    as_of = as_of_date(year, today)
    since = certified_since(campaign, as_of)
    counting = Certification.objects.filter(retiree=OuterRef("pk"))
    if since is None:
        counting = counting.filter(year=year)
    else:
        counting = counting.filter(certified_on__gte=since, certified_on__lte=as_of)
    retirees = Retiree.objects.filter(status__in=DUE_STATUSES, retirement_date__lt=due_before(year))
    if unit.kind != Kind.COUNTY:
        retirees = retirees.filter(community_id__in=_community_ids(unit))
    latest = Certification.objects.filter(retiree=OuterRef("pk")).order_by("-certified_on", "-id")
    agent = Agent.objects.filter(retiree=OuterRef("pk"), is_current=True)
    missing = access.retirees_visible_to(user, retirees).filter(~Exists(counting)).order_by().values("pk")
    sql, params = missing.query.sql_with_params()
    # OFFSET 0 keeps PostgreSQL from flattening the subquery, so the anti-join runs first (one hash join) and
    # only the missing people are sorted by name. Flattened, the planner sorted every retiree of the unit by
    # the ICU collation before looking for certifications: 1.8 s → 1.0 s for the first page of a township of
    # 185,000 retirees (the 1,000,000-retiree bench database).
    fenced = RawSQL(f"{sql} OFFSET 0", params)  # noqa: S611  # the ORM's own SQL and parameters
    return (
        Retiree.objects.filter(pk__in=fenced)
        .select_related("community", "community__parent")
        .annotate(
            last_certified_on=Subquery(latest.values("certified_on")[:1]),
            agent_name=Subquery(agent.values("name")[:1]),
            agent_relation=Subquery(agent.values("relation")[:1]),
            agent_phone=Subquery(agent.values("phone")[:1]),
        )
        .order_by(
            F("community__parent__sort_order").asc(nulls_first=True),
            "community__parent__code",
            "community__sort_order",
            "community__code",
            Collate("name", PINYIN_COLLATION),
            "id",
        )
    )


def age_on(birth_date: datetime.date, today: datetime.date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
