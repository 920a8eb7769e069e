"""What a staff member may see and do: the one place that decides it.

Scope comes from the org unit (a member sees their unit's subtree); actions come from the role. Pages, the
API, exports and jobs all ask here. Nothing else filters retirees by unit or checks a role by name.
"""

from __future__ import annotations

import enum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from .models import OrgUnit, Retiree, Staff

Role = Staff.Role


class Action(enum.StrEnum):
    VIEW_REGISTRY = "view_registry"
    EDIT_REGISTRY = "edit_registry"  # intake, change requests, deaths and claims, archives
    APPROVE_CHANGES = "approve_changes"  # the checker of maker-checker for registry changes
    CERTIFY = "certify"
    PREPARE_PAYMENTS = "prepare_payments"
    APPROVE_PAYMENTS = "approve_payments"  # four eyes: never what the same person prepared
    VIEW_SENSITIVE = "view_sensitive"  # a full ID or account number, each viewing recorded
    VIEW_AUDIT = "view_audit"
    MANAGE_SETTINGS = "manage_settings"  # users, org units, banks, formats, policy settings


_ALL = frozenset(Action)
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.BUREAU_ADMIN: _ALL,
    Role.BUREAU_CLERK: frozenset(
        {
            Action.VIEW_REGISTRY,
            Action.VIEW_SENSITIVE,
            Action.EDIT_REGISTRY,
            Action.CERTIFY,
            Action.PREPARE_PAYMENTS,
        }
    ),
    Role.FINANCE_REVIEWER: frozenset(
        {Action.VIEW_REGISTRY, Action.VIEW_SENSITIVE, Action.APPROVE_CHANGES, Action.APPROVE_PAYMENTS}
    ),
    # Township staff have the person and their ID card in front of them: masked numbers are enough.
    Role.TOWNSHIP_STAFF: frozenset({Action.VIEW_REGISTRY, Action.CERTIFY}),
    Role.AUDITOR: frozenset({Action.VIEW_REGISTRY, Action.VIEW_SENSITIVE, Action.VIEW_AUDIT}),
}


def is_signed_in_staff(user: Any) -> bool:
    return isinstance(user, Staff) and user.is_active


def actions_of(user: Any) -> frozenset[Action]:
    if not is_signed_in_staff(user):
        return frozenset()
    if user.is_superuser:
        return _ALL
    if user.org_unit_id is None:
        return frozenset()
    return ROLE_ACTIONS.get(user.role, frozenset())


def can(user: Any, action: Action) -> bool:
    return action in actions_of(user)


def require(user: Any, action: Action) -> None:
    """403 for a role that may not do this (Django and DRF both turn PermissionDenied into 403)."""
    if not can(user, action):
        raise PermissionDenied(action.value)


def sees_whole_county(user: Staff) -> bool:
    if user.is_superuser:
        return True
    unit = user.org_unit
    return unit is not None and unit.kind == OrgUnit.Kind.COUNTY


def visible_units(user: Any) -> QuerySet[OrgUnit]:
    """The user's unit and everything under it (the tree is three levels: county → township → community)."""
    if not actions_of(user):
        return OrgUnit.objects.none()
    if sees_whole_county(user):
        return OrgUnit.objects.all()
    unit_id = user.org_unit_id
    return OrgUnit.objects.filter(id=unit_id) | OrgUnit.objects.filter(parent_id=unit_id)


def visible_townships(user: Any) -> QuerySet[OrgUnit]:
    return visible_units(user).filter(kind=OrgUnit.Kind.TOWNSHIP)


def visible_community_ids(user: Staff) -> list[int]:
    return list(visible_units(user).filter(kind=OrgUnit.Kind.COMMUNITY).values_list("id", flat=True))


def retirees_visible_to(user: Any, queryset: QuerySet[Retiree] | None = None) -> QuerySet[Retiree]:
    """Retirees the user may see at all. Filtering by a list of community ids keeps the plan on the
    (community, status) index instead of joining the unit tree for every search."""
    queryset = Retiree.objects.all() if queryset is None else queryset
    if not can(user, Action.VIEW_REGISTRY):
        return queryset.none()
    if sees_whole_county(user):
        return queryset
    return queryset.filter(community_id__in=visible_community_ids(user))


def get_visible_retiree_or_404(user: Any, pk: int, queryset: QuerySet[Retiree] | None = None) -> Retiree:
    """One retiree, or 404 when out of scope, so a record's existence is not given away."""
    try:
        return retirees_visible_to(user, queryset).get(pk=pk)
    except Retiree.DoesNotExist:
        raise Http404 from None
