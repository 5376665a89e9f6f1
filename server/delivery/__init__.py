"""Delivery engine: one message per person on the best channel she can receive, the inbox always."""
