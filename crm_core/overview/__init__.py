"""Overview: the managers' dashboard and team figures, read from the areas' read modules only."""
