"""Marketing: segments, campaigns and their A/B tests."""
