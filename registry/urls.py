from django.contrib.auth import views as auth_views
from django.urls import path

from .views import (
    approvals,
    audit_log,
    changes,
    export_jobs,
    flags,
    imports,
    intake,
    life_events,
    lists,
    pages,
    records,
)

urlpatterns = [
    path("", pages.home, name="home"),
    path("login/", pages.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The list, its search and its export.
    path("retirees/", lists.retiree_list, name="retiree-list"),
    path("retirees/export.xlsx", lists.retiree_export, name="retiree-export"),
    # Background exports (docs/exports.md): 我的导出, a finished file, making one again.
    path("exports/", export_jobs.export_job_list, name="export-job-list"),
    path("exports/<int:pk>/file/", export_jobs.export_job_file, name="export-job-file"),
    path("exports/<int:pk>/restart/", export_jobs.export_job_restart_view, name="export-job-restart"),
    # Intake ("new" is matched here, never read as a pk).
    path("retirees/new/", intake.retiree_intake, name="retiree-intake"),
    path("retirees/new/id-check/", intake.intake_id_check, name="retiree-intake-id-check"),
    path("retirees/new/communities/", intake.intake_communities, name="retiree-intake-communities"),
    path("retirees/new/employers/", intake.intake_employers, name="retiree-intake-employers"),
    path("retirees/<int:pk>/certificate.pdf", intake.retiree_certificate, name="retiree-certificate"),
    path("retirees/<int:pk>/photo/", intake.retiree_photo, name="retiree-photo"),
    # One retiree's record.
    path("retirees/<int:pk>/", records.retiree_detail, name="retiree-detail"),
    path("retirees/<int:pk>/reveal/<str:field>/", records.retiree_reveal, name="retiree-reveal"),
    path("retirees/<int:pk>/audit/", records.retiree_audit, name="retiree-audit"),
    # Life events a clerk records from the record page (the death is registered in benefits).
    path("retirees/<int:pk>/terminate/", life_events.retiree_terminate_view, name="retiree-terminate"),
    path(
        "retirees/<int:pk>/transfer-out/", life_events.retiree_transfer_out_view, name="retiree-transfer-out"
    ),
    # Information changes with maker-checker.
    path("retirees/<int:pk>/changes/new/", changes.change_request_create, name="change-request-create"),
    path("changes/", changes.change_request_list, name="change-request-list"),
    path("changes/<int:pk>/", changes.change_request_detail, name="change-request-detail"),
    path("changes/<int:pk>/document/", changes.change_request_document, name="change-request-document"),
    # What waits for the signed-in person's approval, from every app (registry.approvals).
    path("approvals/", approvals.approval_inbox, name="approval-inbox"),
    # The county-wide audit log (read-only: auditor and admin).
    path("audit/", audit_log.audit_log, name="audit-log"),
    path("audit/export.xlsx", audit_log.audit_log_export, name="audit-log-export"),
    # Bulk import of existing retirees.
    path("imports/", imports.import_list, name="import-list"),
    path("imports/template.xlsx", imports.import_template, name="import-template"),
    path("imports/<int:pk>/", imports.import_detail, name="import-detail"),
    path("imports/<int:pk>/confirm/", imports.import_confirm, name="import-confirm"),
    path("imports/<int:pk>/restart/", imports.import_restart, name="import-restart"),
    path("imports/<int:pk>/rejected.xlsx", imports.import_rejected, name="import-rejected"),
    # County flags on people (人员标记, docs/flags.md): the kinds, one person's tab, the import.
    path("flags/kinds/", flags.flag_kind_list, name="flag-kind-list"),
    path("flags/kinds/<int:pk>/", flags.flag_kind_edit, name="flag-kind-edit"),
    path("flags/import/", flags.flag_import, name="flag-import"),
    path("flags/import/confirm/", flags.flag_import_confirm, name="flag-import-confirm"),
    path("flags/import/template.xlsx", flags.flag_import_template, name="flag-import-template"),
    path("retirees/<int:pk>/flags/", flags.retiree_flags_tab, name="retiree-flags"),
    path("retirees/<int:pk>/flags/add/", flags.retiree_flag_add, name="retiree-flag-add"),
    path(
        "retirees/<int:pk>/flags/<int:flag_pk>/remove/", flags.retiree_flag_remove, name="retiree-flag-remove"
    ),
]
