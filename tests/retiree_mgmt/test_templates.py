"""Templates as written: mistakes that show up only as stray text on a page."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def test_no_template_comment_spans_lines() -> None:
    """Django's {# … #} comment ends at its line: one spread over two lines is printed on the page as text.
    Longer notes use {% comment %} … {% endcomment %}."""
    templates = Path(settings.BASE_DIR) / "templates"
    broken = [
        f"{path.relative_to(templates)}:{number}"
        for path in sorted(templates.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "{#" in line and "#}" not in line[line.index("{#") :]
    ]
    assert broken == []
