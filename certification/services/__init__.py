"""Every write of certification. Keyword-only, typed, atomic; refusals are CertificationError."""

from .campaigns import campaign_create, campaign_update
from .certify import (
    SUSPENSION_LOCK,
    CertifyResult,
    campaign_for_year,
    certified_since,
    certify,
    counting_year,
    due_before,
    suspension_run,
)
from .counts import certified_counts_rebuild
from .imports import (
    certification_import_apply,
    certification_import_cancel,
    certification_import_check,
    death_match_decide,
)
from .notices import (
    suspended_from_month,
    suspension_notices_make,
    suspension_notices_render,
    suspension_notices_restart,
)
from .remote import (
    remote_batch_create,
    remote_batch_render,
    remote_batch_retry,
    remote_export_record,
    remote_form_return,
)

__all__ = [
    "certified_counts_rebuild",
    "certification_import_apply",
    "certification_import_cancel",
    "certification_import_check",
    "death_match_decide",
    "remote_batch_create",
    "remote_batch_render",
    "remote_batch_retry",
    "remote_export_record",
    "remote_form_return",
    "campaign_create",
    "campaign_update",
    "suspended_from_month",
    "suspension_notices_make",
    "suspension_notices_render",
    "suspension_notices_restart",
    "SUSPENSION_LOCK",
    "CertifyResult",
    "campaign_for_year",
    "certified_since",
    "certify",
    "counting_year",
    "due_before",
    "suspension_run",
]
