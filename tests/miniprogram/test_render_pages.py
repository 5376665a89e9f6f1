"""Every mini-program page, for each role that sees it, rendered with real data and looked at.

The pages run in miniprogram-simulate (as the jest tests run them) with a `wx` that talks to the
live api on the demo county, logged in per role (miniprogram/scripts/render-pages.js); each
rendered page becomes an HTML file with the styles WeChat would apply (app.wxss, WeUI from
`useExtendedLib`, the page's and its components' wxss under WeChat's style isolation, rpx at
375 px), which headless Chromium shows at 375×667 (tests/miniprogram/shoot_pages.js). A page
fails when it cannot load its data, shows no text, has WeUI classes no style reaches (style
isolation, or a class WeUI does not have), scrolls sideways or has an element outside the
screen, squeezes a label to one character per line, writes text smaller than 11 px, or (home)
does not put 扫码签到 first and largest. Every answer the pages got must match the OpenAPI
document, and every call a page made must be in the contract table (page_reads.py).

Runs in the embedded pass only: the browser adds nothing a second backend would test.
The screenshots stay in tests/artifacts/<run>/miniprogram-pages/ (ignored by git) for people to see.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from server.demo import load_demo
from server.orgs.models import Pairing
from server.publicity.models import Post
from tests.miniprogram.calls import MINIPROGRAM, answer_problems, miniprogram_calls, node
from tests.miniprogram.page_reads import PAGE_READS
from tests.miniprogram.test_e2e import _login, _notice_for, _open_activity_for
from tests.miniprogram.test_e2e_roles import _plan
from tests.support.artifacts import artifacts

HERE = Path(__file__).resolve().parent
SHOTS = artifacts("miniprogram-pages")
VIEWPORT = {"width": 375, "height": 667}
#: 22rpx at 375 px; WeChat's own small print (tab bar labels) is outside the page.
MIN_FONT_PX = 11

pytestmark = pytest.mark.embedded


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "未找到 chromium：请运行 scripts/setup.sh（apt-get install chromium）"
    assert (HERE.parent / "web" / "node_modules" / "playwright-core").is_dir(), (
        "未找到 playwright-core：请运行 scripts/setup.sh（tests/web 中 npm ci）"
    )
    assert (MINIPROGRAM / "node_modules" / "weui-miniprogram").is_dir(), (
        "未找到 weui-miniprogram：请运行 scripts/setup.sh（miniprogram 中 npm ci）"
    )
    return found


def _app_pages() -> list[str]:
    return json.loads((MINIPROGRAM / "app.json").read_text())["pages"]


def _home_entries() -> dict[str, list[str]]:
    """The pages each role's home lists (utils/roles.js entriesFor), read with node."""
    script = (
        "const { entriesFor } = require('./utils/roles');"
        f"const roles = {json.dumps(ROLES)};"
        "process.stdout.write(JSON.stringify(Object.fromEntries(roles.map(role =>"
        " [role, entriesFor({ roles: [{ role }] }).map(e => e.url.split('?')[0].slice(1))]))))"
    )
    out = subprocess.run(
        [node(), "-e", script], cwd=MINIPROGRAM, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


LONG_ADDRESS = "湘江县青山镇石桥村村民委员会东侧石桥村幼儿园二楼多功能活动室"
ROLES = ["teacher", "organizer", "director", "leader", "parent", "admin"]
LOGINS = {
    "teacher": "demo-teacher",
    "organizer": "demo-organizer",
    "director": "demo-director",
    "leader": "demo-leader",
    "parent": "demo-parent",
    "admin": "demo-admin",
}


async def _data(client, tmp_path) -> dict:
    """Real things to show: the e2e plans' activities, open day and notices, a teacher's
    check-in, a post under review and one waiting to be signed, a summary, a pairing."""
    plan = await _plan(client, tmp_path)
    teacher = await _login(client, "demo-teacher")
    scene = await _open_activity_for(client, teacher["person"])
    notice_id = await _notice_for(client, teacher["person"])
    checked = await client.post(
        "/api/v1/checkins",
        headers=teacher["headers"],
        json={"scene": scene, "nonce": uuid.uuid4().hex},
    )
    assert checked.status_code in (200, 201), checked.text
    result = checked.json()
    # A venue as long as real ones are: the activity page's labels must keep their width.
    admin = await _login(client, "demo-admin")
    resp = await client.patch(
        f"/api/v1/activities/{result['activity']['id']}",
        headers=admin["headers"],
        json={"address": LONG_ADDRESS},
    )
    assert resp.status_code == 200, resp.text
    organizer = await _login(client, "demo-organizer")
    first = plan["invitee_ids"][0]
    resp = await client.post(
        f"/api/v1/activities/{plan['activity_id']}/checkins",
        headers=organizer["headers"],
        json={"person_id": first, "reason": "手机没电，现场补签"},
    )
    assert resp.status_code in (200, 201), resp.text
    reviewing = await Post.filter(status="reviewing").order_by("id").first()
    signing = await Post.filter(status="signing").order_by("id").first()
    leader = await _login(client, "demo-leader")
    # The latest summary is made on first request when none is stored yet.
    summary = await client.get("/api/v1/reports/summaries/latest", headers=leader["headers"])
    assert summary.status_code == 200, summary.text
    # A pairing the director's kindergarten (湘江县实验幼儿园) supports; the leader sees all.
    pairing = await Pairing.filter(supporting__name="湘江县实验幼儿园").order_by("id").first()
    return {
        **plan,
        "teacher_activity_id": result["activity"]["id"],
        "teacher_activity_title": result["activity"]["title"],
        "teacher_notice_id": notice_id,
        "checkin_result": result,
        "reviewing_post": reviewing.id,
        "signing_post": signing.id,
        "summary_id": summary.json()["id"],
        "pairing_id": pairing.id,
    }


def _renders(d: dict) -> list[dict]:
    """(role, page, query, texts that must show) for every page each role reaches; "privacy"
    when WeChat first asks for privacy authorisation (the popup shows)."""
    result = quote(json.dumps(d["checkin_result"], ensure_ascii=False))
    rows = {
        "teacher": [
            ("home", {}, []),
            ("checkin", {}, []),
            ("checkin-result", {"r": result}, [d["teacher_activity_title"]]),
            ("activities", {}, [d["teacher_activity_title"]]),
            (
                "activity",
                {"id": d["teacher_activity_id"]},
                [d["teacher_activity_title"], LONG_ADDRESS],
            ),
            ("hours", {}, []),
            ("notices", {}, ["联合教研通知"]),
            ("notice", {"id": d["teacher_notice_id"]}, ["联合教研通知"]),
            ("inbox", {}, []),
            ("scan-login", {}, []),
            ("settings", {}, ["郑洁"]),
            ("privacy", {}, []),
            ("checkin", {}, ["用户隐私保护提示", "同意并继续"], "privacy"),
        ],
        "organizer": [
            ("home", {}, []),
            ("checkin", {}, []),
            ("activities", {}, []),
            ("activity", {"id": d["activity_id"]}, ["送教到园：科学活动观摩"]),
            ("organize", {"id": d["activity_id"]}, ["送教到园：科学活动观摩"]),
            ("record-card", {"id": d["activity_id"]}, ["送教到园：科学活动观摩"]),
            ("hours", {}, []),
            ("notices", {}, []),
            ("inbox", {}, []),
            ("scan-login", {}, []),
            ("settings", {}, []),
        ],
        "director": [
            ("home", {}, []),
            ("checkin", {}, []),
            ("kindergarten", {}, []),
            ("pairing", {"id": d["pairing_id"]}, []),
            ("activities", {}, []),
            ("record-card", {"id": d["activity_id"]}, ["送教到园：科学活动观摩"]),
            ("posts", {}, []),
            ("post", {"id": d["reviewing_post"]}, []),
            ("hours", {}, []),
            ("notices", {}, []),
            ("inbox", {}, []),
            ("scan-login", {}, []),
            ("settings", {}, []),
        ],
        "leader": [
            ("home", {}, []),
            ("summary", {}, []),
            ("summary", {"id": d["summary_id"]}, []),
            ("summaries", {}, []),
            ("rankings", {}, []),
            ("pairing", {"id": d["pairing_id"]}, []),
            ("posts", {}, []),
            ("post", {"id": d["signing_post"]}, []),
            ("activities", {}, []),
            ("notices", {}, []),
            ("inbox", {}, []),
            ("scan-login", {}, []),
            ("settings", {}, []),
        ],
        "parent": [
            ("home", {}, []),
            ("checkin", {}, []),
            ("notices", {}, ["小一班家长开放日通知"]),
            ("notice", {"id": d["notice_id"]}, ["小一班家长开放日通知", "石桥村幼儿园多功能厅"]),
            ("inbox", {}, []),
            ("settings", {}, []),
        ],
        "admin": [
            ("home", {}, []),
            ("activities", {}, []),
            ("summary", {}, []),
            ("summaries", {}, []),
            ("rankings", {}, []),
            ("posts", {}, []),
            ("notices", {}, []),
            ("inbox", {}, []),
            ("scan-login", {}, []),
            ("settings", {}, []),
        ],
        "newcomer": [
            ("home", {}, []),
            ("bind", {"code": "AB12CD34"}, []),
        ],
    }
    out = []
    for role, pages in rows.items():
        for n, (page, query, texts, *extra) in enumerate(pages):
            suffix = "-id" if page == "summary" and query else "-privacy" if extra else ""
            out.append(
                {
                    "name": f"{role}-{n:02d}-{page}{suffix}",
                    "role": role,
                    "login": LOGINS.get(role, "render-newcomer"),
                    "page": f"pages/{page}/index",
                    "query": query,
                    "texts": texts,
                    "privacy": "privacy" in extra,
                }
            )
    return out


async def _node(*args: str, env: dict | None = None) -> dict:
    proc = await asyncio.create_subprocess_exec(
        *args,
        cwd=MINIPROGRAM,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=600)
    except TimeoutError:
        proc.kill()  # never leave a browser behind
        await proc.wait()
        raise
    assert proc.returncode == 0, stderr.decode()[-4000:]
    return json.loads(stdout.decode().strip().splitlines()[-1])


def test_the_plan_renders_every_page_and_every_home_entry_of_each_role():
    fake = dict.fromkeys(
        (
            "teacher_activity_id",
            "teacher_notice_id",
            "activity_id",
            "notice_id",
            "reviewing_post",
            "signing_post",
            "summary_id",
            "pairing_id",
        ),
        1,
    )
    renders = _renders({**fake, "checkin_result": {}, "teacher_activity_title": "x"})
    rendered = {r["page"] for r in renders}
    assert set(_app_pages()) <= rendered, set(_app_pages()) - rendered
    for role, pages in _home_entries().items():
        mine = {r["page"] for r in renders if r["role"] == role}
        assert set(pages) <= mine, (role, set(pages) - mine)


async def test_every_page_renders_readably_at_phone_width_for_each_role(client, api, tmp_path):
    chromium = _chromium()
    await load_demo(api.app.ctx.runtime.settings)
    data = await _data(client, tmp_path)
    pages = set(_app_pages())
    renders = [r for r in _renders(data) if r["page"] in pages]
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir(parents=True)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps({"renders": renders}, ensure_ascii=False))

    script = str(MINIPROGRAM / "scripts" / "render-pages.js")
    rendered = await _node(node(), script, api.url, str(plan_file), str(SHOTS))
    by_name = {r["name"]: r for r in rendered["renders"]}
    problems = [f"{n}: {r['error']}" for n, r in by_name.items() if r["error"]]
    assert problems == [], "\n".join(problems)

    # Every answer the pages got is as the OpenAPI document declares it.
    spec = (await client.get("/docs/openapi.json")).json()
    answers = [a for r in rendered["renders"] for a in r["answers"]]
    assert len(answers) > 100
    assert answer_problems(spec, miniprogram_calls(), answers) == []

    # Every call a page made is one of its rows in the contract table (test_contract.py checks
    # those rows' fields against the OpenAPI document).
    unlisted = sorted(
        {
            f"{r['page']} → {call}"
            for r in rendered["renders"]
            for call in r["calls"]
            if call not in PAGE_READS.get(r["page"], {}) and call not in ("login", "refresh")
        }
    )
    assert unlisted == [], unlisted

    shot = await _node(
        node(),
        str(HERE / "shoot_pages.js"),
        env={
            "SJT_SHOOT": json.dumps(
                {
                    "chromium": chromium,
                    "viewport": VIEWPORT,
                    "minFontPx": MIN_FONT_PX,
                    "pages": [{"name": n, "html": r["html"]} for n, r in by_name.items()],
                }
            )
        },
    )
    print(f"mini-program screenshots: {SHOTS}")
    assert shot["errors"] == []
    assert len(shot["pages"]) == len(renders)
    wanted = {r["name"]: r for r in renders}
    problems = []
    for seen in shot["pages"]:
        where = f"{seen['name']} ({seen['shot']})"
        if seen["viewport"] != VIEWPORT["width"] or seen["scrollWidth"] > VIEWPORT["width"]:
            problems.append(f"{where} scrolls sideways: {seen['scrollWidth']} px wide")
        checks = {
            "has elements outside the screen": seen["outside"],
            "has WeUI classes no style reaches": seen["unstyled"],
            "squeezes text to one character per line": seen["squeezed"],
            f"has text smaller than {MIN_FONT_PX} px": seen["tiny"],
            "does not show": [t for t in wanted[seen["name"]]["texts"] if t not in seen["text"]],
        }
        problems += [f"{where} {what}: {found}" for what, found in checks.items() if found]
        scan = [e for e in seen["entries"] if e["text"] == "扫码签到"]
        if scan and (
            seen["entries"][0] != scan[0]
            or scan[0]["area"] < max(e["area"] for e in seen["entries"])
        ):
            problems.append(f"{where}: 扫码签到 is not the first and largest entry")
        if len(seen["text"]) < 4:
            problems.append(f"{where} is empty: {seen['text']!r}")
        if not Path(seen["shot"]).stat().st_size:  # noqa: ASYNC240 (a local file, once)
            problems.append(f"{where}: no screenshot")
    assert problems == [], "\n".join(problems)
