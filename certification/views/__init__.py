"""The certification pages, one module per area of work."""
