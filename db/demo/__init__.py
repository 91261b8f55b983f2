"""The demo-data generator: a coherent two-year history of a coffee, tea and pantry distributor."""

from db.demo.seeding import seed
from db.demo.sizes import SIZES, DemoSize, size_for
from db.demo.writer import is_empty

__all__ = ["SIZES", "DemoSize", "is_empty", "seed", "size_for"]
