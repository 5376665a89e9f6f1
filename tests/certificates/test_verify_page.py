"""The verification page in a real browser, as a phone shows it after a scan: rendered to PNG
(headless Chromium) under tests/artifacts/certificates for a person to look at.

Runs in the embedded pass only: the browser adds nothing a second backend would test.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

from tests.certificates.helpers import ARTIFACTS, make_scene

#: The stamp colours of certificate.css: green (有效), amber (已变更), red (无法核验).
STAMPS = {"valid": (0x1D, 0x6B, 0x35), "changed": (0x9A, 0x5A, 0x00), "invalid": (0xA8, 0x1C, 0x1C)}


async def _screenshot(url: str, path: Path, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "未找到 chromium：请运行 scripts/setup.sh（apt-get install chromium）"
    _forget(path)
    # Not subprocess.run: the api answering the browser runs on this very event loop.
    proc = await asyncio.create_subprocess_exec(
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'chromium'}",
        "--window-size=430,860",
        f"--screenshot={path}",
        url,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert await asyncio.wait_for(proc.wait(), 120) == 0
    assert _written(path)


def _forget(path: Path) -> None:
    path.unlink(missing_ok=True)


def _written(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


def _has_colour(path: Path, rgb: tuple[int, int, int], at_least: int = 200) -> bool:
    """True when the picture has many pixels of (about) this colour: the stamp is drawn."""
    with Image.open(path) as image:
        data = image.convert("RGB").tobytes()  # R, G, B bytes, pixel after pixel
        pixels = zip(data[0::3], data[1::3], data[2::3], strict=True)
        near = sum(1 for p in pixels if sum(abs(a - b) for a, b in zip(p, rgb, strict=True)) < 40)
    return near >= at_least


@pytest.mark.embedded
async def test_the_verification_page_renders_like_an_official_document(client, api, tmp_path):
    scene = await make_scene(client)
    valid = (
        await client.post("/api/v1/me/certificates", json={}, headers=scene.teacher.headers)
    ).json()
    changed = (
        await client.post(
            "/api/v1/me/certificates",
            json={"period": "2026", "issuer": "alliance"},
            headers=scene.teacher.headers,
        )
    ).json()
    checkin = scene.checkins["春季跟岗学习"]
    resp = await client.post(
        f"/api/v1/checkins/{checkin.id}/annul",
        json={"reason": "未到岗"},
        headers=scene.organizer.headers,
    )
    assert resp.status_code == 200, resp.text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pages = {
        "valid": urlsplit(valid["verify_url"]).path,
        "changed": urlsplit(changed["verify_url"]).path,
        "invalid": urlsplit(valid["verify_url"]).path[:-1] + "x",
    }
    for name, path in pages.items():
        png = ARTIFACTS / f"verify-{name}.png"
        await _screenshot(api.url + path, png, tmp_path)
        with Image.open(png) as image:
            lo, hi = image.convert("L").getextrema()
        assert lo < 100 and hi > 240, f"{png.name} is blank"
        assert _has_colour(png, STAMPS[name]), f"{png.name}: no {name} stamp"
        print(png)
