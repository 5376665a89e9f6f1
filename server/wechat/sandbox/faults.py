"""Faults injected on request: errcodes, slow answers, for some or all endpoint kinds."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass


@dataclass
class Fault:
    """One injected fault; `times` None means until cleared."""

    kind: str
    errcode: int | None = None
    rate: float = 1.0
    times: int | None = None
    delay: float = 0.0
    #: WeChat acted on the call (sent the message), but its answer comes this much later: a
    #: caller that dies or gives up meanwhile never learns the outcome.
    answer_delay: float = 0.0

    def to_dict(self) -> dict:
        """JSON form for the control API."""
        return asdict(self)


class FaultTable:
    """The active faults, matched in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._random = random.Random()

    def add(self, fault: Fault) -> None:
        """Activate a fault."""
        self._faults.append(fault)

    def clear(self) -> None:
        """Remove every fault."""
        self._faults.clear()

    def list(self) -> list[dict]:
        """The active faults as JSON."""
        return [fault.to_dict() for fault in self._faults]

    def pick(self, kind: str) -> tuple[float, int | None, float]:
        """Fire the faults matching `kind`: delay, the first errcode (or None), answer delay."""
        delay = answer_delay = 0.0
        errcode: int | None = None
        for fault in list(self._faults):
            if fault.kind not in (kind, "*"):
                continue
            if fault.rate < 1.0 and self._random.random() >= fault.rate:
                continue
            delay += fault.delay
            answer_delay += fault.answer_delay
            if errcode is None:
                errcode = fault.errcode
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
        return delay, errcode, answer_delay
