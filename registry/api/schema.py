"""The OpenAPI schema and its Swagger UI page, for signed-in staff only (docs/api.md).

The schema names every endpoint and field of the personal-data API: it is not for anonymous visitors. The
schema answers 401/403 like any endpoint; the Swagger page sends an anonymous browser to the login page.
"""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django.contrib.auth.decorators import login_required
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .permissions import StaffRolePermission


class SchemaApi(SpectacularAPIView):
    permission_classes = [StaffRolePermission]


class SwaggerUiPage(SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served as a file (the split view): no inline script needed."""

    permission_classes = [StaffRolePermission]


def swagger_ui_view() -> Any:
    # drf-spectacular's page carries a small inline <style> block and Swagger UI shows its icons as data:
    # images: this one page gets those two allowances on top of the site's policy (docs/security.md).
    view = SwaggerUiPage.as_view(url_name="api-schema")
    return csp_update({"style-src": ["'unsafe-inline'"], "img-src": ["data:"]})(login_required(view))
