"""Sending a batch of deliveries: claim, choose each one's channel, send, record.

Channels, best first: the mini-program subscribe message (an openid and a one-time
subscription left for the kind's template), the 公众号 template message (a template and a
公众号 openid), then the inbox only. The Delivery row is the inbox entry in every case.

Exactly once, as far as WeChat allows: a delivery is claimed atomically (queued → sending)
so a job that runs twice sends once. A worker that dies mid-send leaves rows in `sending`;
the sweeper puts them back after `delivery_stuck_seconds` and they are sent again. Template
messages carry a client_msg_id, so WeChat drops the repeat. Subscribe messages have no such
key: the spent subscription stays on the delivery (`quota_template`), the re-send reuses it,
and a 43101 on that re-send means WeChat already took it for the first send, which is then
counted as delivered. The remaining at-least-once window: a person who holds more than one
subscription for the template gets a second copy of a message whose send was in flight
(written to WeChat, answer not yet recorded) when its worker died.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from tortoise.expressions import F, Q

from server.accounts.lookups import openids_of
from server.common.runtime import current
from server.common.time import china, now
from server.delivery import quota, template_results
from server.delivery.groups import recover_group_messages
from server.delivery.models import Channel, Delivery, DeliveryStatus
from server.delivery.retry import CallFailed, GaveUp, Refused, call_with_retries, maybe_delivered
from server.delivery.templates import build_data, template_for
from server.followers.service import oa_openids_of
from server.jobs.broker import enqueue
from server.metrics import counters as metrics
from server.settings import Settings
from server.wechat.errors import SubscriptionRefused

log = logging.getLogger("songjiao.delivery")

SEND_BATCH = "delivery.send_batch"
#: Chinese reason limit (the column holds 300).
_REASON_LIMIT = 300


@dataclass
class Plan:
    """What can be tried for one delivery, decided before any call."""

    subscribe: tuple[str, dict] | None = None  #: (template id, data)
    template: tuple[str, dict] | None = None  #: (公众号 template id, data)
    openid: str | None = None
    oa_openid: str | None = None
    #: It already held a subscription when claimed: an earlier send may have gone out.
    resumed: bool = False
    has_unit: bool = False
    skipped: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """How one delivery ended in this run."""

    status: DeliveryStatus
    channel: Channel | None
    attempts: int
    reason: str | None = None
    #: Keep the held subscription: the send may have reached WeChat (a timeout).
    keep_unit: bool = False


def client_msg_id(key: str, person_id: int) -> str:
    """The template message's dedupe key: the same (key, person) is delivered once."""
    return hashlib.sha256(f"{key}\x00{person_id}".encode()).hexdigest()[:32]


def _reason(parts: list[str], prefix: str = "") -> str | None:
    text = prefix + "；".join(p for p in parts if p)
    if not text:
        return None
    return text if len(text) <= _REASON_LIMIT else text[: _REASON_LIMIT - 1] + "…"


async def enqueue_deliveries(ids: list[int], *, stamped: bool = False) -> int:
    """Put deliveries on the job queue in batches; the number of jobs sent.

    `stamped`: their enqueued_at was just set (new rows), no need to write it again.
    """
    runtime = current()
    size = runtime.settings.delivery_batch_size
    jobs = 0
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        if not stamped:
            await Delivery.filter(id__in=chunk).update(enqueued_at=now())
        for first in range(0, len(chunk), size):
            await enqueue(runtime.broker, SEND_BATCH, delivery_ids=chunk[first : first + size])
            jobs += 1
    return jobs


async def _claim(ids: list[int]) -> tuple[str, list[Delivery]]:
    token = uuid.uuid4().hex
    claimed = await Delivery.filter(id__in=ids, status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.SENDING, claim=token, claimed_at=now()
    )
    if not claimed:
        return token, []
    mine = Delivery.filter(id__in=ids, claim=token, status=DeliveryStatus.SENDING)
    return token, await mine.order_by("id")


def _plan(d: Delivery, settings: Settings, openid: str | None, oa_openid: str | None) -> Plan:
    tpl = template_for(settings, d.kind)
    plan = Plan(openid=openid, oa_openid=oa_openid, resumed=d.quota_template is not None)
    plan.has_unit = plan.resumed
    values = d.field_values or {}
    if not tpl.subscribe_id and not plan.resumed:
        plan.skipped.append("该类消息未配置小程序订阅消息模板")
    elif openid is None:
        plan.skipped.append("未使用过小程序，无法推送订阅消息")
    else:
        built = build_data(tpl.fields, fields=values, title=d.title, created_at=d.created_at)
        if built.data is None:
            plan.skipped.append(f"小程序订阅消息：{built.reason}")
        else:
            plan.subscribe = (d.quota_template or tpl.subscribe_id, built.data)
    if tpl.oa_id and oa_openid is not None:
        built = build_data(tpl.oa_fields, fields=values, title=d.title, created_at=d.created_at)
        if built.data is None:
            plan.skipped.append(f"公众号模板消息：{built.reason}")
        else:
            plan.template = (tpl.oa_id, built.data)
    return plan


async def _reserve_units(rows: list[Delivery], plans: dict[int, Plan]) -> None:
    """Spend one subscription per delivery that will try a subscribe message."""
    wanted: dict[str, list[Delivery]] = defaultdict(list)
    for d in rows:
        plan = plans[d.id]
        if plan.subscribe and not plan.resumed:
            wanted[plan.subscribe[0]].append(d)
        elif plan.resumed and plan.subscribe is None:
            # Its template can no longer be filled in: return the subscription it held.
            await quota.give_back(
                delivery_id=d.id, person_id=d.person_id, template_id=d.quota_template
            )
    for template_id, group in wanted.items():
        # A person appears once per statement; a second message of hers waits a round.
        pending = group
        while pending:
            round_: dict[int, int] = {}
            later: list[Delivery] = []
            seen: set[int] = set()
            for d in pending:
                if d.person_id in seen:
                    later.append(d)
                else:
                    seen.add(d.person_id)
                    round_[d.id] = d.person_id
            got = await quota.reserve(template_id=template_id, deliveries=round_)
            for delivery_id in round_:
                plans[delivery_id].has_unit = delivery_id in got
            pending = later
    for d in rows:
        plan = plans[d.id]
        if plan.subscribe and not plan.has_unit:
            plan.skipped.append("未订阅该类小程序消息或订阅次数已用完")


#: One limit of WeChat calls in flight per process (per event loop): a few dozen jobs of a
#: fan-out share it. a bigger connection pool only adds waiting on two cores.
_IN_FLIGHT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _in_flight(limit: int) -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    if loop not in _IN_FLIGHT:
        _IN_FLIGHT[loop] = asyncio.Semaphore(limit)
    return _IN_FLIGHT[loop]


class _Sender:
    """Sends the claimed deliveries of one job."""

    def __init__(self, settings: Settings, wechat, official_account) -> None:
        self.settings = settings
        self.wechat = wechat
        self.official_account = official_account  #: the 公众号's client: template messages
        self.gate = _in_flight(settings.delivery_max_in_flight)
        #: WeChat's msgid of each template message sent, by delivery id.
        self.template_msgids: dict[int, int] = {}

    async def retry(self, send) -> int:
        """Call `send` with retries; each call (not the waits between) holds a slot."""

        async def gated() -> object:
            async with self.gate:
                return await send()

        return await call_with_retries(
            gated,
            attempts=self.settings.delivery_max_attempts,
            base=self.settings.delivery_retry_base,
            rate_wait_max=self.settings.delivery_rate_wait_max,
        )

    async def deliver(self, d: Delivery, plan: Plan) -> Outcome:
        """Try the channels in order; the inbox when none takes it."""
        attempts = 0
        skipped = list(plan.skipped)
        if plan.subscribe and plan.has_unit:
            template_id, data = plan.subscribe
            send = partial(
                self.wechat.send_subscribe_message,
                openid=plan.openid,
                template_id=template_id,
                data=data,
                page=(d.page or "").lstrip("/") or None,
            )
            try:
                return Outcome(DeliveryStatus.SENT, Channel.SUBSCRIBE, await self.retry(send))
            except GaveUp as exc:
                metrics.delivery(channel=Channel.SUBSCRIBE.value, outcome="dead")
                return await self._gave_up(d, exc, template_id)
            except Refused as exc:
                metrics.delivery(channel=Channel.SUBSCRIBE.value, outcome="failed")
                attempts += exc.attempts
                if isinstance(exc.error, SubscriptionRefused):
                    if plan.resumed:
                        # WeChat already took the subscription this message held.
                        note = "重发时微信答复订阅次数已用完：进程中断前的那次发送已送达"
                        return Outcome(DeliveryStatus.SENT, Channel.SUBSCRIBE, attempts, note)
                    await quota.spent_out(
                        delivery_id=d.id, person_id=d.person_id, template_id=template_id
                    )
                    skipped.append("小程序订阅消息：用户的订阅次数已用完")
                else:
                    await quota.give_back(
                        delivery_id=d.id, person_id=d.person_id, template_id=template_id
                    )
                    skipped.append(f"小程序订阅消息：{exc.error.message}")
        if plan.template:
            template_id, data = plan.template
            page = (d.page or "").lstrip("/")
            miniprogram = {"appid": self.settings.wechat_appid, "pagepath": page} if page else None
            send = partial(
                self._send_template,
                delivery_id=d.id,
                openid=plan.oa_openid,
                template_id=template_id,
                data=data,
                miniprogram=miniprogram,
                client_msg_id=client_msg_id(d.key, d.person_id),
            )
            try:
                made = await self.retry(send)
                return Outcome(DeliveryStatus.SENT, Channel.TEMPLATE, attempts + made)
            except GaveUp as exc:
                metrics.delivery(channel=Channel.TEMPLATE.value, outcome="dead")
                exc.attempts += attempts
                return await self._gave_up(d, exc, None)
            except Refused as exc:
                metrics.delivery(channel=Channel.TEMPLATE.value, outcome="failed")
                attempts += exc.attempts
                skipped.append(f"公众号模板消息：{exc.error.message}")
        return Outcome(DeliveryStatus.SENT, Channel.INBOX, attempts, _reason(skipped, "仅站内信："))

    async def _send_template(self, *, delivery_id: int, **message) -> None:
        msgid = await self.official_account.send_template_message(**message)
        if msgid:
            self.template_msgids[delivery_id] = int(msgid)

    async def _gave_up(self, d: Delivery, exc: CallFailed, template_id: str | None) -> Outcome:
        keep = template_id is not None and maybe_delivered(exc.error)
        if template_id is not None and not keep:
            await quota.give_back(delivery_id=d.id, person_id=d.person_id, template_id=template_id)
        reason = f"发送失败：{exc.error.message}（已尝试 {exc.attempts} 次）"
        return Outcome(DeliveryStatus.FAILED, None, exc.attempts, reason, keep_unit=keep)


async def _record(token: str, results: list[tuple[Delivery, Outcome]]) -> None:
    """Write outcomes, grouped so a batch that went one way is one statement."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for d, o in results:
        groups[(o.status, o.channel, o.attempts, o.reason, o.keep_unit)].append(d.id)
    stamp = now()
    for (status, channel, attempts, reason, keep_unit), ids in groups.items():
        changes: dict = {"channel": channel, "attempts": F("attempts") + attempts}
        changes["last_error"] = reason
        if status == DeliveryStatus.SENT:
            changes["sent_at"] = stamp
        if not keep_unit:
            changes["quota_template"] = None
        done = await Delivery.filter(id__in=ids, claim=token, status=DeliveryStatus.SENDING).update(
            status=status, **changes
        )
        if status == DeliveryStatus.SENT and channel is not None:
            metrics.delivery(channel=channel.value, outcome="sent", amount=len(ids))
        if done < len(ids):
            # Read in the inbox while being sent: keep "read", still note how it went out.
            await Delivery.filter(id__in=ids, claim=token, status=DeliveryStatus.READ).update(
                **changes
            )


def _pushes(plan: Plan) -> bool:
    return bool((plan.subscribe and plan.has_unit) or plan.template)


async def send_deliveries(delivery_ids: list[int]) -> dict:
    """Send the queued deliveries among `delivery_ids`; others are left alone."""
    runtime = current()
    settings = runtime.settings
    token, rows = await _claim(list(delivery_ids))
    if not rows:
        return {"claimed": 0}
    person_ids = [d.person_id for d in rows]
    openids = await openids_of(person_ids)
    oa_openids = await oa_openids_of(person_ids)
    plans = {
        d.id: _plan(d, settings, openids.get(d.person_id), oa_openids.get(d.person_id))
        for d in rows
    }
    await _reserve_units(rows, plans)
    sender = _Sender(settings, runtime.wechat, runtime.official_account)
    pushes = [d for d in rows if _pushes(plans[d.id])]
    inbox_only = [d for d in rows if not _pushes(plans[d.id])]
    tally: dict[str, int] = defaultdict(int)
    if inbox_only:
        results = [(d, await sender.deliver(d, plans[d.id])) for d in inbox_only]
        await _record(token, results)
        tally["inbox"] += len(results)
    step = settings.delivery_batch_concurrency
    for start in range(0, len(pushes), step):
        chunk = pushes[start : start + step]
        answers = await asyncio.gather(
            *(sender.deliver(d, plans[d.id]) for d in chunk), return_exceptions=True
        )
        results = []
        for d, answer in zip(chunk, answers, strict=True):
            if isinstance(answer, BaseException):
                # Left in `sending`: the sweeper queues it again later.
                log.error("delivery %s crashed: %s", d.id, type(answer).__name__)
                metrics.delivery(channel="none", outcome="failed")
                tally["error"] += 1
                continue
            results.append((d, answer))
            tally[answer.channel.value if answer.channel else "failed"] += 1
        await _record(token, results)
        sent = {
            d.id: sender.template_msgids[d.id] for d, _ in results if d.id in sender.template_msgids
        }
        await template_results.remember_sent(sent)
    log.info("delivery batch: %d claimed, %s", len(rows), dict(tally))
    return {"claimed": len(rows), **tally}


async def recover_stuck() -> dict:
    """Queue again what a dead worker left in `sending`, and queued rows no job took."""
    settings = current().settings
    # In China time: SQLite compares the stored text, which tortoise writes in that zone.
    cutoff = china(now() - timedelta(seconds=settings.delivery_stuck_seconds))
    reset = await Delivery.filter(status=DeliveryStatus.SENDING, claimed_at__lt=cutoff).update(
        status=DeliveryStatus.QUEUED, claim=None
    )
    stale = (
        await Delivery.filter(status=DeliveryStatus.QUEUED)
        .filter(Q(enqueued_at__lt=cutoff) | Q(enqueued_at__isnull=True))
        .order_by("id")
        .values_list("id", flat=True)
    )
    jobs = await enqueue_deliveries(list(stale))
    groups = await recover_group_messages(cutoff)
    if reset or stale or groups:
        log.warning(
            "delivery sweep: %d stuck reset, %d re-queued in %d jobs, %d group messages",
            reset,
            len(stale),
            jobs,
            groups,
        )
    return {"reset": reset, "requeued": len(stale), "groups": groups}
