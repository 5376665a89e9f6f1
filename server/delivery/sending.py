"""Sending a batch of deliveries: claim, choose each one's channel, send, record.

Channels, best first: the mini-program subscribe message (an openid and a one-time
subscription left for the kind's template), the 公众号 template message (a template and a
公众号 openid), then the inbox only. The Delivery row is the inbox entry in every case.

Exactly once, under WeChat's real rules (docs/decisions.md, "Delivery"): a delivery is
claimed atomically (queued → sending) so a job that runs twice sends once, and
`push_started_at` is stamped before its first push leaves. A worker that dies leaves rows in
`sending`; the sweeper judges each one:
- no push started: nothing reached WeChat, it is queued again;
- WeChat's msgid for its template message is known (remembered as WeChat answered): it
  was accepted, so it is recorded as sent and TEMPLATESENDJOBFINISH settles it;
- it held a subscription (`quota_template`): re-sent only when that was her last one for
  the template, so a repeat meets 43101 (then counted as delivered); else unconfirmed;
- otherwise a template message may have gone out: re-sent with the same client_msg_id only
  while WeChat still dedupes it ("同一个openid + client_msg_id, 只发送一条消息, 10分钟有效"),
  else it ends `unconfirmed`, shown in the console and /metrics, never re-sent blindly.
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

from redis.exceptions import RedisError
from tortoise.expressions import Q

from server.accounts.identities import openids_of
from server.common.runtime import current
from server.common.time import china, now
from server.delivery import quota, statements, template_results
from server.delivery.models import Channel, Delivery, DeliveryStatus
from server.delivery.retry import CallFailed, GaveUp, Refused, call_with_retries, maybe_delivered
from server.delivery.statements import Claimed
from server.delivery.templates import build_data, template_for
from server.delivery.wecom_robots import recover_group_messages
from server.followers.service import oa_openids_of
from server.jobs.broker import enqueue
from server.metrics import counters as metrics
from server.settings import Settings
from server.wechat.errors import SubscriptionRefused, WeChatError, WeChatUnavailable

log = logging.getLogger("songjiao.delivery")

SEND_BATCH = "delivery.send_batch"
#: WeChat dedupes a template message's client_msg_id for ten minutes: "对于同一个openid +
#: client_msg_id, 只发送一条消息, 10分钟有效, 超过10分钟不保证效果" (发送模板消息).
TEMPLATE_DEDUPE_S = 600
#: A re-send is queued only while this much of the window is left: the wait in the queue,
#: the retries' backoff and the call itself must all land before WeChat forgets the id.
RESEND_MARGIN_S = 180
#: Last moment after `push_started_at` at which a maybe-sent template message is re-sent.
RESEND_BEFORE_S = TEMPLATE_DEDUPE_S - RESEND_MARGIN_S
#: A row whose push started is judged this long after its claim (or after
#: delivery_stuck_seconds, if shorter): with the sweep every minute, the re-send of a
#: template message still lands inside WeChat's window (140 + 60 s of a 420 s budget).
STARTED_STUCK_S = RESEND_BEFORE_S // 3
UNCONFIRMED_TEMPLATE = (
    "公众号模板消息可能已发出，但未收到微信答复（进程中断或超时）；微信只在 10 分钟内按 "
    "client_msg_id 去重，为免重复不再重发（站内信已送达）"
)
UNCONFIRMED_SUBSCRIBE = (
    "小程序订阅消息可能已发出，但未收到微信答复（进程中断或超时）；订阅消息没有去重标识，"
    "她还有其他订阅次数，重发可能重复，因此不再重发（站内信已送达）"
)
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
    #: Subscriptions she has left for the template once this one is spent (None: unknown).
    units_left: int | None = None
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


async def _claim(ids: list[int]) -> tuple[str, list[Claimed]]:
    token = uuid.uuid4().hex
    return token, await statements.claim(ids, token=token, at=now())


class _Built:
    """Template data built once per batch for each distinct message (a fan-out's rows share it)."""

    def __init__(self) -> None:
        self._seen: dict[tuple, object] = {}

    def __call__(self, fields, d: Claimed, values: dict):
        key = (id(fields), d.title, d.created_at, tuple(sorted(values.items())))
        built = self._seen.get(key)
        if built is None:
            built = build_data(fields, fields=values, title=d.title, created_at=d.created_at)
            self._seen[key] = built
        return built


def _plan(
    d: Claimed,
    settings: Settings,
    openid: str | None,
    oa_openid: str | None,
    built_data: _Built | None = None,
) -> Plan:
    tpl = template_for(settings, d.kind)
    build = built_data or _Built()
    plan = Plan(openid=openid, oa_openid=oa_openid, resumed=d.quota_template is not None)
    plan.has_unit = plan.resumed
    values = d.field_values or {}
    if d.push_started_at is not None and not plan.resumed:
        # Re-sent after an interruption without a held subscription: a template message may
        # have gone out. Only the same channel (same client_msg_id) is deduped by WeChat.
        plan.skipped.append("上次发送中断，可能已发出公众号模板消息，不改用小程序订阅消息")
    elif not tpl.subscribe_id and not plan.resumed:
        plan.skipped.append("该类消息未配置小程序订阅消息模板")
    elif openid is None:
        plan.skipped.append("未使用过小程序，无法推送订阅消息")
    else:
        built = build(tpl.fields, d, values)
        if built.data is None:
            plan.skipped.append(f"小程序订阅消息：{built.reason}")
        else:
            plan.subscribe = (d.quota_template or tpl.subscribe_id, built.data)
    if tpl.oa_id and oa_openid is not None:
        built = build(tpl.oa_fields, d, values)
        if built.data is None:
            plan.skipped.append(f"公众号模板消息：{built.reason}")
        else:
            plan.template = (tpl.oa_id, built.data)
    return plan


async def _give_back_unfillable(rows: list[Claimed], plans: dict[int, Plan]) -> None:
    """Return the subscription a resumed delivery held when its template can no longer be filled."""
    for d in rows:
        plan = plans[d.id]
        if plan.resumed and plan.subscribe is None:
            await quota.give_back(
                delivery_id=d.id, person_id=d.person_id, template_id=d.quota_template
            )


async def _reserve_units(rows: list[Claimed], plans: dict[int, Plan]) -> set[int]:
    """Spend one subscription per delivery that will try a subscribe message.

    Each one that gets a subscription is stamped as its push starting in the same
    statement; the ids stamped so. Run just before the sends of `rows`.
    """
    wanted: dict[str, list[Claimed]] = defaultdict(list)
    for d in rows:
        plan = plans[d.id]
        if plan.subscribe and not plan.resumed:
            wanted[plan.subscribe[0]].append(d)
    stamped: set[int] = set()
    started_at = now()
    for template_id, group in wanted.items():
        # A person appears once per statement; a second message of hers waits a round.
        pending = group
        while pending:
            round_: dict[int, int] = {}
            later: list[Claimed] = []
            seen: set[int] = set()
            for d in pending:
                if d.person_id in seen:
                    later.append(d)
                else:
                    seen.add(d.person_id)
                    round_[d.id] = d.person_id
            got = await quota.reserve(
                template_id=template_id, deliveries=round_, started_at=started_at
            )
            for delivery_id in round_:
                plans[delivery_id].has_unit = delivery_id in got
                plans[delivery_id].units_left = got.get(delivery_id)
            stamped.update(got)
            pending = later
    for d in rows:
        plan = plans[d.id]
        if plan.subscribe and not plan.has_unit:
            plan.skipped.append("未订阅该类小程序消息或订阅次数已用完")
    return stamped


#: One limit of WeChat calls in flight per process (per event loop): a few dozen jobs of a
#: fan-out share it. A bigger connection pool only adds waiting on two cores.
_IN_FLIGHT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

#: One limit per process of send batches at work, from their claim to their last outcome.
#: A worker runs dozens of jobs at once (`songjiao worker`, max_async_tasks). Without it each
#: job claimed its batch and stamped its first group "push started", then waited for a call
#: slot: a worker that died mid fan-out left every job's group stamped (50 jobs x 25 rows),
#: judged unknown by the sweeper though most had never left, and every job's batch claimed,
#: queued again only after delivery_stuck_seconds. With it, the jobs beyond the limit wait
#: holding nothing: their rows stay queued and their jobs unacknowledged, so another worker
#: takes them up.
_BATCHES_IN_FLIGHT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _shared(limits: weakref.WeakKeyDictionary, limit: int) -> asyncio.Semaphore:
    """The running loop's semaphore of `limit` in `limits` (a new one if the limit changed)."""
    loop = asyncio.get_running_loop()
    held = limits.get(loop)
    if held is None or held[0] != limit:
        held = limits[loop] = (limit, asyncio.Semaphore(limit))
    return held[1]


class _Sender:
    """Sends the claimed deliveries of one job."""

    def __init__(self, settings: Settings, wechat, official_account) -> None:
        self.settings = settings
        self.wechat = wechat
        self.official_account = official_account  #: the 公众号's client: template messages
        self.gate = _shared(_IN_FLIGHT, settings.delivery_max_in_flight)
        #: WeChat's msgid of each template message sent, by delivery id.
        self.template_msgids: dict[int, int] = {}
        #: Access tokens read once per chunk of sends (None: each call reads its own).
        self.mp_token: str | None = None
        self.oa_token: str | None = None

    async def read_tokens(self, plans: list[Plan]) -> None:
        """Read the access tokens a chunk of sends needs, once for all of them.

        A failure here is no failure of the sends: each call then reads (or fetches) its own
        token and meets the trouble inside its retries, as it would have.
        """
        self.mp_token = self.oa_token = None
        try:
            if any(p.subscribe and p.has_unit for p in plans):
                self.mp_token = await self.wechat.access_token()
            if any(p.template for p in plans):
                self.oa_token = await self.official_account.access_token()
        except (WeChatError, RedisError, OSError) as exc:
            log.warning("access token not read for a chunk of sends (%s)", type(exc).__name__)

    async def retry(self, send, *, retry_maybe_delivered: bool = True) -> int:
        """Call `send` with retries; each call (not the waits between) holds a slot."""

        async def gated() -> object:
            async with self.gate:
                return await send()

        return await call_with_retries(
            gated,
            attempts=self.settings.delivery_max_attempts,
            base=self.settings.delivery_retry_base,
            rate_wait_max=self.settings.delivery_rate_wait_max,
            retry_maybe_delivered=retry_maybe_delivered,
        )

    async def deliver(self, d: Claimed, plan: Plan) -> Outcome:
        """Try the channels in order; the inbox when none takes it."""
        attempts = 0
        skipped = list(plan.skipped)
        if plan.subscribe and plan.has_unit:
            template_id, data = plan.subscribe
            timed_out = False
            token = self.mp_token

            async def send() -> int | None:
                nonlocal timed_out, token
                # The chunk's token on the first try only: a retry reads the current one.
                given, token = token, None
                try:
                    return await self.wechat.send_subscribe_message(
                        openid=plan.openid,
                        template_id=template_id,
                        data=data,
                        page=(d.page or "").lstrip("/") or None,
                        token=given,
                    )
                except WeChatUnavailable as exc:
                    timed_out = timed_out or maybe_delivered(exc)
                    raise

            # A subscribe message has no dedupe key: after a timeout, another try is safe only
            # on her last subscription (WeChat answers a repeat 43101).
            units_left = plan.units_left
            if units_left is None:
                units_left = await quota.remaining(person_id=d.person_id, template_id=template_id)
            repeatable = units_left <= 0
            try:
                made = await self.retry(send, retry_maybe_delivered=repeatable)
                return Outcome(DeliveryStatus.SENT, Channel.SUBSCRIBE, made)
            except GaveUp as exc:
                outcome = await self._gave_up(d, exc, template_id)
                unknown = outcome.status == DeliveryStatus.UNCONFIRMED
                metrics.delivery(
                    channel=Channel.SUBSCRIBE.value, outcome="unconfirmed" if unknown else "dead"
                )
                return outcome
            except Refused as exc:
                metrics.delivery(channel=Channel.SUBSCRIBE.value, outcome="failed")
                attempts += exc.attempts
                if isinstance(exc.error, SubscriptionRefused):
                    if plan.resumed:
                        # WeChat already took the subscription this message held.
                        note = "重发时微信答复订阅次数已用完：进程中断前的那次发送已送达"
                        return Outcome(DeliveryStatus.SENT, Channel.SUBSCRIBE, attempts, note)
                    if timed_out:
                        # Her last subscription, and an earlier try timed out: it went out.
                        note = "重试时微信答复订阅次数已用完：超时的那次发送已送达"
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
                tokens=[self.oa_token],
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
                exc.attempts += attempts
                if maybe_delivered(exc.error):
                    # Timed out after the request left: WeChat may have sent it, and past
                    # these retries nothing would dedupe a repeat for sure.
                    metrics.delivery(channel=Channel.TEMPLATE.value, outcome="unconfirmed")
                    reason = f"结果未知：{UNCONFIRMED_TEMPLATE}（已尝试 {exc.attempts} 次）"
                    status = DeliveryStatus.UNCONFIRMED
                    return Outcome(status, Channel.TEMPLATE, exc.attempts, reason)
                metrics.delivery(channel=Channel.TEMPLATE.value, outcome="dead")
                return await self._gave_up(d, exc, None)
            except Refused as exc:
                metrics.delivery(channel=Channel.TEMPLATE.value, outcome="failed")
                attempts += exc.attempts
                skipped.append(f"公众号模板消息：{exc.error.message}")
        return Outcome(DeliveryStatus.SENT, Channel.INBOX, attempts, _reason(skipped, "仅站内信："))

    async def _send_template(self, *, tokens: list, delivery_id: int, **message) -> None:
        # The chunk's token on the first try only (`tokens` is emptied): a retry reads anew.
        token = tokens.pop() if tokens else None
        msgid = await self.official_account.send_template_message(token=token, **message)
        if msgid:
            self.template_msgids[delivery_id] = int(msgid)
            # At once, before anything else can fail: the sweeper's proof that WeChat took it.
            await template_results.remember_accepted(delivery_id=delivery_id, msgid=int(msgid))

    async def _gave_up(self, d: Claimed, exc: CallFailed, template_id: str | None) -> Outcome:
        keep = template_id is not None and maybe_delivered(exc.error)
        if keep and await quota.remaining(person_id=d.person_id, template_id=template_id) > 0:
            # It may have gone out and she holds more subscriptions: a retry could be a second
            # message. (With her last one a retry is safe: WeChat answers it 43101.)
            reason = f"结果未知：{UNCONFIRMED_SUBSCRIBE}（已尝试 {exc.attempts} 次）"
            status = DeliveryStatus.UNCONFIRMED
            return Outcome(status, Channel.SUBSCRIBE, exc.attempts, reason, keep_unit=True)
        if template_id is not None and not keep:
            await quota.give_back(delivery_id=d.id, person_id=d.person_id, template_id=template_id)
        reason = f"发送失败：{exc.error.message}（已尝试 {exc.attempts} 次）"
        return Outcome(DeliveryStatus.FAILED, None, exc.attempts, reason, keep_unit=keep)


async def _record(token: str, results: list[tuple[Claimed, Outcome]]) -> list[tuple[str, int]]:
    """Write outcomes, grouped so a batch that went one way is one statement.

    Returns the sends to count in /metrics, (channel, number), once written.
    """
    sent: list[tuple[str, int]] = []
    groups: dict[tuple, list[int]] = defaultdict(list)
    for d, o in results:
        groups[(o.status, o.channel, o.attempts, o.reason, o.keep_unit)].append(d.id)
    stamp = now()
    for (status, channel, attempts, reason, keep_unit), ids in groups.items():
        await statements.record(
            ids,
            token=token,
            status=status,
            channel=channel,
            attempts=attempts,
            reason=reason,
            keep_unit=keep_unit,
            at=stamp,
        )
        if status == DeliveryStatus.SENT and channel is not None:
            sent.append((channel.value, len(ids)))
    return sent


def _count_sent(sent: list[tuple[str, int]]) -> None:
    for channel, amount in sent:
        metrics.delivery(channel=channel, outcome="sent", amount=amount)


def _pushes(plan: Plan) -> bool:
    return bool((plan.subscribe and plan.has_unit) or plan.template)


async def _plans(rows: list[Claimed], settings: Settings) -> dict[int, Plan]:
    """Each claimed delivery's plan; 公众号 openids are looked up only if a kind has a template."""
    person_ids = [d.person_id for d in rows]
    openids = await openids_of(person_ids)
    oa_openids: dict[int, str] = {}
    if any(template_for(settings, kind).oa_id for kind in {d.kind for d in rows}):
        oa_openids = await oa_openids_of(person_ids)
    built = _Built()
    return {
        d.id: _plan(d, settings, openids.get(d.person_id), oa_openids.get(d.person_id), built)
        for d in rows
    }


async def send_deliveries(delivery_ids: list[int]) -> dict:
    """Send the queued deliveries among `delivery_ids` once this process has room for a
    batch (`delivery_batches_in_flight`); see `_send_batch`."""
    limit = current().settings.delivery_batches_in_flight
    async with _shared(_BATCHES_IN_FLIGHT, limit):
        return await _send_batch(delivery_ids)


async def _send_batch(delivery_ids: list[int]) -> dict:
    """Send the queued deliveries among `delivery_ids`; others are left alone.

    A few statements per batch, each one atomic on its own, and nothing sent inside a
    transaction: the claim (which also reads the rows), who they are, the outcomes of those
    that can only go to the inbox; then for each chunk of sends, its subscriptions spent
    together with the stamp that its pushes start, the sends, and its outcomes.
    Subscriptions are spent chunk by chunk, just before their sends: a worker that dies
    leaves the later chunks' rows untouched (no push started, no unit held), so the sweeper
    simply queues them again.
    """
    runtime = current()
    settings = runtime.settings
    sender = _Sender(settings, runtime.wechat, runtime.official_account)
    step = settings.delivery_batch_concurrency
    tally: dict[str, int] = defaultdict(int)
    token, rows = await _claim(list(delivery_ids))
    if not rows:
        return {"claimed": 0}
    plans = await _plans(rows, settings)
    await _give_back_unfillable(rows, plans)
    # Nothing to push whatever her subscriptions: the inbox only, recorded at once.
    inbox_only = [d for d in rows if not (plans[d.id].subscribe or plans[d.id].template)]
    if inbox_only:
        results = [(d, await sender.deliver(d, plans[d.id])) for d in inbox_only]
        _count_sent(await _record(token, results))
        tally["inbox"] += len(results)
    candidates = [d for d in rows if plans[d.id].subscribe or plans[d.id].template]
    for start in range(0, len(candidates), step):
        await _send_group(token, candidates[start : start + step], plans, sender, tally)
    log.info("delivery batch: %d claimed, %s", len(rows), dict(tally))
    return {"claimed": len(rows), **tally}


async def _send_group(
    token: str, chunk: list[Claimed], plans: dict[int, Plan], sender: _Sender, tally: dict
) -> None:
    """One group: its subscriptions spent with the stamp that its pushes start, its sends,
    and its outcomes recorded (from the stamp to the record, a crash leaves them unknown)."""
    stamped = await _reserve_units(chunk, plans)
    # Before any call of the chunk leaves: from then on a crash leaves the outcome unknown.
    unstamped = [d.id for d in chunk if _pushes(plans[d.id]) and d.id not in stamped]
    if unstamped:
        await statements.stamp_started(unstamped, token=token, at=now())
    await sender.read_tokens([plans[d.id] for d in chunk])
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
    _count_sent(await _record(token, results))
    msgids = sender.template_msgids
    sent = {d.id: msgids[d.id] for d, _ in results if d.id in msgids}
    await template_results.remember_sent(sent)


async def recover_stuck() -> dict:
    """Judge what a dead worker left in `sending` (see the module doc); queue forgotten rows."""
    settings = current().settings
    stamp = now()
    # In China time: SQLite compares the stored text, which tortoise writes in that zone.
    cutoff = china(stamp - timedelta(seconds=settings.delivery_stuck_seconds))
    started_cutoff = china(
        stamp - timedelta(seconds=min(settings.delivery_stuck_seconds, STARTED_STUCK_S))
    )
    # No push started: nothing of theirs reached WeChat.
    reset = await Delivery.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=cutoff, push_started_at__isnull=True
    ).update(status=DeliveryStatus.QUEUED, claim=None)
    started = await Delivery.filter(
        status=DeliveryStatus.SENDING,
        claimed_at__lt=started_cutoff,
        push_started_at__isnull=False,
    ).order_by("id")
    verdicts: dict[str, list[int]] = defaultdict(list)
    for d in started:
        verdict = await _judge_started(d, stamp)
        verdicts[verdict].append(d.id)
    read_meanwhile = await _judge_read_while_sending(started_cutoff, stamp)
    # Re-sends are queued now, whatever their enqueued_at: WeChat's window is running.
    jobs = await enqueue_deliveries(verdicts["resend"]) if verdicts["resend"] else 0
    stale = (
        await Delivery.filter(status=DeliveryStatus.QUEUED)
        .filter(Q(enqueued_at__lt=cutoff) | Q(enqueued_at__isnull=True))
        .order_by("id")
        .values_list("id", flat=True)
    )
    jobs += await enqueue_deliveries(list(stale))
    groups = await recover_group_messages(cutoff)
    counts = {name: len(ids) for name, ids in verdicts.items()}
    if reset or stale or groups or started or read_meanwhile:
        log.warning(
            "delivery sweep: %d stuck reset, %s started and judged, %d re-queued in %d jobs, "
            "%d group messages, %d read while their push was cut short",
            reset,
            counts,
            len(stale),
            jobs,
            groups,
            read_meanwhile,
        )
    return {
        "reset": reset,
        "requeued": len(stale),
        "groups": groups,
        "resent": counts.get("resend", 0),
        "confirmed": counts.get("confirmed", 0),
        "unconfirmed": counts.get("unconfirmed", 0),
        "read_meanwhile": read_meanwhile,
    }


async def _judge_read_while_sending(started_cutoff, stamp) -> int:
    """Record how a push went out for rows she read in the app while a dead worker sent them.

    Reading marks a row `read` whatever its status (server/delivery/inbox.py), and the
    worker's outcome lands on it under its claim; a worker that died left no outcome, and
    the row, no longer `sending`, was never judged. She has read it, so nothing is re-sent:
    the row gets the channel it was pushed on and why its outcome is unknown, or the
    template message WeChat is known to have accepted (issue 18, found by bench/soak).
    """
    rows = await Delivery.filter(
        status=DeliveryStatus.READ,
        channel__isnull=True,
        claim__isnull=False,
        push_started_at__isnull=False,
        claimed_at__lt=started_cutoff,
    ).order_by("id")
    for d in rows:
        mine = Delivery.filter(
            id=d.id, claim=d.claim, status=DeliveryStatus.READ, channel__isnull=True
        )
        msgid = await template_results.accepted_msgid(delivery_id=d.id)
        if msgid is not None:
            note = "进程中断前微信已受理公众号模板消息（已记下 msgid）；她已在小程序中读到"
            if await mine.update(channel=Channel.TEMPLATE, sent_at=stamp, last_error=note):
                await template_results.remember_sent({d.id: msgid})
            continue
        if d.quota_template is not None:
            channel, why = Channel.SUBSCRIBE, UNCONFIRMED_SUBSCRIBE
        else:
            channel, why = Channel.TEMPLATE, UNCONFIRMED_TEMPLATE
        await mine.update(channel=channel, last_error=f"结果未知（她已在小程序中读到）：{why}")
    return len(rows)


async def _judge_started(d: Delivery, stamp) -> str:
    """Decide one stuck row whose push started: "confirmed", "resend" or "unconfirmed"."""
    mine = Delivery.filter(id=d.id, claim=d.claim, status=DeliveryStatus.SENDING)
    msgid = await template_results.accepted_msgid(delivery_id=d.id)
    if msgid is not None:
        note = "进程中断前微信已受理公众号模板消息（已记下 msgid），不再重发"
        changes = {"channel": Channel.TEMPLATE, "sent_at": stamp, "last_error": note}
        if await mine.update(status=DeliveryStatus.SENT, quota_template=None, **changes):
            metrics.delivery(channel=Channel.TEMPLATE.value, outcome="sent")
            await template_results.remember_sent({d.id: msgid})
        return "confirmed"
    if d.quota_template is not None:
        left = await quota.remaining(person_id=d.person_id, template_id=d.quota_template)
        # Her last subscription: WeChat refuses a repeat (43101) if the first went out.
        resend = left <= 0
        reason = f"结果未知：{UNCONFIRMED_SUBSCRIBE}"
        channel = Channel.SUBSCRIBE
    else:
        window_left = d.push_started_at + timedelta(seconds=RESEND_BEFORE_S) - stamp
        resend = window_left.total_seconds() > 0
        reason = f"结果未知：{UNCONFIRMED_TEMPLATE}"
        channel = Channel.TEMPLATE
    if resend:
        await mine.update(status=DeliveryStatus.QUEUED, claim=None)
        return "resend"
    # The claim stays: should the worker prove alive after all, its record still lands.
    if await mine.update(status=DeliveryStatus.UNCONFIRMED, channel=channel, last_error=reason):
        metrics.delivery(channel=channel.value, outcome="unconfirmed")
    return "unconfirmed"
