"""Printed documents (PDF) of pensions, one module per document, rendered by
registry.pdfs.rendering.render_pdf (docs/pdfs.md)."""
