"""/deaths/…: death registrations and the family's claims."""

from django.urls import path

from .views import claims as views_claims

urlpatterns = [
    # claims
    path("claims/", views_claims.claim_list, name="benefit-claim-list"),
    path("claims/<int:pk>/", views_claims.claim_detail, name="benefit-claim-detail"),
    path("claims/<int:pk>/edit/", views_claims.claim_edit, name="benefit-claim-edit"),
    path("claims/<int:pk>/recompute/", views_claims.claim_recompute, name="benefit-claim-recompute"),
    path("claims/<int:pk>/submit/", views_claims.claim_submit, name="benefit-claim-submit"),
    path("claims/<int:pk>/approve/", views_claims.claim_approve, name="benefit-claim-approve"),
    path("claims/<int:pk>/reject/", views_claims.claim_reject, name="benefit-claim-reject"),
    path("claims/<int:pk>/cancel/", views_claims.claim_cancel, name="benefit-claim-cancel"),
    path("claims/<int:pk>/approval-form.pdf", views_claims.claim_pdf, name="benefit-claim-pdf"),
    path(
        "claims/<int:pk>/documents/<str:document>/",
        views_claims.claim_document,
        name="benefit-claim-document",
    ),
    path("<int:pk>/claim/", views_claims.claim_prepare, name="benefit-claim-prepare"),
]
