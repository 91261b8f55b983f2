"""The customers area's pages."""
