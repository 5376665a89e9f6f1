"""In-memory state of one sandbox: tokens, quotas, media, drafts, publishes, outbox."""

from __future__ import annotations

import itertools
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from server.wechat.sandbox.faults import FaultTable
from server.wechat.sandbox.tokens import TokenRegistry

#: Oldest outbox entries are dropped past this many, so a long demo does not grow forever.
OUTBOX_LIMIT = 5000


@dataclass
class Media:
    """Bytes received by add_material or uploadimg."""

    kind: str  #: "image", "thumb" or "uploadimg"
    content_type: str
    data: bytes


@dataclass
class EventPush:
    """Where the sandbox pushes WeChat's events (the 公众号 callback), and the signing token."""

    url: str
    token: str
    #: The EncodingAESKey and the 公众号's appid when the callback runs in safe or compatible
    #: mode: events then go out encrypted, as WeChat sends them. Empty: plaintext (明文模式).
    aes_key: str = ""
    appid: str = ""


@dataclass
class Publish:
    """One freepublish job and how it will turn out."""

    publish_id: str
    draft_id: str
    article_id: str
    final_status: int
    gets: int = 0
    #: The draft's articles, kept with the job: the draft itself leaves the 草稿箱.
    articles: list[dict] = field(default_factory=list)


@dataclass
class MassOutcome:
    """How the next 群发 jobs end: MASSSENDJOBFINISH's Status and the followers it reaches."""

    #: "send success", "send fail" or "err(N)" (e.g. err(40002): not confirmed in time).
    status: str = "send success"
    followers: int = 100  #: TotalCount: the account's followers, as the sandbox pretends
    errors: int = 0  #: ErrorCount among them


@dataclass
class MassJob:
    """One accepted sendall job; WeChat tells its end later in MASSSENDJOBFINISH."""

    msg_id: int
    articles: list[dict]
    outcome: MassOutcome
    finishes_at: float  #: sandbox time when the job ends (message/mass/get says SENDING before)
    article_id: str = ""


@dataclass
class PublishOutcome:
    """What the next publishes do: `errcode` fails submit, `status` is the final status."""

    status: int = 0
    errcode: int = 0


@dataclass
class SandboxState:
    """Everything one sandbox remembers; `reset()` forgets all but the configured apps."""

    appid: str  #: the mini-program's app
    secret: str
    oa_appid: str = ""  #: the 公众号's app; empty: the mini-program's app serves both
    oa_secret: str = ""
    url_prefix: str = ""  #: where the blueprint is mounted, for URLs of stored media
    clock: Callable[[], float] = time.time
    #: Where PUBLISHJOBFINISH goes, fixed when the sandbox starts (no request can change
    #: it: a sandbox must never POST to an address a caller chose).
    configured_push: EventPush | None = None
    #: Whether events go out after start and after reset(); /sandbox/event_push toggles.
    push_events: bool = True
    #: Whether the mini-program is bound to a 微信开放平台 account, so logins carry a unionid;
    #: off by default, as a new mini-program is. /sandbox/open_platform changes it until reset.
    open_platform: bool = False
    tokens: TokenRegistry = field(init=False)
    faults: FaultTable = field(init=False)

    def __post_init__(self) -> None:
        if not self.oa_appid:
            self.oa_appid, self.oa_secret = self.appid, self.secret
        if self.oa_appid == self.appid and self.oa_secret != self.secret:
            raise ValueError("one appid cannot have two secrets")
        #: 公众号 openid -> login name, learnt from jscode2session; identities, kept by reset().
        self.oa_names: dict[str, str] = {}
        # Outbox ids keep growing across resets so pollers using since_id never miss entries.
        self._ids = itertools.count(1)
        self._msgids = itertools.count(3_000_000_001)
        self._offset = 0.0
        self.tokens = TokenRegistry(self.now)
        self.faults = FaultTable()
        self.reset()

    def now(self) -> float:
        """The sandbox's time: the clock plus any offset from `advance()`."""
        return self.clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the sandbox's time forward (tests: token lifetimes, rate windows)."""
        self._offset += seconds

    def reset(self) -> None:
        """Clear tokens, faults, quotas, media, drafts, publishes, outbox and stats."""
        self._offset = 0.0
        self.tokens.clear()
        self.faults.clear()
        self.outbox: deque[dict] = deque(maxlen=OUTBOX_LIMIT)
        self.calls: Counter[str] = Counter()
        self.delivered: Counter[str] = Counter()
        #: Deliveries per (kind, touser), never trimmed like the outbox (bulk checks).
        self.delivered_to: Counter[tuple[str, str]] = Counter()
        self.used_codes: set[str] = set()
        self.unionid_bound = self.open_platform
        self.subscriptions: Counter[tuple[str, str]] = Counter()
        #: (openid, client_msg_id) -> (msgid, first sent at): template/send's 10-minute dedupe.
        self.template_msgids: dict[tuple[str, str], tuple[int, float]] = {}
        self.media: dict[str, Media] = {}
        self.drafts: dict[str, list[dict]] = {}
        self.publishes: dict[str, Publish] = {}
        self.articles: dict[str, list[dict]] = {}  #: article_id -> the published articles
        self.publish_outcome = PublishOutcome()
        self.mass_outcome = MassOutcome()
        self.mass_jobs: dict[int, MassJob] = {}  #: msg_id -> 群发 job
        self.event_push: EventPush | None = self.configured_push if self.push_events else None
        #: 群发: successful sends allowed per (sandbox) day, as for a verified 订阅号; the
        #: sends so far per day, and clientmsgid -> msg_id for WeChat's 24-hour dedupe.
        self.mass_per_day = 1
        self.mass_days: Counter[str] = Counter()
        self.mass_sent: dict[str, int] = {}
        self.webhook_hits: dict[str, deque[float]] = {}
        self.menu: list[dict] | None = None
        #: 公众号 parametric QR codes by ticket (routes_qrcode.QrTicket), and the openids that
        #: follow the account as far as the sandbox has seen (a scan of one sends SCAN).
        self.qrcodes: dict = {}
        self.oa_followers: set[str] = set()

    @property
    def apps(self) -> dict[str, str]:
        """appid -> secret of every app this sandbox accepts."""
        return {self.appid: self.secret, self.oa_appid: self.oa_secret}

    def app_allowed(self, token: str | None, scope: str | None) -> bool:
        """Whether a valid token's app may call an endpoint of `scope` ("mp", "oa", None: any)."""
        wanted = {"mp": self.appid, "oa": self.oa_appid}.get(scope or "")
        return wanted is None or self.tokens.owner(token) == wanted

    def public_url(self, request_base: str, path: str) -> str:
        """Absolute URL of a sandbox path, e.g. stored media, as seen by the caller."""
        return f"{request_base}{self.url_prefix}{path}"

    # -- outbox ---------------------------------------------------------------------------

    def record(self, kind: str, request: dict) -> dict:
        """Append a received call to the outbox and count it; returns the entry to complete."""
        touser = request.get("touser") if isinstance(request.get("touser"), str) else None
        entry = {
            "id": next(self._ids),
            "kind": kind,
            "time": datetime.fromtimestamp(self.now(), UTC).isoformat(),
            "touser": touser,
            "appid": None,  #: the app whose token (or appid) the call used
            "request": request,
            "errcode": None,
            "errmsg": None,
            "delivered": False,
        }
        self.outbox.append(entry)
        self.calls[kind] += 1
        return entry

    def complete(self, entry: dict, *, errcode: int, errmsg: str, delivered: bool) -> None:
        """Store the answer given to a recorded call."""
        entry.update(errcode=errcode, errmsg=errmsg, delivered=delivered)
        if delivered:
            self.delivered[entry["kind"]] += 1
            if entry["touser"]:
                self.delivered_to[(entry["kind"], entry["touser"])] += 1

    def list_outbox(
        self,
        *,
        kind: str | None = None,
        touser: str | None = None,
        since_id: int = 0,
        delivered: bool | None = None,
    ) -> list[dict]:
        """Outbox entries matching every given filter, oldest first."""
        return [
            entry
            for entry in self.outbox
            if entry["id"] > since_id
            and (kind is None or entry["kind"] == kind)
            and (touser is None or entry["touser"] == touser)
            and (delivered is None or entry["delivered"] == delivered)
        ]

    # -- ids and quotas -------------------------------------------------------------------

    def next_msgid(self) -> int:
        """A new message id, unique in this sandbox."""
        return next(self._msgids)

    @staticmethod
    def new_media_id() -> str:
        """A new media_id shaped like WeChat's."""
        return secrets.token_urlsafe(48)

    def take_mass_quota(self) -> bool:
        """Count one 群发 against today's quota; False when the day's sends are used up."""
        day = datetime.fromtimestamp(self.now(), UTC).date().isoformat()
        if self.mass_days[day] >= self.mass_per_day:
            return False
        self.mass_days[day] += 1
        return True

    def take_subscription(self, openid: str, template_id: str) -> bool:
        """Consume one granted one-time subscription; False when none is left."""
        key = (openid, template_id)
        if self.subscriptions[key] <= 0:
            return False
        self.subscriptions[key] -= 1
        return True

    def webhook_allowed(self, key: str, *, limit: int = 20, window_s: float = 60.0) -> bool:
        """Sliding-window check of a WeCom robot's message rate; counts the message if allowed."""
        now = self.now()
        hits = self.webhook_hits.setdefault(key, deque())
        while hits and hits[0] <= now - window_s:
            hits.popleft()
        if len(hits) >= limit:
            return False
        hits.append(now)
        return True
