"""The one WeasyPrint call of the project: every printed document is rendered by `render_pdf`.

What every PDF shares lives here rather than in six copies: the CJK font fallback, where relative URLs point
(the project's static files) and which local files a template may load, the document's metadata, the escaping
of running-header strings for CSS, and the garbage collector paused while WeasyPrint lays the pages out.
The page counter of the margin boxes is the `{% page_counter %}` tag (registry/templatetags/pdf_pages.py).
See docs/pdfs.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from ..collector import pause as _gc_pause
from ..collector import resume as _gc_resume

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcherResponse

# The fonts every template names first; installed with fonts-noto-cjk (scripts/system-packages.sh), which
# covers the rare characters of people's names. A template that forgets a font-family still gets them: the
# rule sits on the root element, so any font-family a template sets on body or below wins.
FONT_FAMILY = '"Noto Sans CJK SC", "Noto Serif CJK SC", sans-serif'
_BASE_CSS = f"html {{ font-family: {FONT_FAMILY}; }}"

# Written into the PDF's Creator field, so a file found on a desk says where it came from.
GENERATOR = "retiree_mgmt"


def static_base_url() -> str:
    """file:// URL of the project's own static files: `<img src="img/seal.png">` in a template finds
    static/img/seal.png without a web server."""
    return Path(settings.STATICFILES_DIRS[0]).resolve().as_uri() + "/"


def _allowed_roots() -> tuple[Path, ...]:
    roots = [Path(directory) for directory in settings.STATICFILES_DIRS]
    roots += [Path(settings.STATIC_ROOT), Path(settings.MEDIA_ROOT)]
    return tuple(root.resolve() for root in roots)


def css_string(text: str) -> SafeString:
    """A quoted CSS string for a running header or footer (`content: {{ css.title }}`). Inside <style> HTML
    entities are not decoded, so the text is escaped for CSS instead: quotes, backslashes, line breaks and
    "<" / ">" (which could close the element)."""
    escaped = "".join(f"\\{ord(char):x} " if char in '"\\<>\n\r' else char for char in text)
    return mark_safe(f'"{escaped}"')  # noqa: S308 - every character that could end the string is escaped


def render_pdf(*, template: str, context: Mapping[str, Any], base_url: str | None = None) -> bytes:
    """Render `template` with `context` and return the PDF's bytes.

    Relative URLs resolve against `base_url` (default: the project's static files). Only data: URLs and local
    files under the static directories or MEDIA_ROOT are loaded (a photo is passed as a file:// URL); anything
    else is left out of the page, so text that reaches a template can never make the server fetch a URL.
    """
    # Imported here: WeasyPrint loads Pango and fonts, which no page but a PDF needs.
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    roots = _allowed_roots()

    class _LocalFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url.startswith("file:"):
                path = Path(unquote(urlsplit(url).path)).resolve()
                if not any(path.is_relative_to(root) for root in roots):
                    raise ValueError(f"not a file a PDF may show: {url}")
            return super().fetch(url, headers)

    html = render_to_string(template, dict(context))
    fetcher = _LocalFetcher(allowed_protocols=("file", "data"))
    document = HTML(string=html, base_url=base_url or static_base_url(), url_fetcher=fetcher)
    # The layout of a big batch (a remote batch's forms, a township's notices) makes millions of objects that
    # all live until the PDF is written; the cyclic collector would walk them over and over. Paused, 1,000
    # forms took 45 s instead of 57.7 s (docs/technical-notes.md). Reference counting still frees everything
    # once the document is dropped.
    _gc_pause()
    try:
        rendered = document.render(stylesheets=[CSS(string=_BASE_CSS)])
        rendered.metadata.generator = GENERATOR
        rendered.metadata.created = timezone.now().isoformat(timespec="seconds")
        pdf = rendered.write_pdf()
    finally:
        _gc_resume()
    assert isinstance(pdf, bytes)  # noqa: S101  # write_pdf without a target returns the bytes
    return pdf
