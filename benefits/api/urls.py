"""/api/benefits/…: the deaths and benefits API, beside the pages and calling the same services."""

from django.urls import path

from . import claims as api_claims
from . import deaths as api_deaths
from . import parameters as api_parameters

urlpatterns: list = [
    # deaths
    path("deaths/", api_deaths.DeathListApi.as_view(), name="api-death-list"),
    path("deaths/report/", api_deaths.DeathReportApi.as_view(), name="api-death-report"),
    path("deaths/<int:pk>/", api_deaths.DeathDetailApi.as_view(), name="api-death-detail"),
    path("deaths/<int:pk>/confirm/", api_deaths.DeathConfirmApi.as_view(), name="api-death-confirm"),
    path("deaths/<int:pk>/reject/", api_deaths.DeathRejectApi.as_view(), name="api-death-reject"),
    path("deaths/<int:pk>/correct/", api_deaths.DeathCorrectApi.as_view(), name="api-death-correct"),
    # parameters
    path("parameters/", api_parameters.ParameterListApi.as_view(), name="api-benefit-parameters"),
    path(
        "parameters/clear-average/",
        api_parameters.AverageClearApi.as_view(),
        name="api-benefit-average-clear",
    ),
    # claims
    path("claims/", api_claims.ClaimListApi.as_view(), name="api-benefit-claim-list"),
    path("claims/<int:pk>/", api_claims.ClaimDetailApi.as_view(), name="api-benefit-claim-detail"),
    path(
        "claims/<int:pk>/recompute/",
        api_claims.ClaimRecomputeApi.as_view(),
        name="api-benefit-claim-recompute",
    ),
    path("claims/<int:pk>/submit/", api_claims.ClaimSubmitApi.as_view(), name="api-benefit-claim-submit"),
    path("claims/<int:pk>/approve/", api_claims.ClaimApproveApi.as_view(), name="api-benefit-claim-approve"),
    path("claims/<int:pk>/reject/", api_claims.ClaimRejectApi.as_view(), name="api-benefit-claim-reject"),
    path("claims/<int:pk>/cancel/", api_claims.ClaimCancelApi.as_view(), name="api-benefit-claim-cancel"),
    path("claims/<int:pk>/approval-form.pdf", api_claims.ClaimPdfApi.as_view(), name="api-benefit-claim-pdf"),
]
