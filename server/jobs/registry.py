"""Jobs are plain async functions registered by name; brokers are built from them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

#: name -> (function, cron expressions)
_JOBS: dict[str, tuple[Callable[..., Awaitable[Any]], tuple[str, ...]]] = {}


def job(name: str, *, cron: tuple[str, ...] = ()) -> Callable:
    """Register an idempotent `async def verb_noun(*, ...)` under a fixed job name."""

    def decorate(func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        if name in _JOBS and _JOBS[name][0] is not func:
            raise ValueError(f"job {name} registered twice")
        _JOBS[name] = (func, cron)
        return func

    return decorate


def registered_jobs() -> dict[str, tuple[Callable[..., Awaitable[Any]], tuple[str, ...]]]:
    """Every job known after importing the domains' jobs modules."""
    import_job_modules()
    return dict(_JOBS)


#: Modules whose import registers jobs; a domain with jobs adds itself here.
JOB_MODULES = (
    "server.orgs.jobs",
    "server.accounts.jobs",
    "server.notices.jobs",
    "server.delivery.jobs",
    "server.activities.jobs",
    "server.reports.jobs",
    "server.publicity.jobs",
    "server.certificates.jobs",
)


def import_job_modules() -> None:
    """Import every domain's jobs module so their @job decorators run."""
    import importlib

    for module in JOB_MODULES:
        importlib.import_module(module)
