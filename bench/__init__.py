"""Benchmarks: each prints its result as a ratio against a baseline of the same run."""
