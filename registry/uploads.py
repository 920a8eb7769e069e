"""What an uploaded scan really is, from its content: a renamed file's extension proves nothing.

One check for every scanned document the system keeps (intake photo and agent proof, change-request
documents, certification certificates).
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.base import File
from django.utils.translation import gettext as _
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


def scanned_document_problem(document: File[bytes]) -> str | None:
    """Why an uploaded proof (证明材料) cannot be kept, or None: a PDF, JPG or PNG by its name, within
    settings.CHANGE_REQUEST_DOCUMENT_MAX_BYTES, whose content is what its name says. The one check of the
    scanned documents of change requests and death registrations."""
    name = document.name or ""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    expected = KIND_OF_SUFFIX.get(suffix)
    if expected is None:
        return _("证明材料只能是 PDF、JPG 或 PNG 文件。")
    limit = settings.CHANGE_REQUEST_DOCUMENT_MAX_BYTES
    if document.size is None or document.size > limit:
        return _("证明材料不能超过 %(mb)s MB。") % {"mb": f"{limit / 1024 / 1024:g}"}
    if scan_kind(document) != expected:
        return _("证明材料的内容与文件类型不符,请上传真实的扫描件。")
    return None
