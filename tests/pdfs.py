"""Reading the PDFs the system renders, with poppler-utils (installed by scripts/system-packages.sh)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def _poppler(*args: str) -> str:
    # Fixed tool names with a path the test made: nothing untrusted reaches the command line.
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout  # noqa: S603


def pdf_text(path: Path, *, layout: bool = False) -> str:
    return _poppler("pdftotext", *(["-layout"] if layout else []), str(path), "-")


def pdf_info(path: Path) -> dict[str, str]:
    """pdfinfo's fields, e.g. {"Pages": "1", "Page size": "419.528 x 595.276 pts (A5)"}."""
    lines = _poppler("pdfinfo", str(path)).splitlines()
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in lines)}


def pdf_fonts(path: Path) -> str:
    """pdffonts' table: one line per font, with whether it is embedded."""
    return _poppler("pdffonts", str(path))


def pdf_image_count(path: Path) -> int:
    """How many images the PDF holds (pdfimages -list: two header lines, then one line per image)."""
    return len(_poppler("pdfimages", "-list", str(path)).splitlines()) - 2
