"""Database plumbing: engine and session from a URL, migrations, the demo-data generator."""
