"""The CSV import/export framework; it knows the areas' importers only through its registry."""
