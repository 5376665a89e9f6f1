"""The api's process manager: its signal handler only notes the stop (server/stopping.py).

Python runs a signal handler in the main thread between two steps of whatever it
interrupts; the manager's loop reads the workers' shared states through one proxy
connection every tenth of a second. A handler that used that proxy too could land inside
such a read, and each call then read the other's answer. tests/test_stop.py stops the real
processes; this holds the rule itself, with a proxy that fails if it is touched.
"""

from __future__ import annotations

import signal

from sanic.worker.manager import MonitorCycle

from server.stopping import _stoppable_manager_class


class _Untouchable:
    """Stands for the workers' shared states: any use in the handler is the bug."""

    def __init__(self) -> None:
        self.armed = True

    def _used(self, *args, **kwargs):
        if self.armed:
            raise AssertionError("the signal handler used the shared worker states")
        return []

    __getitem__ = __setitem__ = values = items = get = _used


class _Process:
    pid = 4242
    name = "Sanic-Server-0-0"

    def __init__(self) -> None:
        self.terminated = 0

    def is_alive(self) -> bool:
        return True

    def terminate(self) -> None:
        self.terminated += 1


class _Worker:
    def __init__(self, process: _Process) -> None:
        self.processes = [process]


def _manager():
    cls = _stoppable_manager_class()
    manager = cls.__new__(cls)  # no real processes: what the handler and the loop touch
    manager._shutting_down = False
    manager._stop_requested = False
    manager.worker_state = _Untouchable()
    process = _Process()
    manager.transient = {"Sanic-Server-0": _Worker(process)}
    manager.durable = {}
    return manager, process


def test_a_stop_signal_is_noted_in_the_handler_and_carried_out_by_the_managers_loop():
    manager, process = _manager()

    manager.shutdown_signal(signal.SIGINT, None)
    manager.shutdown_signal(signal.SIGTERM, None)  # systemd after a terminal's Ctrl-C

    assert manager._stop_requested
    assert process.terminated == 0  # nothing done inside the handler
    # The loop, at its next turn: done waiting for "ready", out of its cycle, workers stopped.
    assert manager._all_workers_ack()
    assert manager._poll_monitor() is MonitorCycle.BREAK
    manager.monitor()
    assert process.terminated == 1 and manager._shutting_down


def test_without_a_signal_the_loop_reads_the_workers_as_sanic_does():
    manager, process = _manager()
    manager.worker_state.armed = False
    manager.num_server = 1

    assert not manager._all_workers_ack()  # no worker said "ready": keep waiting
    assert process.terminated == 0 and not manager._shutting_down
