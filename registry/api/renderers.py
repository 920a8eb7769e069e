"""Renderers for endpoints that answer with a finished file (a PDF, an xlsx, a bank file): a client may ask
for the file's media type in Accept. The file itself is returned as a finished response; only an error
({field: [message]} or {"detail": message}) passes through the renderer, and it stays JSON text."""

from __future__ import annotations

import json
from typing import Any

from rest_framework.renderers import BaseRenderer


class PdfRenderer(BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return json.dumps(data, ensure_ascii=False).encode()
