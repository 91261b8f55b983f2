"""The kernel every area builds on: errors, permissions, the write path, audit, inputs,
look-ups, frames, CSV files, money, configuration and team settings. It imports no area."""
