from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from ..access import Action, can


class StaffRolePermission(BasePermission):
    """Default for every endpoint: a signed-in staff member whose role may do the view's `required_action`
    (VIEW_REGISTRY when the view names none). Scope is applied by each view's queryset through access."""

    def has_permission(self, request: Request, view: Any) -> bool:
        action = getattr(view, "required_action", Action.VIEW_REGISTRY)
        return can(request.user, action)
