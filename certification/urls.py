"""/certification/…: the annual certification pages."""

from django.urls import path

from .views import campaigns as campaign_views
from .views import entry as entry_views
from .views import imports as import_views
from .views import progress as progress_views
from .views import remote as remote_views

urlpatterns: list = [
    # entry screen (scan box)
    path("entry/", entry_views.entry, name="certification-entry"),
    path("entry/lookup/", entry_views.entry_lookup, name="certification-entry-lookup"),
    path("entry/certify/", entry_views.entry_certify, name="certification-entry-certify"),
    # progress per township and community, missing list
    path("progress/", progress_views.progress_page, name="certification-progress"),
    path("progress/missing/", progress_views.missing_list, name="certification-missing"),
    path("progress/missing.pdf", progress_views.missing_list_pdf, name="certification-missing-pdf"),
    path("progress/missing.xlsx", progress_views.missing_list_xlsx, name="certification-missing-xlsx"),
    # remote residents: batches, upload file, combined forms PDF, returned forms
    path("remote/", remote_views.remote_list, name="certification-remote-list"),
    path("remote/create/", remote_views.remote_create, name="certification-remote-create"),
    path("remote/<int:pk>/", remote_views.remote_detail, name="certification-remote-detail"),
    path("remote/<int:pk>/status/", remote_views.remote_status, name="certification-remote-status"),
    path("remote/<int:pk>/retry/", remote_views.remote_retry, name="certification-remote-retry"),
    path("remote/<int:pk>/forms.pdf", remote_views.remote_forms_pdf, name="certification-remote-forms"),
    path(
        "remote/<int:pk>/upload.<str:fmt>",
        remote_views.remote_upload_file,
        name="certification-remote-upload",
    ),
    path(
        "remote/<int:pk>/members/<int:member_pk>/return/",
        remote_views.remote_return,
        name="certification-remote-return",
    ),
    # imports: online results, data comparison, remote results, deaths review list
    path("imports/", import_views.import_list, name="certification-import-list"),
    path("imports/<int:pk>/", import_views.import_detail, name="certification-import-detail"),
    path("imports/<int:pk>/confirm/", import_views.import_confirm, name="certification-import-confirm"),
    path("imports/<int:pk>/restart/", import_views.import_restart, name="certification-import-restart"),
    path("imports/<int:pk>/cancel/", import_views.import_cancel, name="certification-import-cancel"),
    path("imports/template/<str:kind>/", import_views.import_template, name="certification-import-template"),
    path("deaths/", import_views.death_matches, name="certification-death-matches"),
    path(
        "deaths/<int:pk>/decide/", import_views.death_match_decision, name="certification-death-match-decide"
    ),
    # campaigns and the suspension run with its notices
    path("campaigns/", campaign_views.campaign_list, name="certification-campaign-list"),
    path("campaigns/new/", campaign_views.campaign_create, name="certification-campaign-create"),
    path("campaigns/<int:year>/edit/", campaign_views.campaign_edit, name="certification-campaign-edit"),
    path(
        "campaigns/<int:year>/suspension/", campaign_views.suspension_detail, name="certification-suspension"
    ),
    path(
        "campaigns/<int:year>/suspension/notices/",
        campaign_views.suspension_notices,
        name="certification-suspension-notices",
    ),
    path(
        "campaigns/<int:year>/suspension/notices/render/",
        campaign_views.suspension_notices_render,
        name="certification-suspension-notices-render",
    ),
    path(
        "suspension-notices/<int:pk>/pdf/",
        campaign_views.suspension_notice_download,
        name="certification-suspension-notice-pdf",
    ),
]
