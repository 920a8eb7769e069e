"""Reads from the streaming read replica, only where someone chose it and never for money (docs/deployment.md
"PostgreSQL primary and read replica").

`DATABASES["replica"]` exists only when REPLICA_DATABASE_URL is set; without it `ReplicaRouter` has no
opinion and everything runs on `default`. With it, a read goes to the replica only when all of these hold:

* it runs inside an explicit read-only scope: a view marked `@replica_reads_view` answering GET or HEAD, or a
  block `with replica_reads():` (a long read-only export job);
* nothing was written in that scope yet (after a write the scope reads its own writes from the primary);
* the primary connection is not inside `transaction.atomic` (every service writes under it, so whatever a
  service reads inside its transaction comes from the primary);
* the model does not move money (`MONEY_APPS`, `MONEY_MODELS`) nor say who is signed in (sessions, staff,
  tokens), and no `primary_reads()` block is open.

Writes, `select_for_update` (Django routes it as a write) and migrations always use the primary. The replica
lags the primary by a moment, so the pages that read it say their figures may be a few seconds old.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model
from django.http import HttpRequest

REPLICA = "replica"
# Apps whose every table is about money: plans, lines, bank files, returns, recoveries, one-off payments,
# adjustments (pensions); survivor claims and their parameters (benefits).
MONEY_APPS = frozenset({"pensions", "benefits"})
# Registry tables that decide what is paid and where to: rates, accounts, arrears, recoveries, fee receipts.
MONEY_MODELS = frozenset(
    {
        "registry.pensionrate",
        "registry.bankaccount",
        "registry.arrearsitem",
        "registry.recovery",
        "registry.managementfeereceipt",
    }
)
# Who is signed in is read from the primary: a session or account read from a lagging replica right after
# signing in (or out, or a lockout) would be the old one.
PRIMARY_ONLY_APPS = frozenset({"sessions", "auth", "axes", "authtoken"})
PRIMARY_ONLY_MODELS = frozenset({"registry.staff"})
SAFE_METHODS = frozenset({"GET", "HEAD"})

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class _Scope:
    replica: bool  # False: a primary_reads() block inside (or outside) a replica scope
    wrote: bool = False


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("replica_scope", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def is_money_model(model: type[Model]) -> bool:
    return model._meta.app_label in MONEY_APPS or model._meta.label_lower in MONEY_MODELS


def reads_primary_always(model: type[Model]) -> bool:
    meta = model._meta
    return (
        is_money_model(model)
        or meta.app_label in PRIMARY_ONLY_APPS
        or meta.label_lower in PRIMARY_ONLY_MODELS
    )


@contextmanager
def replica_reads() -> Iterator[None]:
    """Read-only work whose reads may come from the replica (subject to the rules in the module's doc)."""
    token = _scope.set(_Scope(replica=True))
    try:
        yield
    finally:
        _scope.reset(token)


@contextmanager
def primary_reads() -> Iterator[None]:
    """Reads from the primary whatever scope surrounds the block (money work, a read just after a write)."""
    token = _scope.set(_Scope(replica=False))
    try:
        yield
    finally:
        _scope.reset(token)


def reads_primary(function: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of primary_reads(), for services."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with primary_reads():
            return function(*args, **kwargs)

    return wrapper


def replica_reads_view(view: Callable[P, R]) -> Callable[P, R]:
    """A heavy read-only page (or export) that may read from the replica when asked by GET or HEAD. The
    response is rendered inside the scope, so the template's lazy querysets read there too."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        request = args[0]
        if not isinstance(request, HttpRequest) or request.method not in SAFE_METHODS:
            return view(*args, **kwargs)
        request.reads_replica = replica_configured()  # type: ignore[attr-defined]
        # The signed-in user is loaded lazily; load it here, from the primary, outside the scope.
        user = getattr(request, "user", None)
        if user is not None:
            user.is_authenticated  # noqa: B018
        with replica_reads():
            response = view(*args, **kwargs)
            render = getattr(response, "render", None)
            if render is not None and not getattr(response, "is_rendered", True):
                render()
            return response

    return wrapper


def reading_replica() -> bool:
    """Whether a read of a non-money model would go to the replica here and now."""
    scope = _scope.get()
    return (
        scope is not None
        and scope.replica
        and not scope.wrote
        and replica_configured()
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
    )


def read_connection() -> BaseDatabaseWrapper:
    """The connection for a raw read-only SQL statement of non-money tables: the replica inside a replica
    scope (same rules as the router), else the primary."""
    return connections[REPLICA if reading_replica() else DEFAULT_DB_ALIAS]


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: the rules are in the module's doc."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if not replica_configured():
            return None
        if reading_replica() and not reads_primary_always(model):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        scope = _scope.get()
        if scope is not None:
            scope.wrote = True
        return DEFAULT_DB_ALIAS if replica_configured() else None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # Both aliases hold the same data: objects read from either may be related.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
