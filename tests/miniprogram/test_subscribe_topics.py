"""Every message kind the server sends is asked for by a mini-program prompt of at most three."""

from __future__ import annotations

import json
import subprocess

from server.delivery.templates import KIND_NAMES
from tests.miniprogram.calls import MINIPROGRAM, node


def _topics() -> dict[str, list[str]]:
    script = "process.stdout.write(JSON.stringify(require('./utils/subscribe').TOPICS))"
    out = subprocess.run(
        [node(), "-e", script],
        cwd=MINIPROGRAM,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return json.loads(out.stdout)


def test_every_kind_is_asked_for_somewhere_and_no_prompt_holds_more_than_three():
    topics = _topics()
    asked = {kind for kinds in topics.values() for kind in kinds}
    # wx.requestSubscribeMessage: "一次调用最多可订阅3条消息".
    assert {name: len(kinds) for name, kinds in topics.items() if len(kinds) > 3} == {}
    assert sorted(set(KIND_NAMES) - asked) == []
    assert sorted(asked - set(KIND_NAMES)) == []
