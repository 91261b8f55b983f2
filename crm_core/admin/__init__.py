"""Admin: staff users and team settings."""
