"""Every write to the registry. Keyword-only, typed, atomic; refusals are DomainError subclasses."""

from .certificates import certificate_print, may_print_certificate
from .changes import change_request_approve, change_request_create, change_request_reject, document_required
from .counts import retiree_counts_rebuild
from .imports import (
    import_batch_check,
    import_batch_confirm,
    import_batch_index_names,
    import_batch_restart,
    import_batch_run,
    import_batch_upload,
    import_batches_index_pending,
)
from .intake import IntakeData, IntakePlan, intake_check, intake_id_check, retiree_intake
from .life_events import (
    LifeEvent,
    death_date_check,
    register_life_event_listener,
    retiree_death_correct,
    retiree_record_death,
    retiree_terminate,
    retiree_transfer_out,
)
from .recoveries import recoveries_status_sync, recovery_cancel, recovery_open
from .retirees import retiree_change_status, retirees_suspend_many
from .search_keys import retiree_search_keys_rebuild
from .sensitive import (
    MASKED,
    ExportNumbers,
    sensitive_export_numbers,
    sensitive_export_record,
    sensitive_view_record,
    sensitive_views_record_many,
)
from .snapshots import registry_snapshot_take
from .staff import staff_create, staff_reaches_admin_site, staff_validate_role_unit, system_staff
from .tokens import api_token_expires_at, api_token_is_expired, api_token_issue, api_token_revoke

__all__ = [
    "retiree_counts_rebuild",
    "certificate_print",
    "may_print_certificate",
    "api_token_expires_at",
    "api_token_is_expired",
    "api_token_issue",
    "api_token_revoke",
    "import_batch_check",
    "import_batch_confirm",
    "import_batch_restart",
    "import_batch_index_names",
    "import_batches_index_pending",
    "import_batch_run",
    "import_batch_upload",
    "change_request_approve",
    "change_request_create",
    "document_required",
    "change_request_reject",
    "IntakeData",
    "IntakePlan",
    "intake_check",
    "intake_id_check",
    "retiree_intake",
    "registry_snapshot_take",
    "recoveries_status_sync",
    "recovery_cancel",
    "recovery_open",
    "LifeEvent",
    "death_date_check",
    "register_life_event_listener",
    "retiree_death_correct",
    "retiree_record_death",
    "retiree_terminate",
    "retiree_transfer_out",
    "retiree_change_status",
    "retirees_suspend_many",
    "retiree_search_keys_rebuild",
    "MASKED",
    "ExportNumbers",
    "sensitive_export_numbers",
    "sensitive_export_record",
    "sensitive_view_record",
    "sensitive_views_record_many",
    "staff_create",
    "staff_reaches_admin_site",
    "staff_validate_role_unit",
    "system_staff",
]
