"""Printed documents (PDF) of the registry, one module per document; every app keeps its own in `<app>/pdfs/`.

A document module gathers what the page shows (reading through selectors) and hands a template and a context
to `registry.pdfs.rendering.render_pdf`, the one place that runs WeasyPrint (docs/pdfs.md).
"""
