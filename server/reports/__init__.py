"""Targets engine: the figures of DOMAIN.md against their targets, rankings and alerts."""
