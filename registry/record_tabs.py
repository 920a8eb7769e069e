"""Tabs and menu links other apps add to a retiree's record page (docs/record-page.md "Tabs from other
apps").

The registry imports no other app, so an app registers its tab from its AppConfig.ready():
`register_record_tab(RecordTab(key, label, url_name, visible))`. The record page shows each tab the user may
see and loads its pane lazily (htmx, the first time it becomes visible), from `url_name` reversed with the
retiree's pk. The app's view checks scope and permission itself, as every view does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class RecordTab:
    key: str  # used in element ids: pane-<key>, tab-<key>
    label: str | Promise
    url_name: str  # a view taking the retiree's pk, returning the pane's partial
    visible: Callable[[Any], bool]  # (user) → may this user see the tab (no query)
    icon: str = "bi-folder2-open"
    order: int = 100


@dataclass(frozen=True)
class ShownTab:
    key: str
    label: str | Promise
    url: str
    icon: str


_TABS: dict[str, RecordTab] = {}


def register_record_tab(tab: RecordTab) -> None:
    """Add a tab; registering the same key again replaces it (a reloaded app)."""
    _TABS[tab.key] = tab


def record_tabs_for(user: Any, retiree_pk: int) -> list[ShownTab]:
    """The registered tabs this user may see, in order, with the URL of their pane for this retiree."""
    tabs = sorted(_TABS.values(), key=lambda tab: (tab.order, tab.key))
    return [
        ShownTab(key=tab.key, label=tab.label, url=reverse(tab.url_name, args=[retiree_pk]), icon=tab.icon)
        for tab in tabs
        if tab.visible(user)
    ]


@dataclass(frozen=True)
class RecordAction:
    """A link another app adds to the record page's "待遇变动" menu (e.g. benefits' "登记死亡"). Shown to
    those who may end a retiree's benefit (EDIT_REGISTRY, the person active or suspended) when `visible`."""

    key: str
    label: str | Promise
    url_name: str  # a view taking the retiree's pk
    visible: Callable[[Any], bool]
    order: int = 100


@dataclass(frozen=True)
class ShownAction:
    id: str
    label: str | Promise
    url: str


_ACTIONS: dict[str, RecordAction] = {}


def register_record_action(action: RecordAction) -> None:
    _ACTIONS[action.key] = action


def record_actions_for(user: Any, retiree_pk: int) -> list[ShownAction]:
    actions = sorted(_ACTIONS.values(), key=lambda action: (action.order, action.key))
    return [
        ShownAction(
            id=f"{action.key}-link", label=action.label, url=reverse(action.url_name, args=[retiree_pk])
        )
        for action in actions
        if action.visible(user)
    ]
