"""Domain errors of payouts. Services raise them; views and the API turn them into a message."""

from registry.errors import DomainError


class PlanError(DomainError):
    """A payout plan action was refused: wrong state, four eyes, totals that do not add up."""
