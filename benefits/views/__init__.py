"""The deaths and benefits pages, one module per area of work."""
