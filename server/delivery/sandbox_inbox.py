"""What the WeChat sandbox received, as each person got it: for admins on a sandbox setup.

The sandbox records every call in its outbox. Read it (the embedded sandbox's state, or its
/sandbox/outbox endpoint at the configured base URL) and put names, roles, the template's
fields in Chinese and WeChat's answer in Chinese on each message sent to someone.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import aiohttp

from server.accounts import identities as accounts
from server.common.errors import DomainError, Forbidden
from server.common.time import china
from server.delivery.templates import FIELD_NAMES, KIND_NAMES
from server.followers import service as followers
from server.orgs import service as orgs
from server.settings import Settings
from server.wechat.errors import error_for
from server.wechat.sandbox.identity import openid_for

#: Sandbox outbox kinds that carry a message to people, and their Chinese channel names.
CHANNELS = {
    "subscribe_send": "订阅消息",
    "template_send": "模板消息",
    "custom_send": "客服消息",
    "wecom_send": "群机器人",
    "mass_sendall": "群发",
}
ROLE_ORDER = ("admin", "leader", "director", "organizer", "teacher", "parent")
ROLE_NAMES = {
    "admin": "管理员",
    "leader": "领导",
    "director": "园长",
    "organizer": "组织者",
    "teacher": "教师",
    "parent": "家长",
}
#: Newest entries shown at most (the sandbox keeps 5000).
SHOWN = 300


def mask_name(name: str) -> str:
    """A parent's name as the console shows it: the family name only."""
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else ""


async def read_outbox(*, settings: Settings, state: Any = None) -> list[dict]:
    """The sandbox's outbox entries of message kinds, oldest first."""
    if state is not None:
        entries = state.list_outbox()
    else:
        url = f"{settings.wechat_base.rstrip('/')}/sandbox/outbox"
        timeout = aiohttp.ClientTimeout(total=settings.wechat_timeout)
        try:
            # aiohttp, the one HTTP client of production code (see docs/decisions.md).
            async with (
                aiohttp.ClientSession(timeout=timeout, raise_for_status=True) as http,
                http.get(url) as resp,
            ):
                entries = json.loads(await resp.read())["items"]
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError) as exc:
            raise DomainError(
                "sandbox_unreachable", "无法读取微信沙箱的发件记录，请确认沙箱正在运行", status=502
            ) from exc
    return [e for e in entries if e.get("kind") in CHANNELS]


def _templates(settings: Settings) -> dict[str, tuple[str, dict[str, str]]]:
    """Template id -> (message kind, keyword -> semantic field)."""
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for kind, tpl in settings.templates.items():
        if tpl.subscribe_id:
            found.setdefault(tpl.subscribe_id, (kind, {v: k for k, v in tpl.fields.items()}))
        if tpl.oa_id:
            found.setdefault(tpl.oa_id, (kind, {v: k for k, v in tpl.oa_fields.items()}))
    return found


def _fields(request: dict, templates: dict) -> tuple[str, list[tuple[str, str]]]:
    """The message's kind name and its fields as (Chinese label, value)."""
    kind, names = templates.get(str(request.get("template_id") or ""), ("", {}))
    data = request.get("data")
    shown: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for keyword, item in data.items():
            value = item.get("value") if isinstance(item, dict) else item
            semantic = names.get(keyword, "")
            shown.append((FIELD_NAMES.get(semantic, keyword), str(value)))
    markdown = request.get("markdown")
    if isinstance(markdown, dict) and markdown.get("content"):
        shown.append(("内容", str(markdown["content"])))
    if request.get("msgtype") == "image":
        shown.append(("内容", "图片"))
    text = request.get("text")
    if isinstance(text, dict) and text.get("content"):
        shown.append(("内容", str(text["content"])))
    if request.get("msgtype") == "mpnews":
        shown.append(("内容", "图文推送（全部关注者）"))
    if request.get("page") or request.get("url"):
        shown.append(("跳转", str(request.get("page") or request.get("url"))))
    return KIND_NAMES.get(kind, ""), shown


def _group_of(request: dict, settings: Settings) -> str:
    key = str(request.get("key") or "")
    for group, target in settings.wecom_groups.items():
        if key and key in str(target):
            return group
    return ""


async def _people(tousers: set[str], oa_names: dict[str, str]) -> dict[str, int]:
    """openid (mini-program or 公众号) -> person id, for those we know."""
    found = await accounts.people_of_openids(tousers)
    for openid in tousers - set(found):
        person_id = await followers.follower_person(openid)
        if person_id is None and openid in oa_names:
            # The embedded sandbox knows the login name behind a 公众号 openid.
            mp_openid = openid_for(oa_names[openid])
            person_id = (await accounts.people_of_openids([mp_openid])).get(mp_openid)
        if person_id is not None:
            found[openid] = person_id
    return found


def _who(person_id: int, names: dict[int, str], roles: dict[int, set[str]]) -> dict:
    held = [r for r in ROLE_ORDER if r in roles.get(person_id, set())]
    name = names.get(person_id, "")
    if held and set(held) <= {"parent"}:
        name = mask_name(name)  # parents' names stay masked, as the API shows them
    return {
        "person_id": person_id,
        "name": name or f"人员 {person_id}",
        "roles": "、".join(ROLE_NAMES[r] for r in held) or "未分配角色",
    }


async def sandbox_inbox(
    *, principal, settings: Settings, state: Any = None, person_id: int | None = None
) -> dict:
    """What each person received through the sandbox, newest first (admins only)."""
    if not principal.is_admin:
        raise Forbidden("只有管理员可以查看沙箱收件箱")
    if not settings.uses_sandbox:
        return {"in_use": False, "items": [], "people": [], "total": 0}
    entries = await read_outbox(settings=settings, state=state)
    tousers = {e["touser"] for e in entries if e.get("touser")}
    oa_names = dict(getattr(state, "oa_names", {}) or {})
    by_openid = await _people(tousers, oa_names)
    ids = sorted(set(by_openid.values()))
    names = await orgs.person_names(person_ids=ids)
    roles = await accounts.roles_of(ids)
    templates = _templates(settings)
    items = []
    for entry in reversed(entries):
        touser = entry.get("touser")
        pid = by_openid.get(touser) if touser else None
        if person_id is not None and pid != person_id:
            continue
        request = entry.get("request") or {}
        kind_name, fields = _fields(request, templates)
        if pid is not None:
            recipient = _who(pid, names, roles)
        elif entry["kind"] == "wecom_send":
            group = _group_of(request, settings)
            recipient = {"person_id": None, "name": group or "企业微信群", "roles": "群机器人"}
        elif entry["kind"] == "mass_sendall":
            recipient = {"person_id": None, "name": "全部关注者", "roles": "公众号"}
        else:
            recipient = {"person_id": None, "name": "未绑定的微信用户", "roles": ""}
        errcode = entry.get("errcode")
        items.append(
            {
                "id": entry["id"],
                "time": china(datetime.fromisoformat(entry["time"])).strftime("%Y-%m-%d %H:%M:%S"),
                "recipient": recipient,
                "channel": CHANNELS[entry["kind"]],
                "kind_name": kind_name,
                "fields": fields,
                "delivered": bool(entry.get("delivered")),
                "result": "已送达"
                if entry.get("delivered")
                else (
                    f"{error_for(int(errcode), entry.get('errmsg') or '').message}"
                    f"（错误码 {errcode}）"
                    if errcode
                    else "未送达"
                ),
                "errcode": errcode,
            }
        )
        if len(items) >= SHOWN:
            break
    people = sorted((_who(pid, names, roles) for pid in ids), key=lambda p: (p["roles"], p["name"]))
    return {"in_use": True, "items": items, "people": people, "total": len(items)}
