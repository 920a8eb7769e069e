"""The page counter of a printed page's margin box (WeasyPrint CSS), from one translatable sentence.

"第 X 页 共 Y 页" and "Page X of Y" put the numbers in different places, so the CSS `content` is built from
the whole translated sentence rather than from pieces ("第" / "页 共" / "页") translated one by one.
"""

from __future__ import annotations

import re

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()

_PLACEHOLDER = re.compile(r"\{(page|pages)\}")


@register.simple_tag
def page_counter() -> SafeString:
    """CSS `content` value, e.g. `"第 " counter(page) " 页 共 " counter(pages) " 页"`."""
    sentence = _("第 {page} 页 共 {pages} 页")
    parts: list[str] = []
    for piece in _PLACEHOLDER.split(sentence):
        if piece in ("page", "pages"):
            parts.append(f"counter({piece})")
        elif piece:
            # The sentence is ours (the catalogue), but keep CSS strings well-formed whatever it says.
            parts.append('"' + piece.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return mark_safe(" ".join(parts))  # noqa: S308 - built from the catalogue, quotes escaped above
