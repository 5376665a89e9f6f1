"""Prometheus metrics: counters shared by every process through Redis, and /metrics."""
