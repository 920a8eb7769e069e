"""Every write of certification. Keyword-only, typed, atomic; refusals are CertificationError."""

from .certify import (
    SUSPENSION_LOCK,
    CertifyResult,
    campaign_for_year,
    certified_since,
    certify,
    is_certified,
    suspension_run,
    system_staff,
)

__all__ = [
    "SUSPENSION_LOCK",
    "CertifyResult",
    "campaign_for_year",
    "certified_since",
    "certify",
    "is_certified",
    "suspension_run",
    "system_staff",
]
