"""Entry module for `songjiao worker` and `songjiao scheduler` (taskiq imports it)."""

from __future__ import annotations

from taskiq.schedule_sources import LabelScheduleSource

from server.common.logging import configure_logging
from server.jobs.broker import add_worker_lifecycle, build_broker
from server.jobs.scheduler import OncePerTickScheduler
from server.settings import load_settings

configure_logging()
settings = load_settings()
broker = build_broker(settings)
add_worker_lifecycle(broker, settings)
scheduler = OncePerTickScheduler(broker, sources=[LabelScheduleSource(broker)], settings=settings)
