"""Benchmarks: each prints its result as a ratio against a baseline of the same run.

bench/soak is the exception: a whole deployment under mixed work and faults, judged by
its own checks (nothing lost or doubled, errors, latency and memory per minute).
"""
