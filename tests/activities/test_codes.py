"""Scene encoding: short enough for wxacode, signed, and refusing forgeries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.activities.codes import (
    SCENE_CHARS,
    BadScene,
    dynamic_scene,
    new_activity_code,
    new_activity_secret,
    parse_scene,
    signature_valid,
    static_scene,
    time_step,
)


def test_static_scene_round_trips_within_wechat_limits():
    code = new_activity_code()
    scene = static_scene(code)
    assert SCENE_CHARS.match(scene) and len(scene) <= 32
    parsed = parse_scene(scene)
    assert parsed.code == code and not parsed.dynamic


def test_dynamic_scene_names_its_step_and_verifies():
    code, secret = new_activity_code(), new_activity_secret()
    step = time_step(datetime(2030, 1, 1, tzinfo=UTC), 15)
    scene = dynamic_scene(code=code, secret=secret, step=step)
    assert SCENE_CHARS.match(scene) and len(scene) <= 32
    parsed = parse_scene(scene)
    assert parsed.dynamic and parsed.step == step and parsed.code == code
    assert signature_valid(parsed, secret=secret)


def test_dynamic_scene_with_other_secret_or_step_is_forged():
    code, secret = new_activity_code(), new_activity_secret()
    scene = dynamic_scene(code=code, secret=secret, step=1000)
    assert not signature_valid(parse_scene(scene), secret=new_activity_secret())
    moved = scene.replace(".rs.", ".rt.")  # step 1000 is "rs" in base 36
    assert moved != scene
    assert not signature_valid(parse_scene(moved), secret=secret)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "s.",
        "s.short",
        "x.abcdefgh",
        "d.abcdefgh.1",
        "d.abcdefgh.zz.short",
        "s.abc defg",
        "s.abcdefgh.extra",
        "💥",
        "d.abcdefgh.ZZ.abcdefgh",
        "a" * 40,
    ],
)
def test_malformed_scenes_are_refused(text):
    with pytest.raises(BadScene):
        parse_scene(text)
