from django.contrib import admin
from django.urls import include, path

from registry.api.schema import SchemaApi, swagger_ui_view

urlpatterns = [
    path("", include("registry.urls")),
    path("admin/", admin.site.urls),
    path("pensions/", include("pensions.urls")),
    path("api/pensions/", include("pensions.api.urls")),
    path("certification/", include("certification.urls")),
    path("api/certification/", include("certification.api.urls")),
    path("deaths/", include("benefits.urls")),
    path("api/benefits/", include("benefits.api.urls")),
    path("api/", include("registry.api.urls")),
    path("api/schema/", SchemaApi.as_view(), name="api-schema"),
    path("api/docs/", swagger_ui_view(), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
]
