"""/deaths/…: the deaths and benefits pages."""

from django.urls import path

from .views import claims as views_claims
from .views import deaths
from .views import parameters as parameter_views

urlpatterns: list = [
    # deaths (docs/deaths.md)
    path("", deaths.death_list, name="death-list"),
    path("new/<int:pk>/", deaths.death_record, name="death-record"),
    path("from-match/<int:pk>/", deaths.death_record_match, name="death-record-match"),
    path("reported/", deaths.death_my_reports, name="death-my-reports"),
    path("report/<int:pk>/", deaths.death_report, name="death-report"),
    path("retiree/<int:pk>/", deaths.death_retiree_tab, name="death-retiree-tab"),
    path("<int:pk>/", deaths.death_detail, name="death-detail"),
    path("<int:pk>/record/", deaths.death_record_report, name="death-record-report"),
    path("<int:pk>/confirm/", deaths.death_confirm, name="death-confirm"),
    path("<int:pk>/reject/", deaths.death_reject, name="death-reject"),
    path("<int:pk>/correct/", deaths.death_correct, name="death-correct"),
    path("<int:pk>/document/<str:field>/", deaths.death_document, name="death-document"),
    # parameters (docs/benefit-parameters.md)
    path("parameters/", parameter_views.parameter_list, name="benefit-parameters"),
    path("parameters/set/", parameter_views.parameter_set, name="benefit-parameter-set"),
    path("parameters/clear-average/", parameter_views.average_clear, name="benefit-average-clear"),
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
