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


# The answers every operation can give besides its own, added to the schema where a view does not name them
# (drf-spectacular POSTPROCESSING_HOOKS). Each is what DRF really does: a refused permission, a throttle, a
# page past the end or an unknown id, input that does not validate.
_COMMON_RESPONSES = {
    "400": "输入不符合要求:{字段: [错误信息]}",
    "403": "未登录、令牌无效或已过期,或该角色不能做此操作",
    "404": "不存在、不在可见范围内,或页码超出范围",
    "429": "请求过于频繁,请稍后再试(响应头 Retry-After 给出秒数)",
}


def add_common_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            parameters = operation.get("parameters", [])
            codes = ["429"]
            if operation.get("security"):  # the password endpoint has none: it answers 400, never 403
                codes.append("403")
            if "{" in path or any(parameter.get("name") == "page" for parameter in parameters):
                codes.append("404")
            if "requestBody" in operation or any(parameter.get("in") == "query" for parameter in parameters):
                codes.append("400")
            for code in codes:
                responses.setdefault(code, {"description": str(_COMMON_RESPONSES[code])})
    return result
