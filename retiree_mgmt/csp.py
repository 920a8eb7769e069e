"""The Content-Security-Policy middleware of the site (docs/security.md)."""

from __future__ import annotations

from csp.middleware import CSPMiddleware
from django.http import HttpRequest
from django.http.response import HttpResponseBase


class SiteCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, leaving PDFs without the header: a browser shows a PDF in its built-in
    viewer, which `object-src 'none'` on the PDF's own response can block. A PDF runs no script of ours."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if response.get("Content-Type", "").startswith("application/pdf"):
            return response
        return super().process_response(request, response)
