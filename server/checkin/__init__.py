"""Check-in: exactly once per activity and person, live attendance, hours."""
