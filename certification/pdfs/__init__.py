"""Printed documents (PDF) of certification, one module per document, rendered by
registry.pdfs.rendering.render_pdf (docs/pdfs.md)."""
