"""The overview area's pages."""
