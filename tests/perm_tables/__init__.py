"""Role-by-URL tables, one module per group of pages (see tests/test_permissions.py)."""
