from django.contrib.auth import views as auth_views
from django.urls import path

from .views import changes, imports, intake, lists, pages, records

urlpatterns = [
    # part I: intake (before retirees/<int:pk>/ so "new" is never read as a pk)
    # part M: bulk import
    path("imports/", imports.import_list, name="import-list"),
    path("imports/template.xlsx", imports.import_template, name="import-template"),
    path("imports/<int:pk>/", imports.import_detail, name="import-detail"),
    path("imports/<int:pk>/confirm/", imports.import_confirm, name="import-confirm"),
    path("imports/<int:pk>/rejected.xlsx", imports.import_rejected, name="import-rejected"),
    path("retirees/new/", intake.retiree_intake, name="retiree-intake"),
    path("retirees/<int:pk>/certificate.pdf", intake.retiree_certificate, name="retiree-certificate"),
    path("retirees/<int:pk>/photo/", intake.retiree_photo, name="retiree-photo"),
    path("retirees/new/id-check/", intake.intake_id_check, name="retiree-intake-id-check"),
    path("retirees/new/communities/", intake.intake_communities, name="retiree-intake-communities"),
    path("retirees/new/employers/", intake.intake_employers, name="retiree-intake-employers"),
    path("", pages.home, name="home"),
    path("login/", pages.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("retirees/", lists.retiree_list, name="retiree-list"),
    # part S: the list's export
    path("retirees/export.xlsx", lists.retiree_export, name="retiree-export"),
    path("retirees/<int:pk>/", records.retiree_detail, name="retiree-detail"),
    path("retirees/<int:pk>/reveal/<str:field>/", records.retiree_reveal, name="retiree-reveal"),
    path("retirees/<int:pk>/audit/", records.retiree_audit, name="retiree-audit"),
    # part C: information changes with maker-checker
    path("retirees/<int:pk>/changes/new/", changes.change_request_create, name="change-request-create"),
    path("changes/", changes.change_request_list, name="change-request-list"),
    path("changes/<int:pk>/", changes.change_request_detail, name="change-request-detail"),
    path("changes/<int:pk>/document/", changes.change_request_document, name="change-request-document"),
]
