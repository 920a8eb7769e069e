"""Reads of certification that pages, exports, the API and benchmarks share."""
