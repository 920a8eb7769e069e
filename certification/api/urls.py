"""/api/certification/…: the certification API, beside the pages and calling the same services."""

from django.urls import path

from . import campaigns as api_campaigns
from . import entry as api_entry
from . import imports as api_imports
from . import progress as api_progress
from . import remote as api_remote

urlpatterns: list = [
    # entry
    path("lookup/", api_entry.EntryLookupApi.as_view(), name="api-certification-lookup"),
    path("certifications/", api_entry.CertifyApi.as_view(), name="api-certification-certify"),
    # progress
    path("progress/", api_progress.ProgressApi.as_view(), name="api-certification-progress"),
    path("missing/", api_progress.MissingApi.as_view(), name="api-certification-missing"),
    # remote residents
    path("remote/batches/", api_remote.RemoteBatchListApi.as_view(), name="api-certification-remote-batches"),
    path(
        "remote/batches/<int:pk>/",
        api_remote.RemoteBatchDetailApi.as_view(),
        name="api-certification-remote-batch",
    ),
    path(
        "remote/batches/<int:pk>/members/",
        api_remote.RemoteBatchMembersApi.as_view(),
        name="api-certification-remote-members",
    ),
    path(
        "remote/batches/<int:pk>/members/<int:member_pk>/return/",
        api_remote.RemoteReturnApi.as_view(),
        name="api-certification-remote-return",
    ),
    # imports
    path("imports/", api_imports.ImportCheckApi.as_view(), name="api-certification-import-check"),
    path("imports/<int:pk>/", api_imports.ImportDetailApi.as_view(), name="api-certification-import-detail"),
    path(
        "imports/<int:pk>/problems/",
        api_imports.ImportProblemsApi.as_view(),
        name="api-certification-import-problems",
    ),
    path(
        "imports/<int:pk>/confirm/",
        api_imports.ImportConfirmApi.as_view(),
        name="api-certification-import-confirm",
    ),
    path(
        "imports/<int:pk>/cancel/",
        api_imports.ImportCancelApi.as_view(),
        name="api-certification-import-cancel",
    ),
    path("death-matches/", api_imports.DeathMatchListApi.as_view(), name="api-certification-death-matches"),
    path(
        "death-matches/<int:pk>/decide/",
        api_imports.DeathMatchDecideApi.as_view(),
        name="api-certification-death-match-decide",
    ),
    # campaigns and suspension
    path("campaigns/", api_campaigns.CampaignListApi.as_view(), name="api-certification-campaigns"),
    path(
        "campaigns/<int:year>/", api_campaigns.CampaignDetailApi.as_view(), name="api-certification-campaign"
    ),
    path(
        "campaigns/<int:year>/suspension/",
        api_campaigns.SuspensionRunApi.as_view(),
        name="api-certification-suspension",
    ),
]
