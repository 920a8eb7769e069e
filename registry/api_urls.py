"""/api/…: the registry's REST endpoints (schema at /api/schema/, Swagger UI at /api/docs/)."""

from django.urls import path

from . import api

urlpatterns = [
    path("auth/token/", api.TokenObtainApi.as_view(), name="api-token"),
    path("me/", api.MeApi.as_view(), name="api-me"),
    path("retirees/", api.RetireeListApi.as_view(), name="api-retiree-list"),
    path("retirees/<int:pk>/", api.RetireeDetailApi.as_view(), name="api-retiree-detail"),
    path("org-units/", api.OrgUnitListApi.as_view(), name="api-org-unit-list"),
    path("banks/", api.BankListApi.as_view(), name="api-bank-list"),
]
