"""The admin area's pages."""
