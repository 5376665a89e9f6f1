"""Subscription reports from the mini-program, and a person's remaining quotas per kind."""

from __future__ import annotations

from server.common.auth import Principal
from server.common.errors import DomainError
from server.delivery import quota
from server.delivery.templates import KIND_NAMES, subscribe_template_ids, template_for
from server.settings import Settings

#: wx.requestSubscribeMessage answers per template.
RESULTS = ("accept", "reject", "ban", "filter")


def _person(principal: Principal) -> int:
    if principal.person_id is None:
        raise DomainError("no_person", "请先完成身份绑定，再订阅消息")
    return principal.person_id


async def my_subscriptions(*, principal: Principal, settings: Settings) -> dict:
    """Per message kind: its template, how many messages may still be sent, banned or not."""
    person_id = principal.person_id
    quotas = await quota.quotas_of(person_id=person_id) if person_id is not None else {}
    items = []
    for kind, name in KIND_NAMES.items():
        template_id = template_for(settings, kind).subscribe_id
        if not template_id:
            continue
        row = quotas.get(template_id)
        items.append(
            {
                "kind": kind,
                "name": name,
                "template_id": template_id,
                "remaining": row.remaining if row else 0,
                "banned": bool(row and row.banned),
            }
        )
    return {"items": items, "template_ids": sorted(subscribe_template_ids(settings))}


async def report_results(
    *, principal: Principal, settings: Settings, results: dict[str, str]
) -> dict:
    """Apply wx.requestSubscribeMessage results: accept adds one, ban stops, reject nothing."""
    person_id = _person(principal)
    known = subscribe_template_ids(settings)
    unknown = sorted(t for t in results if t not in known)
    if unknown:
        raise DomainError(
            "unknown_template", "包含未知的消息模板，请更新小程序后重试", details=unknown
        )
    bad = sorted(t for t, r in results.items() if r not in RESULTS)
    if bad:
        raise DomainError("invalid_input", "订阅结果只能是 accept、reject、ban 或 filter")
    for template_id, result in results.items():
        if result == "accept":
            await quota.accept(person_id=person_id, template_id=template_id)
        elif result == "ban":
            await quota.ban(person_id=person_id, template_id=template_id)
    return await my_subscriptions(principal=principal, settings=settings)
