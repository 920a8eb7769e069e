"""The HTTP responses for files the payment pages and the API hand out. A bank file goes out with the same
headers whichever way it is fetched (page or API, plan or one-off batch), so the bank's upload portal and
the clerk's SHA-256 check see one thing."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from .models import BankFile


def bank_file_response(bank_file: BankFile, content: bytes) -> HttpResponse:
    """The bank file as an attachment under the name it was made with; X-Content-SHA256 is what the clerk
    compares before uploading, and no-store keeps account numbers out of shared caches."""
    response = HttpResponse(content, content_type=bank_file.content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=bank_file.name)
    response["X-Content-SHA256"] = bank_file.sha256
    response["Cache-Control"] = "no-store"
    return response


def inline_pdf_response(content: bytes, filename: str) -> HttpResponse:
    """A PDF the browser shows (to print) rather than saves."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=False, filename=filename) or "inline"
    )
    return response
