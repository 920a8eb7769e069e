"""/api/…: the registry's REST endpoints (schema at /api/schema/, Swagger UI at /api/docs/)."""

from django.urls import path

from . import approvals as api_approvals
from . import certificates as api_certificates
from . import changes as api_changes
from . import export_jobs as api_exports
from . import flags as api_flags
from . import imports as api_imports
from . import intake as api_intake
from . import retirees as api
from . import tokens as api_tokens

urlpatterns = [
    path("auth/token/", api_tokens.TokenObtainApi.as_view(), name="api-token"),
    path("auth/token/revoke/", api_tokens.TokenRevokeApi.as_view(), name="api-token-revoke"),
    path("me/", api.MeApi.as_view(), name="api-me"),
    path("retirees/", api.RetireeListApi.as_view(), name="api-retiree-list"),
    path("retirees/intake/", api_intake.RetireeIntakeApi.as_view(), name="api-retiree-intake"),
    path("retirees/export/", api_exports.RetireeListExportApi.as_view(), name="api-retiree-export"),
    path("retirees/<int:pk>/", api.RetireeDetailApi.as_view(), name="api-retiree-detail"),
    path("retirees/<int:pk>/reveal/", api.RetireeRevealApi.as_view(), name="api-retiree-reveal"),
    path(
        "retirees/<int:pk>/certificate.pdf",
        api_certificates.RetireeCertificateApi.as_view(),
        name="api-retiree-certificate",
    ),
    path("org-units/", api.OrgUnitListApi.as_view(), name="api-org-unit-list"),
    path("banks/", api.BankListApi.as_view(), name="api-bank-list"),
    # What waits for the signed-in person's approval, from every app (registry.approvals)
    path("approvals/", api_approvals.ApprovalInboxApi.as_view(), name="api-approval-inbox"),
    # Information changes with maker-checker
    path("change-requests/", api_changes.ChangeRequestListApi.as_view(), name="api-change-request-list"),
    path(
        "change-requests/<int:pk>/",
        api_changes.ChangeRequestDetailApi.as_view(),
        name="api-change-request-detail",
    ),
    path(
        "change-requests/<int:pk>/approve/",
        api_changes.ChangeRequestApproveApi.as_view(),
        name="api-change-request-approve",
    ),
    path(
        "change-requests/<int:pk>/reject/",
        api_changes.ChangeRequestRejectApi.as_view(),
        name="api-change-request-reject",
    ),
    # Background exports (docs/exports.md)
    path("exports/", api_exports.ExportJobListApi.as_view(), name="api-export-job-list"),
    path("exports/<int:pk>/", api_exports.ExportJobDetailApi.as_view(), name="api-export-job-detail"),
    path("exports/<int:pk>/file/", api_exports.ExportJobFileApi.as_view(), name="api-export-job-file"),
    path(
        "exports/<int:pk>/restart/", api_exports.ExportJobRestartApi.as_view(), name="api-export-job-restart"
    ),
    # Bulk import
    path("imports/", api_imports.ImportBatchUploadApi.as_view(), name="api-import-upload"),
    path("imports/<int:pk>/", api_imports.ImportBatchDetailApi.as_view(), name="api-import-detail"),
    path("imports/<int:pk>/confirm/", api_imports.ImportBatchConfirmApi.as_view(), name="api-import-confirm"),
    path("imports/<int:pk>/restart/", api_imports.ImportBatchRestartApi.as_view(), name="api-import-restart"),
    # County flags on people (人员标记)
    path("registry/flag-kinds/", api_flags.FlagKindListApi.as_view(), name="api-flag-kind-list"),
    path("registry/flag-kinds/<int:pk>/", api_flags.FlagKindDetailApi.as_view(), name="api-flag-kind-detail"),
    path(
        "registry/retirees/<int:pk>/flags/", api_flags.RetireeFlagListApi.as_view(), name="api-retiree-flags"
    ),
    path(
        "registry/retirees/<int:pk>/flags/<int:flag_pk>/remove/",
        api_flags.RetireeFlagRemoveApi.as_view(),
        name="api-retiree-flag-remove",
    ),
]
