"""/api/pensions/…: payout plans and their lines; funding and bank files add theirs."""

from django.urls import path

from . import adjustment_comparisons as api_comparisons
from . import adjustment_notices as api_notices
from . import adjustment_parameters as api_adjustment_parameters
from . import adjustment_runs as api_runs
from . import money as api_money
from . import one_off as api_one_off
from . import plan_jobs as api_plan_jobs
from . import plans as api
from . import recoveries as api_recoveries
from . import statements as api_statements

urlpatterns = [
    path("plans/", api.PlanListApi.as_view(), name="api-payout-plan-list"),
    path("plans/<int:pk>/", api.PlanDetailApi.as_view(), name="api-payout-plan-detail"),
    path("plans/<int:pk>/lines/", api.PlanLinesApi.as_view(), name="api-payout-plan-lines"),
    path("plans/<int:pk>/submit/", api.PlanSubmitApi.as_view(), name="api-payout-plan-submit"),
    path("plans/<int:pk>/approve/", api.PlanApproveApi.as_view(), name="api-payout-plan-approve"),
    path("plans/<int:pk>/reject/", api.PlanRejectApi.as_view(), name="api-payout-plan-reject"),
    path("plan-jobs/<int:pk>/", api_plan_jobs.PlanJobDetailApi.as_view(), name="api-payout-plan-job"),
    path(
        "plan-jobs/<int:pk>/restart/",
        api_plan_jobs.PlanJobRestartApi.as_view(),
        name="api-payout-plan-job-restart",
    ),
    # funding, bank files, return files and failed payments
    path("plans/<int:pk>/fundings/", api_money.PlanFundingsApi.as_view(), name="api-payout-fundings"),
    path(
        "plans/<int:pk>/funding-request.pdf",
        api_money.FundingRequestPdfApi.as_view(),
        name="api-payout-funding-request",
    ),
    path("plans/<int:pk>/bank-files/", api_money.PlanBankFilesApi.as_view(), name="api-payout-bank-files"),
    path(
        "bank-files/<int:pk>/download/",
        api_money.BankFileDownloadApi.as_view(),
        name="api-payout-bank-file-download",
    ),
    path(
        "bank-files/<int:pk>/return-files/",
        api_money.ReturnFileImportApi.as_view(),
        name="api-payout-return-file-import",
    ),
    path(
        "plans/<int:pk>/failed-lines/", api_money.PlanFailedLinesApi.as_view(), name="api-payout-failed-lines"
    ),
    path("lines/<int:pk>/reissue/", api_money.LineReissueApi.as_view(), name="api-payout-line-reissue"),
    path(
        "lines/<int:pk>/paid-by-hand/",
        api_money.LinePaidByHandApi.as_view(),
        name="api-payout-line-paid-by-hand",
    ),
    # one-off payment batches; their bank files download and answer through the endpoints above
    path("one-off/", api_one_off.BatchListApi.as_view(), name="api-one-off-batch-list"),
    path("one-off/<int:pk>/", api_one_off.BatchDetailApi.as_view(), name="api-one-off-batch-detail"),
    path("one-off/<int:pk>/submit/", api_one_off.BatchSubmitApi.as_view(), name="api-one-off-batch-submit"),
    path(
        "one-off/<int:pk>/approve/", api_one_off.BatchApproveApi.as_view(), name="api-one-off-batch-approve"
    ),
    path("one-off/<int:pk>/reject/", api_one_off.BatchRejectApi.as_view(), name="api-one-off-batch-reject"),
    path("one-off/<int:pk>/fundings/", api_one_off.BatchFundingsApi.as_view(), name="api-one-off-fundings"),
    path(
        "one-off/<int:pk>/bank-files/", api_one_off.BatchBankFilesApi.as_view(), name="api-one-off-bank-files"
    ),
    path(
        "one-off/payments/<int:pk>/reissue/",
        api_one_off.PaymentReissueApi.as_view(),
        name="api-one-off-payment-reissue",
    ),
    # recoveries: balance, refunds and write-off requests
    path("recoveries/", api_recoveries.RecoveryListApi.as_view(), name="api-recovery-list"),
    path(
        "recoveries/<int:pk>/refunds/",
        api_recoveries.RecoveryRefundApi.as_view(),
        name="api-recovery-refunds",
    ),
    path(
        "recoveries/<int:pk>/write-off-requests/",
        api_recoveries.RecoveryWriteOffRequestApi.as_view(),
        name="api-recovery-write-off-request",
    ),
    path(
        "recoveries/write-off-requests/<int:pk>/approve/",
        api_recoveries.WriteOffRequestApproveApi.as_view(),
        name="api-write-off-request-approve",
    ),
    path(
        "recoveries/write-off-requests/<int:pk>/reject/",
        api_recoveries.WriteOffRequestRejectApi.as_view(),
        name="api-write-off-request-reject",
    ),
    # recovery follow-up (docs/recoveries.md)
    path("recoveries/aging/", api_recoveries.RecoveryAgingApi.as_view(), name="api-recovery-aging"),
    path("recoveries/<int:pk>/", api_recoveries.RecoveryDetailApi.as_view(), name="api-recovery-detail"),
    path(
        "recoveries/<int:pk>/clawbacks/",
        api_recoveries.RecoveryClawbackApi.as_view(),
        name="api-recovery-clawbacks",
    ),
    path(
        "recoveries/clawbacks/<int:pk>/result/",
        api_recoveries.ClawbackResultApi.as_view(),
        name="api-recovery-clawback-result",
    ),
    path(
        "recoveries/clawbacks/<int:pk>/letter.pdf",
        api_recoveries.ClawbackLetterApi.as_view(),
        name="api-recovery-clawback-letter",
    ),
    path(
        "recoveries/clawbacks/<int:pk>/accounts.xlsx",
        api_recoveries.ClawbackListApi.as_view(),
        name="api-recovery-clawback-list",
    ),
    path(
        "recoveries/<int:pk>/referral/",
        api_recoveries.RecoveryReferralApi.as_view(),
        name="api-recovery-referral",
    ),
    path(
        "recoveries/referrals/<int:pk>/",
        api_recoveries.ReferralUpdateApi.as_view(),
        name="api-recovery-referral-update",
    ),
    path(
        "recoveries/referrals/<int:pk>/letter.pdf",
        api_recoveries.ReferralLetterApi.as_view(),
        name="api-recovery-referral-letter",
    ),
    path(
        "recoveries/refunds/<int:pk>/receipt.pdf",
        api_recoveries.RefundReceiptApi.as_view(),
        name="api-recovery-refund-receipt",
    ),
    path(
        "retirees/<int:pk>/statement.pdf",
        api_statements.RetireeStatementApi.as_view(),
        name="api-retiree-statement",
    ),
    # the annual adjustment's parameters (docs/annual-adjustment.md)
    path(
        "adjustments/parameters/",
        api_adjustment_parameters.ParametersListApi.as_view(),
        name="api-adjustment-parameters",
    ),
    path(
        "adjustments/parameters/<int:year>/",
        api_adjustment_parameters.ParametersYearApi.as_view(),
        name="api-adjustment-parameters-year",
    ),
    path(
        "adjustments/parameters/<int:year>/copy/",
        api_adjustment_parameters.ParametersCopyApi.as_view(),
        name="api-adjustment-parameters-copy",
    ),
    # the annual adjustment's runs (docs/annual-adjustment.md)
    path("adjustments/runs/", api_runs.RunListApi.as_view(), name="api-adjustment-run-list"),
    path("adjustments/runs/<int:pk>/", api_runs.RunDetailApi.as_view(), name="api-adjustment-run-detail"),
    path("adjustments/runs/<int:pk>/lines/", api_runs.RunLinesApi.as_view(), name="api-adjustment-run-lines"),
    path(
        "adjustments/runs/<int:pk>/submit/", api_runs.RunSubmitApi.as_view(), name="api-adjustment-run-submit"
    ),
    path(
        "adjustments/runs/<int:pk>/approve/",
        api_runs.RunApproveApi.as_view(),
        name="api-adjustment-run-approve",
    ),
    path(
        "adjustments/runs/<int:pk>/reject/", api_runs.RunRejectApi.as_view(), name="api-adjustment-run-reject"
    ),
    path(
        "adjustments/runs/<int:pk>/discard/",
        api_runs.RunDiscardApi.as_view(),
        name="api-adjustment-run-discard",
    ),
    path("adjustments/runs/<int:pk>/apply/", api_runs.RunApplyApi.as_view(), name="api-adjustment-run-apply"),
    # the annual adjustment's notices and summary table
    path(
        "adjustments/runs/<int:pk>/notices/",
        api_notices.NoticeBatchesApi.as_view(),
        name="api-adjustment-notices",
    ),
    path(
        "adjustments/notices/<int:pk>/download/",
        api_notices.NoticeDownloadApi.as_view(),
        name="api-adjustment-notice-download",
    ),
    path(
        "adjustments/runs/<int:pk>/summary/",
        api_notices.SummaryApi.as_view(),
        name="api-adjustment-summary",
    ),
    # the province's result file for an adjustment dry run (docs/adjustment-province-file.md)
    path(
        "adjustments/runs/<int:pk>/comparisons/",
        api_comparisons.ComparisonListApi.as_view(),
        name="api-adjustment-comparisons",
    ),
    path(
        "adjustments/comparisons/<int:pk>/",
        api_comparisons.ComparisonDetailApi.as_view(),
        name="api-adjustment-comparison-detail",
    ),
    path(
        "adjustments/comparisons/<int:pk>/differences/",
        api_comparisons.ComparisonDifferencesApi.as_view(),
        name="api-adjustment-comparison-differences",
    ),
    path(
        "adjustments/comparisons/<int:pk>/restart/",
        api_comparisons.ComparisonRestartApi.as_view(),
        name="api-adjustment-comparison-restart",
    ),
]
