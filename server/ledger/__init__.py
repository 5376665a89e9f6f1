"""Donations and funds of pairings and alliances, both sides confirming, and their 公示."""
