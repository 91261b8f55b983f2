"""The sales area's pages."""
