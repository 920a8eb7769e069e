"""The approvals inbox (待我审批): one list of everything that waits for a given staff member's approval,
whatever app it belongs to (docs/approvals.md).

Each app registers its kinds of approval in its AppConfig.ready() with `register(ApprovalKind(...))`. A kind
answers three questions for a staff member: may they approve this kind at all, how many items wait for them
(one COUNT, no rows loaded) and which ones (one query, oldest first, at most `limit`). "Waiting for them" is
the kind's own rule and the same one its approval service enforces: in their scope, and never what they
prepared. The inbox page, its API, the menu badge and the home card all read from here, so a new kind appears
in all four without a change to this module or to them.

The registry imports no other app: apps come to it, not the other way round.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class ApprovalItem:
    """One thing waiting for approval, as the inbox shows it."""

    kind: str  # the ApprovalKind's key
    kind_label: str
    title: str
    since: datetime.datetime  # when it started waiting (submitted, requested)
    prepared_by: str  # the preparer's display name; "系统" for a job
    url: str


@dataclass(frozen=True)
class ApprovalKind:
    """A kind of maker-checker object. `may_approve(user)` is the role check (cheap, no query); `count` and
    `items` are only asked when it is true, and each runs one query."""

    key: str
    label: str | Promise
    may_approve: Callable[[Any], bool]
    count: Callable[[Any], int]
    items: Callable[[Any, int], list[ApprovalItem]]  # (user, limit) → oldest first
    list_url: Callable[[], str]  # the kind's own full list, for "see all"
    order: int = 100  # where the kind's section comes on the page


_KINDS: dict[str, ApprovalKind] = {}


def register(kind: ApprovalKind) -> None:
    """Add a kind (from an AppConfig.ready()). Registering the same key again replaces it, so a reloaded app
    never lists its items twice."""
    _KINDS[kind.key] = kind


def kinds() -> list[ApprovalKind]:
    return sorted(_KINDS.values(), key=lambda kind: (kind.order, kind.key))


def kinds_for(user: Any) -> list[ApprovalKind]:
    """The kinds this staff member may approve (no query)."""
    return [kind for kind in kinds() if kind.may_approve(user)]


def may_use_inbox(user: Any) -> bool:
    """The inbox is for whoever may approve at least one kind; everyone else gets 403."""
    return bool(kinds_for(user))


@dataclass(frozen=True)
class InboxSection:
    kind: ApprovalKind
    count: int
    items: list[ApprovalItem]

    @property
    def more(self) -> int:
        """How many wait beyond the items shown."""
        return max(self.count - len(self.items), 0)


def waiting_count(user: Any) -> int:
    """The badge: how many items wait for this staff member across all kinds (one COUNT per kind)."""
    return sum(kind.count(user) for kind in kinds_for(user))


def inbox(user: Any, *, limit: int = 50) -> list[InboxSection]:
    """Per kind the user may approve: how many wait and the oldest `limit` of them (two queries per kind;
    a kind with nothing waiting costs its COUNT only)."""
    sections = []
    for kind in kinds_for(user):
        count = kind.count(user)
        items = kind.items(user, limit) if count else []
        sections.append(InboxSection(kind=kind, count=count, items=items))
    return sections


def waiting_items(user: Any, *, limit: int = 50) -> list[ApprovalItem]:
    """Every kind's oldest items in one list, oldest first (the home card and the API). One query per kind."""
    items = [item for kind in kinds_for(user) for item in kind.items(user, limit)]
    return sorted(items, key=lambda item: item.since)[:limit]
