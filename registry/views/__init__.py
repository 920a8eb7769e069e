"""Browser pages of the registry, one module per area of work; urls.py names the module."""
