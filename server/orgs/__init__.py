"""Organisations: regions, alliances, kindergartens, pairings, classes, people."""
