"""The deaths and benefits API (DRF), one module per area of work."""
