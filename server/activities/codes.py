"""Check-in codes: the static poster scene and the rotating, signed projector scene.

A wxacode `scene` holds at most 32 characters of [0-9A-Za-z!#$&'()*+,/:;=?@._~-].
  static:  s.<code>                      e.g. s.k3F9xQ2a
  dynamic: d.<code>.<step>.<mac>         e.g. d.k3F9xQ2a.1c2kq9.Yx-3_aB7
<step> is the time step (unix seconds // rotate_seconds) in base 36, so a scan queued
offline names the moment it was shown; <mac> is an HMAC of code and step under the
activity's secret, so nobody can make a valid code for another moment.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime

CODE_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 8
MAC_LENGTH = 8
SCENE_CHARS = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@._~-]{1,32}$")
_CODE = re.compile(r"^[0-9A-Za-z]{8}$")
_STEP = re.compile(r"^[0-9a-z]{1,10}$")
_MAC = re.compile(r"^[0-9A-Za-z_-]{8}$")


class BadScene(ValueError):
    """The scanned text is not one of our check-in codes."""


@dataclass(frozen=True)
class Scene:
    """A parsed scene: static (step None) or dynamic."""

    code: str
    step: int | None = None
    mac: str | None = None

    @property
    def dynamic(self) -> bool:
        """True for the rotating projector code."""
        return self.step is not None


def new_activity_code() -> str:
    """A fresh 8-character public activity code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_activity_secret() -> str:
    """A fresh HMAC key for an activity's rotating code."""
    return secrets.token_hex(32)


def static_scene(code: str) -> str:
    """The scene printed on the poster."""
    return f"s.{code}"


def time_step(at: datetime, rotate_seconds: int) -> int:
    """The rotation step that `at` falls in."""
    return int(at.timestamp()) // rotate_seconds


def _to36(n: int) -> str:
    digits = string.digits + string.ascii_lowercase
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def _mac(secret: str, code: str, step: int) -> str:
    digest = hmac.new(secret.encode(), f"{code}.{step}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:MAC_LENGTH]


def dynamic_scene(*, code: str, secret: str, step: int) -> str:
    """The signed scene for one rotation step."""
    return f"d.{code}.{_to36(step)}.{_mac(secret, code, step)}"


def parse_scene(text: str) -> Scene:
    """Parse a scanned scene (URL-decoded), or raise BadScene."""
    text = (text or "").strip()
    if not SCENE_CHARS.match(text):
        raise BadScene("not a scene")
    parts = text.split(".")
    if len(parts) == 2 and parts[0] == "s" and _CODE.match(parts[1]):
        return Scene(code=parts[1])
    if (
        len(parts) == 4
        and parts[0] == "d"
        and _CODE.match(parts[1])
        and _STEP.match(parts[2])
        and _MAC.match(parts[3])
    ):
        return Scene(code=parts[1], step=int(parts[2], 36), mac=parts[3])
    raise BadScene("unknown scene format")


def signature_valid(scene: Scene, *, secret: str) -> bool:
    """True when a dynamic scene's MAC was made with the activity's secret."""
    if scene.step is None or scene.mac is None:
        return False
    return hmac.compare_digest(scene.mac, _mac(secret, scene.code, scene.step))
