"""The retiree list and its search box, as clerks search: one box that reads what it was given.

How and why (docs/search.md): a query is turned into one or more *branches*. Each branch is one index-ordered
scan (the ID-number B-tree, the certificate B-tree, the account index, or the search-key B-tree on
(kind, key, retiree)) under the user's scope and filters, read with a LIMIT. The list is the branches one
after the other, each retiree once. So a page never sorts every match, and the total is counted only up to
COUNT_CAP ("1000+"): a full count(*) of a broad search costs more than the page itself
(docs/technical-notes.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.expressions import OrderBy
from django.db.models.functions import Collate

from ..access import retirees_visible_to, visible_units
from ..id_numbers import check_character
from ..models import BankAccount, OrgUnit, PensionRate, Retiree, RetireeFlag, RetireeSearchKey, Staff
from ..search import normalise_name
from .units import community_order

COUNT_CAP = 1000
# Search-key rows the count looks at, at most, per branch (see _Branch).
COUNT_SCAN_BUDGET = 2 * (COUNT_CAP + 1)

_ID_QUERY = re.compile(r"^\d{4,17}[\dX]?$")
_OLD_ID = re.compile(r"^\d{6}\d{2}[01]\d[0-3]\d{4}$")  # 15 digits: area, yymmdd, sequence
_ACCOUNT = re.compile(r"^\d{8,32}$")
_LATIN = re.compile(r"^[a-z]+$")
# CJK ideographs: the basic block, extension A and the supplementary planes (rare name characters).
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_DIGIT = re.compile(r"\d")

# The columns a clerk may sort the list by ("-name": descending). Each has an index that serves the
# ORDER BY of the plain list with a LIMIT (docs/search.md "Sorting"); a search is sorted only when it has
# at most COUNT_CAP matches, which are then sorted by primary key lookups.
SORTS = ("name", "id_number", "retirement_date", "township")
# ICU's Chinese collation sorts names in pinyin order, as printed lists are; `retiree_name_pinyin` indexes it.
NAME_COLLATION = "zh-x-icu"
# A jump to page 5,000 would read 250,000 ids along the index to skip them: further pages are refused.
MAX_PAGE = 1000


def valid_sort(sort: str) -> str:
    """The sort asked for, or "" (the list's own order) for anything else."""
    return sort if sort.lstrip("-") in SORTS else ""


@dataclass(frozen=True)
class RetireeFilters:
    q: str = ""
    township_id: int | None = None
    community_id: int | None = None
    status: str = ""
    bank_id: int | None = None  # the bank of the current account
    residence: str = ""  # Retiree.Residence value
    flag_code: str = ""  # a county flag (人员标记) the person carries now, by FlagKind.code
    sort: str = ""  # one of SORTS, "-" in front for descending; "" keeps the list's own order


@dataclass(frozen=True)
class RetireePage:
    """One page of the list. `count` is exact up to COUNT_CAP; beyond it `count_is_capped` is set. The count
    never sorts or reads every match (docs/search.md)."""

    retirees: list[Retiree]
    number: int
    page_size: int
    has_next: bool
    count: int
    count_is_capped: bool
    count_is_exact: bool = True  # False: a broad search in a narrow scope; `count` is how many were seen
    sort: str = ""
    # False: a search with more than COUNT_CAP matches, listed in its reading order instead of sorted.
    sort_applied: bool = True

    @property
    def total_is_known(self) -> bool:
        return self.count_is_exact and not self.count_is_capped

    @property
    def num_pages(self) -> int:
        """Pages of the counted people: all of them when the total is known, else a floor ("20+ 页")."""
        return max(1, math.ceil(self.count / self.page_size))

    @property
    def max_page(self) -> int:
        """The highest page a jump may ask for."""
        return self.num_pages if self.total_is_known else MAX_PAGE

    @property
    def previous_number(self) -> int:
        return self.number - 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.page_size + 1 if self.retirees else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.page_size + len(self.retirees)


@dataclass(frozen=True)
class _Branch:
    """One index-ordered way of finding matches.

    `queryset`: the matches under scope and filters, in list order (read with a LIMIT for a page).
    `candidates`: for prefix searches, the ids of the matches in the same index order but without scope or
    filters (for keys an index-only range read). The count looks at no more than COUNT_SCAN_BUDGET of them,
    because checking scope and filters costs a visit to each retiree's row, and a township officer has to skip
    the other townships' people (docs/search.md). None for exact matches (an account, an old ID: a handful of
    rows) and for the plain list, whose count is a LIMIT subquery the planner serves from the scope's index.
    `repeats`: a retiree may come more than once (one row per matching key, e.g. both readings of 曾).
    `window_field` / `window_prefix`: a prefix of a unique retiree column (ID, certificate number), whose
    candidates are rows of the retiree table itself: a scoped count then reads the column's own B-tree range
    up to the budget's last candidate, checking scope on the rows it passes, instead of looking every
    candidate up again by id (docs/search.md "Why it stays fast")."""

    label: str
    queryset: QuerySet[Retiree]
    candidates: QuerySet[Any] | None = None
    repeats: bool = False
    window_field: str = ""
    window_prefix: str = ""

    def ids(self, limit: int) -> list[int]:
        return list(self.queryset.values_list("pk", flat=True)[:limit])

    def _count_window_of_column(self) -> tuple[list[int], bool]:
        """The budget's candidates are the first COUNT_SCAN_BUDGET values of a unique column from the prefix
        on: the last of them bounds one range read of that column's B-tree, under scope and filters."""
        field = self.window_field
        last = list(
            Retiree.objects.filter(**{f"{field}__startswith": self.window_prefix})
            .order_by(field)
            .values_list(field, flat=True)[COUNT_SCAN_BUDGET - 1 : COUNT_SCAN_BUDGET]
        )
        window = self.queryset.order_by()
        if last:
            window = window.filter(**{f"{field}__lte": last[0]})
        found = list(window.values_list("pk", flat=True)[: COUNT_CAP + 1])
        return found, not last or len(found) > COUNT_CAP

    def all_ids(self) -> Iterator[int]:
        return self.queryset.values_list("pk", flat=True).iterator(chunk_size=5000)

    def count_ids(self, base: QuerySet[Retiree], *, unscoped: bool) -> tuple[list[int], bool]:
        """Up to COUNT_CAP + 1 matching ids in any order, and whether they are all there are (to the cap).
        `unscoped`: the base is the whole registry (the county, no filter), so every candidate qualifies."""
        if self.candidates is None:
            return list(self.queryset.order_by().values_list("pk", flat=True)[: COUNT_CAP + 1]), True
        if unscoped:
            # One index-only read of the candidates is the answer; no visit to any retiree row.
            window = list(self.candidates[:COUNT_SCAN_BUDGET])
            distinct = list(dict.fromkeys(window))
            return distinct[: COUNT_CAP + 1], len(distinct) > COUNT_CAP or len(window) < COUNT_SCAN_BUDGET
        if self.window_field:
            return self._count_window_of_column()
        looked_at = self.candidates[:COUNT_SCAN_BUDGET]
        found = list(base.filter(pk__in=looked_at).values_list("pk", flat=True)[: COUNT_CAP + 1])
        complete = len(found) > COUNT_CAP or looked_at.count() < COUNT_SCAN_BUDGET
        return found, complete


class RetireeSearch:
    """What the box and the filters ask for, within what the user may see."""

    def __init__(self, *, user: Staff, filters: RetireeFilters) -> None:
        self.user = user
        self.filters = filters
        self.query = normalise_name(filters.q)
        self.base = _filtered(retirees_visible_to(user), filters)
        # No condition at all (a county user, no filter): every candidate of a search is in the list.
        self.unscoped = not self.base.query.where.children
        # The reading order of the query: what the count reads, and the list's order when no sort is asked.
        self.branches = _branches(self.base, self.query)
        self.sort = valid_sort(filters.sort)
        self.list_branches = self.branches
        if self.sort and not self.query:
            self.list_branches = self._sorted_branches()
        self.sort_applied = True
        self._sorted_search_ids: list[int] | None = None

    def _sorted_branches(self) -> list[_Branch]:
        """The plain list in the order asked for: one index-ordered read, or for townships one read per
        community in the unit tree's order (a retiree's township is their community's parent, so no index
        on the retiree table holds that order; each community's people come by ID number)."""
        field, descending = self.sort.lstrip("-"), self.sort.startswith("-")
        if field != "township":
            return [_Branch(self.sort, self.base.order_by(*_ordering(field, descending)))]
        communities = visible_units(self.user).filter(kind=OrgUnit.Kind.COMMUNITY)
        if self.filters.township_id:
            communities = communities.filter(parent_id=self.filters.township_id)
        if self.filters.community_id:
            communities = communities.filter(pk=self.filters.community_id)
        community_ids = list(communities.order_by(*community_order()).values_list("pk", flat=True))
        if descending:
            community_ids.reverse()
        id_order = "-id_number" if descending else "id_number"
        return [
            _Branch(self.sort, self.base.filter(community_id=community_id).order_by(id_order))
            for community_id in community_ids
        ]

    def _search_sorted(self) -> list[int] | None:
        """A search's matches in the order asked for, when there are at most COUNT_CAP of them (sorted by
        primary key lookups); None when there are more, and the list keeps its reading order."""
        if self._sorted_search_ids is None and self.sort_applied:
            ids = self._branch_ids(self.branches, COUNT_CAP + 1)
            if len(ids) > COUNT_CAP:
                self.sort_applied = False
                return None
            field, descending = self.sort.lstrip("-"), self.sort.startswith("-")
            matches = Retiree.objects.filter(pk__in=ids).order_by(*_ordering(field, descending))
            self._sorted_search_ids = list(matches.values_list("pk", flat=True))
        return self._sorted_search_ids

    def ids(self, want: int) -> list[int]:
        """The first `want` retirees of the list, each once, in list order."""
        if self.sort and self.query:
            sorted_ids = self._search_sorted()
            if sorted_ids is not None:
                return sorted_ids[:want]
        return self._branch_ids(self.list_branches, want)

    @staticmethod
    def _branch_ids(branches: list[_Branch], want: int) -> list[int]:
        seen: dict[int, None] = {}
        for branch in branches:
            missing = want - len(seen)
            if missing <= 0:
                break
            # Rows already seen in earlier branches, or repeated within this one, do not count: read more
            # until enough new ones came or the branch ran out.
            # A branch with repeats reads a few more at once: reading again costs more than the margin.
            limit = want + max(4, want // 4) if branch.repeats else want
            while True:
                found = branch.ids(limit)
                new = [pk for pk in dict.fromkeys(found) if pk not in seen]
                if len(found) < limit or len(new) >= missing:
                    break
                # Read again, further: as far as the share of new rows so far says is needed, with a margin
                # (a name search's repeats are a few per cent; re-reading four times as far cost more than
                # the first read).
                needed = math.ceil(limit * missing / max(len(new), 1) * 1.25)
                limit = min(max(needed, limit + 16), limit * 4)
            seen.update(dict.fromkeys(new[:missing]))
        return list(seen)

    def all_ids(self) -> Iterator[int]:
        """Every match in list order (for exports): streamed, each retiree once."""
        if self.sort and self.query:
            sorted_ids = self._search_sorted()
            if sorted_ids is not None:
                yield from sorted_ids
                return
        branches = self.list_branches
        if len(branches) == 1 and not branches[0].repeats:
            yield from branches[0].all_ids()
            return
        seen: set[int] = set()
        for branch in branches:
            for pk in branch.all_ids():
                if pk not in seen:
                    seen.add(pk)
                    yield pk

    def count(self) -> tuple[int, bool, bool]:
        """(count, more than COUNT_CAP, exact). Not exact: the scan budget ran out, so `count` is a floor."""
        seen: set[int] = set()
        for branch in self.branches:
            found, complete = branch.count_ids(self.base, unscoped=self.unscoped)
            seen.update(found)
            if len(seen) > COUNT_CAP:
                return COUNT_CAP, True, True
            if not complete:
                # The budget ran out: the count is a floor whatever the later branches add, so they are
                # not read (each would cost a visit to up to COUNT_SCAN_BUDGET more retiree rows).
                return len(seen), False, False
        return len(seen), False, True

    def page(self, number: int, page_size: int) -> RetireePage:
        number = min(max(number, 1), MAX_PAGE)
        offset = (number - 1) * page_size
        ids = self.ids(offset + page_size + 1)
        if number > 1 and len(ids) <= offset:
            # A page past the end (a jump, a stale link): every match was read, so show the last page.
            number = max(1, math.ceil(len(ids) / page_size))
            offset = (number - 1) * page_size
        has_next = len(ids) > offset + page_size
        if has_next:
            count, capped, exact = self.count()
            # The page itself has seen len(ids) of them: a floor is never below that.
            count = max(count, min(len(ids), COUNT_CAP))
            capped = capped or len(ids) > COUNT_CAP
        else:
            # The page read every branch to its end: the count is exact and costs nothing more.
            count, capped, exact = len(ids), False, True
        return RetireePage(
            retirees=retirees_in_order(ids[offset : offset + page_size]),
            number=number,
            page_size=page_size,
            has_next=has_next,
            count=count,
            count_is_capped=capped,
            count_is_exact=exact,
            sort=self.sort,
            sort_applied=self.sort_applied,
        )


def retiree_search(*, user: Staff, filters: RetireeFilters) -> RetireeSearch:
    return RetireeSearch(user=user, filters=filters)


def retiree_list(*, user: Staff, filters: RetireeFilters, page: int = 1, page_size: int = 50) -> RetireePage:
    """A page of the retiree list as a clerk searches it (the page, the API and the benchmark run this)."""
    return retiree_search(user=user, filters=filters).page(page, page_size)


def retirees_in_order(ids: list[int]) -> list[Retiree]:
    """The retirees with these ids, with the list's columns, in the order given."""
    retirees = Retiree.objects.filter(pk__in=ids).select_related("community", "community__parent")
    rows = with_list_columns(retirees)
    by_id = {retiree.pk: retiree for retiree in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def with_list_columns(retirees: QuerySet[Retiree]) -> QuerySet[Retiree]:
    """Current bank and newest monthly amount as subqueries, so a page of 50 costs one query, not 101."""
    current = BankAccount.objects.filter(retiree=OuterRef("pk"), is_current=True)
    newest_rate = (
        PensionRate.objects.filter(retiree=OuterRef("pk"))
        .order_by("-effective_month", "-revision")
        .values("amount")
    )
    return retirees.annotate(
        current_bank_name=Subquery(current.values("bank__name")[:1]),
        current_account_number=Subquery(current.values("account_number")[:1]),
        current_amount=Subquery(newest_rate[:1]),
    )


# --- filters and branches --------------------------------------------------------------------------------


def _ordering(field: str, descending: bool) -> list[OrderBy]:
    """ORDER BY of a sort; each ends on a unique column so pages never overlap. The plain list's reads are
    served by `retiree_name_pinyin`, the ID number's unique B-tree, `retiree_retirement_date`; townships
    (used here only for a search's few matches) join the unit tree."""
    keys: list[Any]
    if field == "name":
        keys = [Collate("name", NAME_COLLATION), F("id")]
    elif field == "retirement_date":
        keys = [F("retirement_date"), F("id")]
    elif field == "township":
        keys = [F(name) for name in community_order("community")] + [F("id_number")]
    else:
        keys = [F("id_number")]
    return [key.desc() if descending else key.asc() for key in keys]


def _filtered(queryset: QuerySet[Retiree], filters: RetireeFilters) -> QuerySet[Retiree]:
    if filters.township_id:
        # A list of community ids rather than a join to the unit tree keeps the plan on the retiree's own
        # indexes (as access.retirees_visible_to does); it can only narrow the scope, never widen it.
        communities = OrgUnit.objects.filter(parent_id=filters.township_id, kind=OrgUnit.Kind.COMMUNITY)
        queryset = queryset.filter(community_id__in=list(communities.values_list("id", flat=True)))
    if filters.community_id:
        queryset = queryset.filter(community_id=filters.community_id)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.residence:
        queryset = queryset.filter(residence=filters.residence)
    if filters.flag_code:
        carries = RetireeFlag.objects.filter(
            retiree=OuterRef("pk"), kind__code=filters.flag_code, removed_at__isnull=True
        )
        queryset = queryset.filter(Exists(carries))
    if filters.bank_id:
        current_at_bank = BankAccount.objects.filter(
            retiree=OuterRef("pk"), is_current=True, bank_id=filters.bank_id
        )
        queryset = queryset.filter(Exists(current_at_bank))
    return queryset


def _branches(base: QuerySet[Retiree], query: str) -> list[_Branch]:
    if not query:
        return [_Branch("all", base.order_by("id_number"))]
    if _HAN.search(query):
        return _name_branches(base, query)
    if _LATIN.match(query.lower()):
        pinyin = query.lower()
        return [
            _key_prefix_branch(base, RetireeSearchKey.Kind.PINYIN, pinyin),
            _key_prefix_branch(base, RetireeSearchKey.Kind.INITIALS, pinyin),
        ]
    branches: list[_Branch] = []
    id_query = query.upper()
    if _OLD_ID.match(query):
        # An old 15-digit number: the 18-digit number it became (the prefix branch finds no one for it).
        first17 = query[:6] + "19" + query[6:]
        converted = first17 + check_character(first17)
        branches.append(_Branch("id15", base.filter(id_number=converted).order_by("id_number")))
    if _ID_QUERY.match(id_query):
        branches.append(_prefix_branch(base, "id_number", id_query))
    if _DIGIT.search(query):
        branches.append(_prefix_branch(base, "certificate_number", query))
    if _ACCOUNT.match(query):
        # Current and earlier accounts: a clerk may hold an old passbook.
        holders = BankAccount.objects.filter(account_number=query).values("retiree_id")
        branches.append(_Branch("account", base.filter(pk__in=holders).order_by("id_number")))
    return branches


def _prefix_branch(base: QuerySet[Retiree], field: str, prefix: str) -> _Branch:
    """A prefix of a C-collated unique column: its B-tree serves both the LIKE and the ORDER BY."""
    condition = {f"{field}__startswith": prefix}
    unscoped = Retiree.objects.filter(**condition).order_by(field).values_list("pk", flat=True)
    return _Branch(
        field,
        base.filter(**condition).order_by(field),
        candidates=unscoped,
        window_field=field,
        window_prefix=prefix,
    )


def _name_branches(base: QuerySet[Retiree], name: str) -> list[_Branch]:
    """Names starting with what was typed first (ordered by name), then names holding it elsewhere."""
    starting = _key_prefix_branch(base, RetireeSearchKey.Kind.NAME, name)
    piece = RetireeSearchKey.Kind.PIECE
    candidates = RetireeSearchKey.objects.filter(kind=piece, key=name[:2]).order_by("retiree_id")
    key_ids = candidates.values_list("retiree_id", flat=True)
    if len(name) <= 2:
        # Every 1–2 character piece is a key: 伟 finds 张伟, 建国 finds 张建国.
        holding = base.filter(search_keys__kind=piece, search_keys__key=name)
    else:
        # Longer: the people holding its first two characters, then the whole text anywhere in the name.
        holding = base.filter(search_keys__kind=piece, search_keys__key=name[:2], name__contains=name)
        key_ids = candidates.filter(retiree__name__contains=name).values_list("retiree_id", flat=True)
    # Within one exact key the B-tree is ordered by retiree, so this is a range read, not a sort.
    return [starting, _Branch("piece", holding.order_by("search_keys__retiree_id"), candidates=key_ids)]


def _key_prefix_branch(base: QuerySet[Retiree], kind: str, prefix: str) -> _Branch:
    matches = base.filter(search_keys__kind=kind, search_keys__key__startswith=prefix)
    candidates = RetireeSearchKey.objects.filter(kind=kind, key__startswith=prefix)
    candidates = candidates.order_by("key", "retiree_id")
    return _Branch(
        kind,
        matches.order_by("search_keys__key", "search_keys__retiree_id"),
        candidates=candidates.values_list("retiree_id", flat=True),
        repeats=True,
    )
