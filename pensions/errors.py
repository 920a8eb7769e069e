"""Domain errors of payouts. Services raise them; views and the API turn them into a message."""

from registry.errors import DomainError


class PlanError(DomainError):
    """A payout plan action was refused: wrong state, four eyes, totals that do not add up."""


class AdjustmentError(DomainError):
    """An annual adjustment action was refused: parameters that cannot be applied, wrong state, four eyes, a
    dry run made stale by a later change."""
