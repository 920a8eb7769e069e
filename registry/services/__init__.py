"""Every write to the registry. Keyword-only, typed, atomic; refusals are DomainError subclasses."""

from .changes import change_request_approve, change_request_create, change_request_reject
from .imports import import_batch_check, import_batch_confirm, import_batch_run, import_batch_upload
from .intake import IntakeData, IntakePlan, intake_check, intake_id_check, retiree_intake
from .retirees import retiree_change_status
from .search_keys import retiree_search_keys_rebuild
from .sensitive import sensitive_view_record
from .snapshots import registry_snapshot_take
from .staff import staff_create, staff_reaches_admin_site, staff_validate_role_unit, system_staff
from .tokens import api_token_expires_at, api_token_is_expired, api_token_issue, api_token_revoke

__all__ = [
    "api_token_expires_at",
    "api_token_is_expired",
    "api_token_issue",
    "api_token_revoke",
    "import_batch_check",
    "import_batch_confirm",
    "import_batch_run",
    "import_batch_upload",
    "change_request_approve",
    "change_request_create",
    "change_request_reject",
    "IntakeData",
    "IntakePlan",
    "intake_check",
    "intake_id_check",
    "retiree_intake",
    "registry_snapshot_take",
    "retiree_change_status",
    "retiree_search_keys_rebuild",
    "sensitive_view_record",
    "staff_create",
    "staff_reaches_admin_site",
    "staff_validate_role_unit",
    "system_staff",
]
