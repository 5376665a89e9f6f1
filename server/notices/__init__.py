"""Notices to families and staff: audience, receipts, RSVP, reminders, feedback."""
