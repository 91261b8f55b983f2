"""The service area's pages."""
