"""The marketing area's pages."""
