"""Job queue wiring: broker, worker and scheduler entry points, the cron table."""
