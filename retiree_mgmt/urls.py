from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("registry.urls")),
    path("admin/", admin.site.urls),
    path("pensions/", include("pensions.urls")),
    path("api/pensions/", include("pensions.api.urls")),
    path("certification/", include("certification.urls")),
    path("api/certification/", include("certification.api.urls")),
    path("api/", include("registry.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
]
