"""Every write to payouts. Keyword-only, typed, atomic; refusals are PlanError (a DomainError)."""

from .bank_files import (
    UnencodableNamesError,
    bank_file_download,
    bank_file_profile_for,
    bank_file_profile_set,
    bank_files_export,
    one_off_bank_files_export,
    payment_lines,
)
from .funding import funding_banks, funding_record, one_off_funding_record
from .locks import plan_generation_lock

# recoveries.recovery_write_off is not exported: only an approved write-off request writes one off.
from .one_off import (
    BatchFigures,
    one_off_batch_approve,
    one_off_batch_digest,
    one_off_batch_figures_check,
    one_off_batch_reject,
    one_off_batch_submit,
    one_off_batch_totals_store,
    one_off_payment_add,
    one_off_payment_reissue,
)
from .payment_sources import BatchSource, PaymentSource, PlanSource, payment_source_of
from .plans import (
    PlanTotals,
    draftable_months,
    first_payout_month,
    plan_draft,
    plan_lines_digest,
    plan_month_check,
    plan_totals_check,
    recovery_share,
)
from .recoveries import recoveries_sync_status, recovery_offset_record, recovery_refund_record
from .recovery_follow_up import (
    after_death_failed_lines_settle,
    recovery_clawback_request,
    recovery_clawback_result,
    recovery_document_print_record,
    recovery_referral_create,
    recovery_referral_update,
)
from .returns import ReturnImport, failed_line_paid_by_hand, failed_line_reissue, return_file_import
from .transitions import (
    PlanFigures,
    plan_approve,
    plan_figures_check,
    plan_mark_exported,
    plan_mark_funded,
    plan_mark_reconciled,
    plan_reject,
    plan_submit,
)
from .withheld import withheld_release
from .write_offs import write_off_request, write_off_request_approve, write_off_request_reject

__all__ = [
    "ReturnImport",
    "UnencodableNamesError",
    "bank_file_download",
    "bank_file_profile_for",
    "bank_file_profile_set",
    "bank_files_export",
    "failed_line_paid_by_hand",
    "failed_line_reissue",
    "funding_banks",
    "funding_record",
    "payment_lines",
    "return_file_import",
    "PlanFigures",
    "PlanTotals",
    "draftable_months",
    "first_payout_month",
    "plan_figures_check",
    "plan_month_check",
    "plan_approve",
    "plan_draft",
    "plan_lines_digest",
    "plan_mark_exported",
    "plan_mark_funded",
    "plan_mark_reconciled",
    "plan_reject",
    "plan_submit",
    "plan_totals_check",
    "plan_generation_lock",
    "recoveries_sync_status",
    "after_death_failed_lines_settle",
    "recovery_clawback_request",
    "recovery_clawback_result",
    "recovery_document_print_record",
    "recovery_referral_create",
    "recovery_referral_update",
    "recovery_offset_record",
    "recovery_refund_record",
    "one_off_batch_totals_store",
    "one_off_payment_add",
    "BatchFigures",
    "BatchSource",
    "PaymentSource",
    "PlanSource",
    "one_off_bank_files_export",
    "one_off_batch_approve",
    "one_off_batch_digest",
    "one_off_batch_figures_check",
    "one_off_batch_reject",
    "one_off_batch_submit",
    "one_off_funding_record",
    "one_off_payment_reissue",
    "payment_source_of",
    "recovery_share",
    "withheld_release",
    "write_off_request",
    "write_off_request_approve",
    "write_off_request_reject",
]
