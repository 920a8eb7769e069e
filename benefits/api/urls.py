"""/api/benefits/…: death registrations and the family's claims."""

from django.urls import path

from . import claims as api_claims

urlpatterns = [
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
