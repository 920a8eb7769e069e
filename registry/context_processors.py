from typing import Any

from django.http import HttpRequest

from .access import Action, actions_of


def staff_context(request: HttpRequest) -> dict[str, Any]:
    """`role_actions` lets templates show only the menu entries the user's role may use."""
    actions = actions_of(getattr(request, "user", None))
    return {"role_actions": {action.value for action in actions}, "Action": Action}
