from typing import Any

from django.http import HttpRequest

from .access import Action, actions_of


def staff_context(request: HttpRequest) -> dict[str, Any]:
    """`role_actions` lets templates show only the menu entries the user's role may use; `reads_replica`: the
    page was read from the replica (registry.replica), so it says its figures may be a few seconds old."""
    actions = actions_of(getattr(request, "user", None))
    return {
        "role_actions": {action.value for action in actions},
        "Action": Action,
        "reads_replica": getattr(request, "reads_replica", False),
    }
