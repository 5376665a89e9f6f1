"""Control endpoints under /sandbox/ for tests and the demo: outbox, quotas, faults, reset."""

from __future__ import annotations

import html

from sanic import Blueprint, HTTPResponse, Request
from sanic.response import html as html_response
from sanic.response import raw
from sanic_ext import openapi

from server.wechat.sandbox.endpoint import wechat_json
from server.wechat.sandbox.faults import Fault
from server.wechat.sandbox.mass import parse_mass_outcome
from server.wechat.sandbox.state import PublishOutcome, SandboxState

#: Article pages render posted HTML; the CSP sandbox keeps it from running on our origin.
_ARTICLE_CSP = "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'"


def _bad(message: str, status: int = 400) -> HTTPResponse:
    return wechat_json({"error": "bad_request", "message": message}, status=status)


def _int_arg(request: Request, name: str) -> int | None:
    value = request.args.get(name)
    return int(value) if value is not None and value.isdigit() else None


def _flag_arg(request: Request, name: str) -> bool | None:
    value = request.args.get(name)
    return None if value is None else value.lower() in ("1", "true", "yes")


def _number(body: dict, name: str, default: float | None) -> float | None:
    value = body.get(name, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ValueError(name)
    return value


def _parse_fault(body: dict) -> Fault:
    kind = body.get("kind")
    if not isinstance(kind, str) or not kind:
        raise ValueError("kind")
    errcode, rate = _number(body, "errcode", None), _number(body, "rate", 1.0)
    times, delay = _number(body, "times", None), _number(body, "delay", 0.0)
    answer_delay = _number(body, "answer_delay", 0.0)
    if errcode is None and not delay and not answer_delay:
        raise ValueError("errcode")
    if not 0 <= rate <= 1 or (times is not None and times < 1) or delay < 0 or answer_delay < 0:
        raise ValueError("range")
    return Fault(
        kind=kind,
        errcode=None if errcode is None else int(errcode),
        rate=float(rate),
        times=None if times is None else int(times),
        delay=float(delay),
        answer_delay=float(answer_delay),
    )


def register(bp: Blueprint, state: SandboxState) -> None:
    """Add the /sandbox/ control endpoints to `bp`."""

    async def outbox(request: Request) -> HTTPResponse:
        items = state.list_outbox(
            kind=request.args.get("kind") or None,
            touser=request.args.get("touser") or None,
            since_id=_int_arg(request, "since_id") or 0,
            delivered=_flag_arg(request, "delivered"),
        )
        return wechat_json({"items": items})

    async def clear_outbox(request: Request) -> HTTPResponse:
        state.outbox.clear()
        return wechat_json({"ok": True})

    async def stats(request: Request) -> HTTPResponse:
        return wechat_json({"calls": dict(state.calls), "delivered": dict(state.delivered)})

    async def grant(request: Request) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        openid, template_id = body.get("openid"), body.get("template_id")
        count = body.get("count", 1)
        if not (isinstance(openid, str) and openid and isinstance(template_id, str)):
            return _bad("需要 openid 和 template_id")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            return _bad("count 必须是非负整数")
        state.subscriptions[(openid, template_id)] += count
        remaining = state.subscriptions[(openid, template_id)]
        return wechat_json({"openid": openid, "template_id": template_id, "remaining": remaining})

    async def grant_bulk(request: Request) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        openids, template_id = body.get("openids"), body.get("template_id")
        count = body.get("count", 1)
        if not (
            isinstance(openids, list)
            and all(isinstance(o, str) and o for o in openids)
            and isinstance(template_id, str)
        ):
            return _bad("需要 openids（列表）和 template_id")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            return _bad("count 必须是非负整数")
        for openid in openids:
            state.subscriptions[(openid, template_id)] += count
        return wechat_json({"template_id": template_id, "granted": len(openids)})

    async def delivered_counts(request: Request) -> HTTPResponse:
        kind = request.args.get("kind") or "subscribe_send"
        counts = {user: n for (k, user), n in state.delivered_to.items() if k == kind}
        return wechat_json({"kind": kind, "counts": counts})

    async def add_fault(request: Request) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        if body.get("expire_tokens") is True:
            state.tokens.expire_all()
            return wechat_json({"ok": True, "faults": state.faults.list()})
        try:
            state.faults.add(_parse_fault(body))
        except ValueError:
            return _bad(
                "故障需要 kind，以及 errcode、delay 或 answer_delay；rate 在 0 到 1 之间，times ≥ 1"
            )
        return wechat_json({"ok": True, "faults": state.faults.list()})

    async def clear_faults(request: Request) -> HTTPResponse:
        state.faults.clear()
        return wechat_json({"ok": True, "faults": []})

    async def publish_outcome(request: Request) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        status, errcode = body.get("status", 0), body.get("errcode", 0)
        if status not in range(7) or not isinstance(errcode, int) or isinstance(status, bool):
            return _bad("status 取 0 到 6，errcode 为整数")
        state.publish_outcome = PublishOutcome(status=status, errcode=errcode)
        return wechat_json({"ok": True, "status": status, "errcode": errcode})

    async def mass_quota(request: Request) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        per_day = body.get("per_day")
        if not isinstance(per_day, int) or isinstance(per_day, bool) or per_day < 0:
            return _bad("per_day 须为不小于 0 的整数")
        state.mass_per_day = per_day
        return wechat_json({"ok": True, "per_day": per_day})

    async def mass_outcome(request: Request) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        try:
            state.mass_outcome = parse_mass_outcome(body)
        except ValueError:
            return _bad(
                "status 取 send success、send fail 或 err(数字)；followers、errors 为非负整数"
            )
        outcome = state.mass_outcome
        return wechat_json({"ok": True, "status": outcome.status, "followers": outcome.followers})

    async def set_event_push(request: Request) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        if "url" in body or "token" in body:
            # The address is configuration: a caller who reaches the sandbox must not be
            # able to make it POST wherever they like.
            return _bad("回调地址与令牌只能在沙箱启动时配置，不能由请求指定")
        if state.configured_push is None:
            return _bad("沙箱启动时未配置回调地址，无法推送事件", status=409)
        state.event_push = state.configured_push
        return wechat_json({"ok": True, "event_push": True})

    async def clear_event_push(request: Request) -> HTTPResponse:
        state.event_push = None
        return wechat_json({"ok": True, "event_push": False})

    async def reset(request: Request) -> HTTPResponse:
        state.reset()
        return wechat_json({"ok": True})

    async def media(request: Request, media_id: str) -> HTTPResponse:
        stored = state.media.get(media_id)
        if stored is None:
            return _bad("素材不存在", status=404)
        headers = {"X-Content-Type-Options": "nosniff"}
        return raw(stored.data, content_type=stored.content_type, headers=headers)

    async def article(request: Request, article_id: str) -> HTTPResponse:
        articles = state.articles.get(article_id)
        if not articles:
            return _bad("文章不存在", status=404)
        idx = _int_arg(request, "idx") or 1
        chosen = articles[min(max(idx, 1), len(articles)) - 1]
        page = (
            f"<!doctype html><meta charset='utf-8'><title>{html.escape(chosen['title'])}</title>"
            f"<h1>{html.escape(chosen['title'])}</h1>{chosen['content']}"
        )
        return html_response(page, headers={"Content-Security-Policy": _ARTICLE_CSP})

    async def menu(request: Request) -> HTTPResponse:
        return wechat_json({"button": state.menu})

    routes = [
        (outbox, "/sandbox/outbox", "GET"),
        (clear_outbox, "/sandbox/outbox", "DELETE"),
        (stats, "/sandbox/stats", "GET"),
        (grant, "/sandbox/subscriptions", "POST"),
        (grant_bulk, "/sandbox/subscriptions/bulk", "POST"),
        (delivered_counts, "/sandbox/delivered", "GET"),
        (add_fault, "/sandbox/faults", "POST"),
        (clear_faults, "/sandbox/faults", "DELETE"),
        (publish_outcome, "/sandbox/publish_outcome", "POST"),
        (mass_quota, "/sandbox/mass_quota", "POST"),
        (mass_outcome, "/sandbox/mass_outcome", "POST"),
        (set_event_push, "/sandbox/event_push", "POST"),
        (clear_event_push, "/sandbox/event_push", "DELETE"),
        (reset, "/sandbox/reset", "POST"),
        (media, "/sandbox/media/<media_id>", "GET"),
        (article, "/sandbox/articles/<article_id>", "GET"),
        (menu, "/sandbox/menu", "GET"),
    ]
    for handler, path, method in routes:
        name = f"sandbox_{handler.__name__}"
        bp.add_route(openapi.exclude()(handler), path, methods=[method], name=name)
