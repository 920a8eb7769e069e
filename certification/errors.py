"""Domain errors of certification. Services raise them; pages and the API turn them into a message."""

from django.utils.translation import gettext_lazy

from registry.errors import DomainError

# One answer for "no such number" and "someone else's retiree", on the pages and in the API alike (both 404):
# a township officer must not learn from the wording that a number belongs to another township.
NOT_IN_SCOPE_MESSAGE = gettext_lazy("本辖区没有身份证号码为该号码的退休人员,请核对号码。")


class CertificationError(DomainError):
    """A certification was refused: a deceased or terminated retiree, an unknown channel."""


class RetireeNotVisibleError(CertificationError):
    """The retiree is outside the officer's township. Says nothing else about them (a page answers 404)."""
