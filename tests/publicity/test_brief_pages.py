"""The 简报 PDF looks finished: figures apart, each caption and the byline once, one pair of
quote marks; a pairing's semester 简报 tells every finished activity, posted or not. Every
page is rendered to PNG (pdftoppm) under tests/artifacts/<run>/briefs for a person to look at."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

from server.activities.models import ActivityStatus
from server.checkin.models import Checkin, CheckinMethod
from server.common.time import now
from server.publicity.models import Post, PostStatus
from tests.archive.helpers import AUTUMN_2026, make_activity
from tests.publicity.helpers import PUBLICITY, add_photo, draft, finished_send
from tests.support.artifacts import artifacts
from tests.support.factories import login_as, make_person
from tests.support.world import make_world

ARTIFACTS = artifacts("briefs")


def _text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\x00", "")


def _pages_to_png(content: bytes, name: str) -> list[Path]:
    """Render every page (pdftoppm -png) and check none is blank."""
    assert shutil.which("pdftoppm"), "pdftoppm missing: scripts/setup.sh installs poppler-utils"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    pdf = ARTIFACTS / f"{name}.pdf"
    pdf.write_bytes(content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "90", str(pdf), str(ARTIFACTS / name)], check=True, timeout=60
    )
    pngs = sorted(ARTIFACTS.glob(f"{name}-*.png"))
    assert len(pngs) == len(PdfReader(io.BytesIO(content)).pages)
    for png in pngs:
        with Image.open(png) as image:
            # Above the footer (every page has one): a page with nothing else is blank.
            body = image.convert("L").crop((0, 0, image.width, int(image.height * 0.9)))
            lo, hi = body.getextrema()
        assert lo < 200 and hi > 240, f"{png.name} is blank"
    return pngs


async def test_post_brief_prints_figures_apart_and_each_line_once(client):
    world = await make_world(
        client, PUBLICITY, activity=finished_send(reflection="孩子们专注的神情让我们深受触动。")
    )
    await add_photo(client, world, consent=True, caption="示范课现场")
    await add_photo(client, world, consent=True, caption="评课交流")
    post = await draft(client, world)
    resp = await client.get(f"/api/v1/posts/{post['id']}/brief.pdf", headers=world.director.headers)
    assert resp.status_code == 200, resp.text
    text = _text(resp.content)
    flat = "".join(text.split())
    # Figures with a gap between them (an ideographic space), never run together.
    gapped = text.replace(" ", "").replace("\n", "")
    assert "参加2位" not in gapped and "授课1.5" not in gapped
    assert "3 名教师参加" in text and "2 位教师授课" in text and "1.5 课时" in text
    assert flat.count("示范课现场") == 1 and flat.count("评课交流") == 1
    assert flat.count("撰稿：") == 1
    assert "““" not in flat and "””" not in flat
    assert "“孩子们专注的神情让我们深受触动。”" in flat
    assert "尚未发布" in flat
    _pages_to_png(resp.content, "post-brief")


async def test_semester_brief_tells_every_finished_activity(client):
    world = await make_world(client, PUBLICITY)
    await add_photo(client, world, consent=True, caption="户外游戏")
    post = await draft(client, world)
    await Post.filter(id=post["id"]).update(status=PostStatus.PUBLISHED, published_at=now())
    pairing = await world.activity.pairing
    unposted = await make_activity(
        host=world.supported,
        pairing=pairing,
        title="联合教研：区角游戏",
        starts_at=AUTUMN_2026,
        audience=(world.supported,),
    )
    unposted.summary = "两园教师共同研讨区角材料投放。其余略。"
    await unposted.save()
    for _ in range(2):
        teacher = await make_person(teacher_of=world.supported)
        await Checkin.create(
            activity=unposted, person=teacher, method=CheckinMethod.STATIC, scanned_at=now()
        )
    await make_activity(
        host=world.supported,
        pairing=pairing,
        title="已取消的送教",
        starts_at=AUTUMN_2026,
        status=ActivityStatus.CANCELLED,
    )
    await make_activity(
        host=world.supported,
        pairing=pairing,
        title="尚未举行的送教",
        starts_at=AUTUMN_2026,
        status=ActivityStatus.PUBLISHED,
    )
    url = f"/api/v1/pairings/{pairing.id}/brief.pdf?semester=2026秋"
    resp = await client.get(url, headers=world.leader.headers)
    assert resp.status_code == 200, resp.text
    text = _text(resp.content)
    flat = "".join(text.split())
    assert "本学期已结束2场" in flat
    assert "绘本教学示范课" in flat and "联合教研：区角游戏" in flat
    assert "两园教师共同研讨区角材料投放。" in flat
    assert "2 名教师参加" in text  # the unposted one's figures, from figures.py
    assert "已取消的送教" not in flat and "尚未举行的送教" not in flat
    _pages_to_png(resp.content, "semester-brief")


async def test_an_empty_semester_brief_renders(client):
    world = await make_world(client, PUBLICITY)
    url = f"/api/v1/pairings/{world.activity.pairing_id}/brief.pdf?semester=2026春"
    resp = await client.get(url, headers=world.leader.headers)
    assert resp.status_code == 200, resp.text
    assert "本学期暂无已结束的帮扶活动" in "".join(_text(resp.content).split())
    _pages_to_png(resp.content, "empty-semester-brief")


async def test_recap_post_brief_renders_each_line_once(client):
    world = await make_world(
        client,
        PUBLICITY,
        activity=finished_send(reflection="村园老师第一次上了完整的绘本课。后面略。"),
    )
    await add_photo(client, world, consent=True, caption="示范课现场")
    writer = await login_as(client, "organizer", scope_id=world.supporting.id)
    resp = await client.post(
        f"/api/v1/pairings/{world.activity.pairing_id}/recap-post",
        json={"semester": "2026秋"},
        headers=writer.headers,
    )
    assert resp.status_code == 201, resp.text
    resp = await client.get(f"/api/v1/posts/{resp.json()['id']}/brief.pdf", headers=writer.headers)
    assert resp.status_code == 200, resp.text
    text = _text(resp.content)
    flat = "".join(text.split())
    gapped = text.replace(" ", "").replace("\n", "")
    assert "场活动3名" not in gapped  # the recap's figures stand apart too
    assert "families_checked_in" not in text and "{" not in text  # no raw data printed
    assert flat.count("示范课现场") == 1 and flat.count("撰稿：") == 1
    assert "““" not in flat
    _pages_to_png(resp.content, "recap-brief")
