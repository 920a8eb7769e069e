"""/pensions/…: the payout plan pages; funding and bank files add their routes here."""

from django.urls import path

from .views import adjustment_comparisons as views_comparisons
from .views import adjustment_notices as views_notices
from .views import adjustment_parameters as views_adjustment_parameters
from .views import adjustment_runs as views_runs
from .views import money as views_money
from .views import one_off as views_one_off
from .views import plan_jobs as views_plan_jobs
from .views import plans as views
from .views import recoveries as views_recoveries
from .views import recovery_follow_up as views_follow_up
from .views import statements as views_statements

urlpatterns = [
    path("plans/", views.plan_list, name="payout-plan-list"),
    path("plans/<int:pk>/", views.plan_detail, name="payout-plan-detail"),
    # Drafting and bank-file export run in the worker: the job's page (busy state, result, 任务中断).
    path("plan-jobs/<int:pk>/", views_plan_jobs.plan_job_detail, name="payout-plan-job"),
    path(
        "plan-jobs/<int:pk>/restart/", views_plan_jobs.plan_job_restart_view, name="payout-plan-job-restart"
    ),
    path("plans/<int:pk>/lines.xlsx", views.plan_export, name="payout-plan-export"),
    path("plans/<int:pk>/regenerate/", views.plan_regenerate, name="payout-plan-regenerate"),
    path("plans/<int:pk>/submit/", views.plan_submit, name="payout-plan-submit"),
    path("plans/<int:pk>/approve/", views.plan_approve, name="payout-plan-approve"),
    path("plans/<int:pk>/reject/", views.plan_reject, name="payout-plan-reject"),
    # funding, bank files, return files and failed payments
    path("plans/<int:pk>/fundings/", views_money.funding_record, name="payout-funding-record"),
    path("plans/<int:pk>/funding-request.pdf", views_money.funding_request, name="payout-funding-request"),
    path("plans/<int:pk>/bank-files/", views_money.bank_files_export, name="payout-bank-files-export"),
    path("bank-files/<int:pk>/download/", views_money.bank_file_download, name="payout-bank-file-download"),
    path(
        "bank-files/<int:pk>/return-file/", views_money.return_file_import, name="payout-return-file-import"
    ),
    path("lines/<int:pk>/reissue/", views_money.failed_line_reissue, name="payout-line-reissue"),
    path(
        "lines/<int:pk>/paid-by-hand/", views_money.failed_line_paid_by_hand, name="payout-line-paid-by-hand"
    ),
    # one-off payment batches (一次性支付): a family's death claim paid through the same bank files
    path("one-off/", views_one_off.batch_list, name="one-off-batch-list"),
    path("one-off/<int:pk>/", views_one_off.batch_detail, name="one-off-batch-detail"),
    path("one-off/<int:pk>/submit/", views_one_off.batch_submit, name="one-off-batch-submit"),
    path("one-off/<int:pk>/approve/", views_one_off.batch_approve, name="one-off-batch-approve"),
    path("one-off/<int:pk>/reject/", views_one_off.batch_reject, name="one-off-batch-reject"),
    path("one-off/<int:pk>/fundings/", views_one_off.batch_funding_record, name="one-off-funding-record"),
    path(
        "one-off/<int:pk>/funding-request.pdf",
        views_one_off.batch_funding_request,
        name="one-off-funding-request",
    ),
    path(
        "one-off/<int:pk>/bank-files/",
        views_one_off.batch_bank_files_export,
        name="one-off-bank-files-export",
    ),
    path(
        "one-off/bank-files/<int:pk>/download/",
        views_one_off.batch_bank_file_download,
        name="one-off-bank-file-download",
    ),
    path(
        "one-off/bank-files/<int:pk>/return-file/",
        views_one_off.batch_return_file_import,
        name="one-off-return-file-import",
    ),
    path("one-off/payments/<int:pk>/reissue/", views_one_off.payment_reissue, name="one-off-payment-reissue"),
    # recoveries: balance, refunds and write-off requests
    path("recoveries/", views_recoveries.recovery_list, name="payout-recovery-list"),
    path("recoveries/<int:pk>/", views_recoveries.recovery_detail, name="payout-recovery-detail"),
    path("recoveries/<int:pk>/refunds/", views_recoveries.recovery_refund, name="payout-recovery-refund"),
    path(
        "recoveries/<int:pk>/write-off-requests/",
        views_recoveries.recovery_write_off_request,
        name="payout-recovery-write-off-request",
    ),
    path(
        "recoveries/write-off-requests/<int:pk>/approve/",
        views_recoveries.write_off_request_approve,
        name="payout-write-off-approve",
    ),
    path(
        "recoveries/write-off-requests/<int:pk>/reject/",
        views_recoveries.write_off_request_reject,
        name="payout-write-off-reject",
    ),
    # recovery follow-up: receipts, bank claw-backs, referral, the aging list (docs/recoveries.md)
    path("recoveries/aging/", views_follow_up.recovery_aging, name="payout-recovery-aging"),
    path("recoveries/aging.xlsx", views_follow_up.recovery_aging_export, name="payout-recovery-aging-export"),
    path(
        "recoveries/refunds/<int:pk>/receipt.pdf",
        views_follow_up.refund_receipt,
        name="payout-recovery-refund-receipt",
    ),
    path("recoveries/<int:pk>/clawbacks/", views_follow_up.clawback_request, name="payout-recovery-clawback"),
    path(
        "recoveries/clawbacks/<int:pk>/result/",
        views_follow_up.clawback_result,
        name="payout-recovery-clawback-result",
    ),
    path(
        "recoveries/clawbacks/<int:pk>/letter.pdf",
        views_follow_up.clawback_letter,
        name="payout-recovery-clawback-letter",
    ),
    path(
        "recoveries/clawbacks/<int:pk>/accounts.xlsx",
        views_follow_up.clawback_list,
        name="payout-recovery-clawback-list",
    ),
    path("recoveries/<int:pk>/referral/", views_follow_up.referral_create, name="payout-recovery-referral"),
    path(
        "recoveries/referrals/<int:pk>/",
        views_follow_up.referral_update,
        name="payout-recovery-referral-update",
    ),
    path(
        "recoveries/referrals/<int:pk>/letter.pdf",
        views_follow_up.referral_letter,
        name="payout-recovery-referral-letter",
    ),
    # the enquiry statement (待遇查询单)
    path(
        "retirees/<int:pk>/statement/",
        views_statements.retiree_statement_form,
        name="retiree-statement",
    ),
    path(
        "retirees/<int:pk>/statement.pdf",
        views_statements.retiree_statement_pdf,
        name="retiree-statement-pdf",
    ),
    # the annual adjustment (年度调待): the hub and the year's parameters (docs/annual-adjustment.md)
    path("adjustments/", views_adjustment_parameters.adjustment_list, name="adjustment-list"),
    path(
        "adjustments/copy/",
        views_adjustment_parameters.adjustment_parameters_copy_view,
        name="adjustment-parameters-copy",
    ),
    path(
        "adjustments/<int:year>/parameters/",
        views_adjustment_parameters.adjustment_parameters,
        name="adjustment-parameters",
    ),
    path(
        "adjustments/<int:year>/parameters.pdf",
        views_adjustment_parameters.adjustment_parameters_pdf,
        name="adjustment-parameters-pdf",
    ),
    # the annual adjustment's runs (调待试算): dry run, approval, apply (docs/annual-adjustment.md)
    path("adjustments/<int:year>/", views_runs.adjustment_year, name="adjustment-year"),
    path("adjustments/<int:year>/runs/", views_runs.adjustment_run_start, name="adjustment-run-start"),
    path("adjustments/runs/<int:pk>/", views_runs.adjustment_run_detail, name="adjustment-run-detail"),
    path(
        "adjustments/runs/<int:pk>/progress/",
        views_runs.adjustment_run_progress,
        name="adjustment-run-progress",
    ),
    path("adjustments/runs/<int:pk>/lines/", views_runs.adjustment_run_lines, name="adjustment-run-lines"),
    path(
        "adjustments/runs/<int:pk>/lines.xlsx", views_runs.adjustment_run_export, name="adjustment-run-export"
    ),
    path("adjustments/runs/<int:pk>/submit/", views_runs.adjustment_run_submit, name="adjustment-run-submit"),
    path(
        "adjustments/runs/<int:pk>/approve/", views_runs.adjustment_run_approve, name="adjustment-run-approve"
    ),
    path("adjustments/runs/<int:pk>/reject/", views_runs.adjustment_run_reject, name="adjustment-run-reject"),
    path(
        "adjustments/runs/<int:pk>/discard/", views_runs.adjustment_run_discard, name="adjustment-run-discard"
    ),
    path("adjustments/runs/<int:pk>/apply/", views_runs.adjustment_run_apply, name="adjustment-run-apply"),
    path(
        "adjustments/runs/<int:pk>/restart/", views_runs.adjustment_run_restart, name="adjustment-run-restart"
    ),
    # the annual adjustment's notices per township and the summary table for the HR bureau
    path(
        "adjustments/runs/<int:pk>/notices/",
        views_notices.adjustment_notices,
        name="adjustment-notices",
    ),
    path(
        "adjustments/runs/<int:pk>/notices/start/",
        views_notices.adjustment_notices_start_view,
        name="adjustment-notices-start",
    ),
    path(
        "adjustments/notices/<int:pk>/download/",
        views_notices.adjustment_notice_download,
        name="adjustment-notice-download",
    ),
    path(
        "adjustments/runs/<int:pk>/summary.pdf",
        views_notices.adjustment_summary_pdf_view,
        name="adjustment-summary-pdf",
    ),
    path(
        "adjustments/runs/<int:pk>/summary.xlsx",
        views_notices.adjustment_summary_xlsx_view,
        name="adjustment-summary-xlsx",
    ),
    # the province's result file for an adjustment dry run (docs/adjustment-province-file.md)
    path(
        "adjustments/runs/<int:pk>/comparisons/",
        views_comparisons.comparison_list,
        name="adjustment-comparisons",
    ),
    path(
        "adjustments/comparisons/<int:pk>/",
        views_comparisons.comparison_detail,
        name="adjustment-comparison-detail",
    ),
    path(
        "adjustments/comparisons/<int:pk>/differences.xlsx",
        views_comparisons.comparison_export,
        name="adjustment-comparison-export",
    ),
    path(
        "adjustments/comparisons/<int:pk>/restart/",
        views_comparisons.comparison_restart,
        name="adjustment-comparison-restart",
    ),
]
