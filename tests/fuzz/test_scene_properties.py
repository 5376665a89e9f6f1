"""Property tests of the check-in scene codes.

(server/activities/codes.py, server/checkin/scan_rules.py)

Any scanned text parses to a scene or is refused as BadScene; every code we make reads back
as made; no scene whose signature was not made with the activity's secret is ever accepted.
"""

from __future__ import annotations

import asyncio
import string
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from server.activities.codes import (
    CODE_LENGTH,
    SCENE_CHARS,
    BadScene,
    Scene,
    dynamic_scene,
    parse_scene,
    signature_valid,
    static_scene,
    time_step,
)
from server.checkin.scan_rules import Refusal, scan_moment
from tests.fuzz.helpers import fuzz
from tests.support.factories import login_as, make_activity, make_kindergarten
from tests.support.http import sync_http_client
from tests.support.rate_limits import limits

WXACODE_CHARS = string.ascii_letters + string.digits + "!#$&'()*+,/:;=?@._~-"
CODES = st.text(alphabet=string.ascii_letters + string.digits, min_size=8, max_size=8)
SECRETS = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
STEPS = st.integers(min_value=0, max_value=36**10 - 1)
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def _activity(secret: str, rotate: int = 15):
    return SimpleNamespace(secret=secret, rotate_seconds=rotate)


@fuzz(300)
@given(text=st.one_of(st.text(max_size=40), st.text(alphabet=WXACODE_CHARS, max_size=40)))
def test_any_scanned_text_is_a_scene_or_bad_scene(text):
    try:
        scene = parse_scene(text)
    except BadScene:
        return
    assert len(scene.code) == CODE_LENGTH
    assert (scene.step is None) == (scene.mac is None)


@fuzz(100)
@given(code=CODES, secret=SECRETS, step=STEPS)
def test_every_code_we_make_reads_back_as_made(code, secret, step):
    poster = static_scene(code)
    assert SCENE_CHARS.match(poster) and parse_scene(poster) == Scene(code=code)
    projector = dynamic_scene(code=code, secret=secret, step=step)
    assert SCENE_CHARS.match(projector) and len(projector) <= 32
    parsed = parse_scene(projector)
    assert (parsed.code, parsed.step) == (code, step)
    assert signature_valid(parsed, secret=secret)


@fuzz(200)
@given(
    code=CODES,
    secret=SECRETS,
    step=STEPS,
    position=st.integers(min_value=0, max_value=31),
    replacement=st.sampled_from(WXACODE_CHARS),
)
def test_a_tampered_dynamic_code_is_never_valid(code, secret, step, position, replacement):
    scene = dynamic_scene(code=code, secret=secret, step=step)
    i = position % len(scene)
    tampered = scene[:i] + replacement + scene[i + 1 :]
    assume(tampered != scene)
    try:
        parsed = parse_scene(tampered)
    except BadScene:
        return
    # Base 36 has one spelling per number, and the MAC covers code and step.
    assert not signature_valid(parsed, secret=secret)


@fuzz(200)
@given(
    code=CODES,
    secret=SECRETS,
    other=SECRETS,
    step=STEPS,
    mac=st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=8, max_size=8),
)
def test_a_code_signed_with_another_secret_or_made_up_is_never_valid(
    code, secret, other, step, mac
):
    assume(other != secret)
    forged = parse_scene(dynamic_scene(code=code, secret=other, step=step))
    assert not signature_valid(forged, secret=secret)
    real = parse_scene(dynamic_scene(code=code, secret=secret, step=step))
    assume(mac != real.mac)
    assert not signature_valid(Scene(code=code, step=step, mac=mac), secret=secret)


@fuzz(200)
@given(
    secret=SECRETS,
    step=STEPS,
    code=CODES,
    rotate=st.sampled_from([10, 15, 30, 60]),
    scanned_offset=st.one_of(st.none(), st.integers(min_value=-(10**9), max_value=10**9)),
    forge=st.booleans(),
)
def test_scan_moment_accepts_only_signed_steps_inside_their_window(
    secret, step, code, rotate, scanned_offset, forge
):
    forger = "f" * 64
    assume(secret != forger)
    scene = parse_scene(dynamic_scene(code=code, secret=forger if forge else secret, step=step))
    activity = _activity(secret, rotate)
    scanned_at = None if scanned_offset is None else NOW + timedelta(seconds=scanned_offset)
    try:
        moment = scan_moment(activity=activity, scene=scene, now=NOW, scanned_at=scanned_at)
    except Refusal as refusal:
        assert refusal.reason in ("bad_code", "code_expired")
        return
    assert not forge
    current = time_step(NOW, rotate)
    assert step <= current + 1
    if step < current - 1:
        assert moment.offline and scanned_at is not None and moment.at == scanned_at
        assert NOW - moment.at <= timedelta(days=7, minutes=2)


@pytest.mark.embedded
async def test_the_check_in_endpoint_refuses_every_tampered_scene(api, client):
    """End to end: mutated projector codes never check anyone in; the real one does."""
    from server.common.time import now

    kg = await make_kindergarten()
    activity = await make_activity(kg)
    teacher = await login_as(client, "teacher", scope_id=kg.id, teacher_of=kg)
    step = time_step(now(), activity.rotate_seconds)
    real = dynamic_scene(code=activity.code, secret=activity.secret, step=step)
    # The codes are under test here, not the per-account limit (tests/security has that).
    with limits(api, checkin_per_account="1000/minute"):
        answers = await asyncio.to_thread(_post_tampered, api.url, teacher.headers, real)
        ok = await client.post(
            "/api/v1/checkins",
            headers=teacher.headers,
            json={"scene": real, "nonce": "realnonce1"},
        )
    assert len(answers) >= 60
    accepted = [(scene, status) for scene, status, _ in answers if status < 400]
    assert accepted == []
    assert {reason for _, _, reason in answers} <= {"bad_code", "code_expired", "invalid_input"}
    assert ok.status_code == 200, ok.text


def _post_tampered(base_url: str, headers: dict, real: str) -> list[tuple[str, int, str]]:
    answers: list[tuple[str, int, str]] = []
    with sync_http_client(base_url=base_url, headers=headers, timeout=30) as http:

        @fuzz(80)
        @given(
            position=st.integers(min_value=0, max_value=31),
            replacement=st.sampled_from(WXACODE_CHARS),
            nonce=st.from_regex(r"[A-Za-z0-9_-]{8,20}", fullmatch=True),
        )
        def send(position, replacement, nonce):
            i = position % len(real)
            scene = real[:i] + replacement + real[i + 1 :]
            if scene == real:
                return
            resp = http.post("/api/v1/checkins", json={"scene": scene, "nonce": nonce})
            body = resp.json()
            answers.append((scene, resp.status_code, body.get("reason") or body.get("error")))

        send()
    return answers
