"""Cross-cutting pieces: errors, auth, redis, pagination, time."""
