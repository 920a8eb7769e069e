"""Domain errors of certification. Services raise them; pages and the API turn them into a message."""

from registry.errors import DomainError


class CertificationError(DomainError):
    """A certification was refused: a deceased or terminated retiree, an unknown channel."""


class RetireeNotVisibleError(CertificationError):
    """The retiree is outside the officer's township. Says nothing else about them (a page answers 404)."""
