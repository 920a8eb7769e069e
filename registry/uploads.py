"""What an uploaded scan really is, from its content: a renamed file's extension proves nothing.

One check for every scanned document the system keeps (intake photo and agent proof, change-request
documents, certification certificates).
"""

from __future__ import annotations

from django.core.files.base import File
from PIL import Image, UnidentifiedImageError

PDF, JPEG, PNG = "PDF", "JPEG", "PNG"
# A file name's extension and the kind its content must be.
KIND_OF_SUFFIX = {".pdf": PDF, ".jpg": JPEG, ".jpeg": JPEG, ".png": PNG}


def scan_kind(upload: File[bytes]) -> str | None:
    """PDF, JPEG or PNG as the file's bytes show (images verified by Pillow), else None. Leaves the file at
    its start for whoever saves it."""
    try:
        upload.seek(0)
        if upload.read(5) == b"%PDF-":
            return PDF
        upload.seek(0)
        with Image.open(upload) as image:
            image.verify()
            return image.format if image.format in (JPEG, PNG) else None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    finally:
        upload.seek(0)
