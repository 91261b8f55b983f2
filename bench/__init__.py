"""The benchmark: data at scale, timings of what users wait for, memory, against goals."""
