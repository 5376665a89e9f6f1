"""What server/jobs/taskiq_adapter.py relies on in taskiq and taskiq-redis is still there.

These fail, by name, when an upgrade of taskiq or taskiq-redis moves one of the private or
CLI-internal pieces we use: read the adapter's docstring, then the new taskiq, before
changing the pin.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import tomllib
import uuid
from importlib.metadata import version
from pathlib import Path

import fakeredis
from packaging.requirements import Requirement
from packaging.version import Version
from taskiq import BrokerMessage, InMemoryBroker, TaskiqScheduler
from taskiq.cli.scheduler.args import SchedulerArgs
from taskiq.cli.scheduler.run import SchedulerLoop, run_scheduler
from taskiq.cli.worker.args import WorkerArgs
from taskiq.cli.worker.run import run_worker
from taskiq.schedule_sources import LabelScheduleSource
from taskiq_redis import RedisStreamBroker

from server.jobs.scheduler import OncePerTickScheduler
from server.jobs.stream_broker import ReconnectingStreamBroker
from server.jobs.taskiq_adapter import AckWrappingStreamBroker, embedded_cron_loop, jobs_in_flight

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _pins() -> dict[str, Requirement]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    return {r.name: r for r in map(Requirement, project["dependencies"])}


def test_taskiq_and_taskiq_redis_are_pinned_to_the_installed_minor():
    pins = _pins()
    for name in ("taskiq", "taskiq-redis"):
        installed = Version(version(name))
        spec = pins[name].specifier
        assert spec.contains(installed), f"{name} {installed} is outside its pin {spec}"
        next_minor = Version(f"{installed.major}.{installed.minor + 1}.0")
        assert not spec.contains(next_minor), f"{name}: pin the minor version ({spec})"


def test_the_private_and_cli_names_the_adapter_uses_keep_their_signatures():
    ack = inspect.signature(RedisStreamBroker._ack_generator)
    assert list(ack.parameters) == ["self", "id", "queue_name"]
    assert inspect.isasyncgenfunction(RedisStreamBroker.listen)
    assert "_running_tasks" in vars(InMemoryBroker(await_inplace=False))
    assert list(inspect.signature(SchedulerLoop).parameters)[0] == "scheduler"
    assert "skip_first_run" in inspect.signature(SchedulerLoop.run).parameters
    assert inspect.iscoroutinefunction(run_scheduler)
    assert list(inspect.signature(run_scheduler).parameters) == ["args"]
    assert list(inspect.signature(run_worker).parameters) == ["args"]
    assert {"scheduler", "modules"} <= {f.name for f in dataclasses.fields(SchedulerArgs)}
    used = {"broker", "modules", "workers", "max_async_tasks", "wait_tasks_timeout"}
    assert used | {"shutdown_timeout"} <= {f.name for f in dataclasses.fields(WorkerArgs)}
    # OncePerTickScheduler overrides on_ready, which taskiq's loop calls once per due task.
    assert list(inspect.signature(TaskiqScheduler.on_ready).parameters) == [
        "self",
        "source",
        "task",
    ]
    assert OncePerTickScheduler.on_ready is not TaskiqScheduler.on_ready


def test_our_stream_broker_overrides_no_private_name_itself():
    # The adapter is the one place: stream.py works through wrap_ack and public names.
    private = {
        n for n in vars(ReconnectingStreamBroker) if n[:1] == "_" != n[1:2] and n != "_abc_impl"
    }
    assert private == {"_declare_group_again"}  # its own helper, not taskiq's
    assert not hasattr(RedisStreamBroker, "_declare_group_again")
    for attribute in ("connection_pool", "queue_name", "consumer_group_name"):
        assert hasattr(RedisStreamBroker("redis://127.0.0.1:1"), attribute)


def _stream_broker(redis, queue: str, consumer: str, acks: list) -> AckWrappingStreamBroker:
    class Recording(AckWrappingStreamBroker):
        def wrap_ack(self, ack, *, id):
            acks.append((consumer, id))
            return super().wrap_ack(ack, id=id)

    broker = Recording(
        "redis://127.0.0.1:1/0",
        queue_name=queue,
        consumer_group_name="adapter-test",
        consumer_name=consumer,
        xread_block=1,
        idle_timeout=0,
    )
    broker.connection_pool = redis.connection_pool  # fakeredis: the test needs no server
    return broker


async def test_new_and_reclaimed_stream_messages_are_acknowledged_through_wrap_ack():
    redis = fakeredis.FakeAsyncRedis()
    queue, acks = f"adapter-test-{uuid.uuid4().hex}", []
    first = _stream_broker(redis, queue, "first", acks)
    await first.startup()
    await first.kick(BrokerMessage(task_id="1", task_name="t", message=b"job", labels={}))
    taken = first.listen()
    message = await anext(taken)
    await taken.aclose()
    assert message.data == b"job" and [c for c, _ in acks] == ["first"]
    assert (await redis.xpending(queue, "adapter-test"))["pending"] == 1
    # Not acknowledged: another consumer reclaims it, through wrap_ack again. (taskiq-redis
    # 1.2 looks for unacknowledged entries only after a read that brought new ones.)
    await first.kick(BrokerMessage(task_id="2", task_name="t", message=b"next", labels={}))
    second = _stream_broker(redis, queue, "second", acks)
    reading = second.listen()
    new, again = await anext(reading), await anext(reading)
    await reading.aclose()
    assert (new.data, again.data) == (b"next", b"job")
    assert [c for c, _ in acks] == ["first", "second", "second"]
    assert acks[2][1] == acks[0][1]  # the first stream entry, reclaimed
    await again.ack()
    await new.ack()
    assert (await redis.xpending(queue, "adapter-test"))["pending"] == 0
    await redis.aclose()


async def test_jobs_in_flight_counts_the_in_memory_brokers_running_jobs():
    broker = InMemoryBroker(await_inplace=False)
    release = asyncio.Event()

    async def wait() -> None:
        await release.wait()

    task = broker.register_task(wait, task_name="adapter.wait")
    await broker.startup()
    assert jobs_in_flight(broker) == 0
    await task.kiq()
    await task.kiq()
    assert jobs_in_flight(broker) == 2
    release.set()
    await broker.wait_all()
    await asyncio.sleep(0)  # the tasks' done callbacks run
    assert jobs_in_flight(broker) == 0
    await broker.shutdown()
    assert jobs_in_flight(RedisStreamBroker("redis://127.0.0.1:1")) is None


async def test_the_embedded_cron_loop_is_taskiqs_scheduler_loop():
    broker = InMemoryBroker(await_inplace=False)
    loop = embedded_cron_loop(TaskiqScheduler(broker, sources=[LabelScheduleSource(broker)]))
    assert inspect.iscoroutine(loop) and loop.cr_code is SchedulerLoop.run.__code__
    loop.close()
