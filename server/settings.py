"""The one place that reads configuration files and environment variables."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from server.common.semester import SemesterCalendar

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TOML = ROOT / "config" / "default.toml"
SANDBOX_PREFIX = "/_sandbox"
#: The host of the real WeChat API.
WECHAT_API_HOST = "api.weixin.qq.com"

#: Values that ship in config/default.toml and must never protect a real deployment.
DEV_SECRETS = {
    "jwt_secret": "dev-only-jwt-secret-change-me-please",
    "wechat_secret": "dev-only-wechat-secret",
    "wechat_token": "dev-only-callback-token",
    "certificate_secret": "dev-only-certificate-secret-change-me",
}


class MessageTemplate(BaseModel):
    """One message kind's WeChat templates: ids and semantic field -> keyword mappings."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    subscribe_id: str = ""  #: mini-program subscribe template id; empty: no subscribe message
    fields: dict[str, str] = {}  #: e.g. {"title": "thing1", "time": "time2"}
    oa_id: str = ""  #: 公众号 template id; empty: no template message
    oa_fields: dict[str, str] = {}


class RateLimits(BaseModel):
    """Requests allowed per window, in `limits` notation ("300/minute;3000/hour").

    Per address limits are generous: a whole kindergarten checks in from behind one rural
    router (one NAT address). Per account (or per login name) limits are the tight ones.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    login_per_address: str = "300/minute;3000/hour"  #: wx.login code logins
    redeem_per_address: str = "300/minute"  #: invitation codes tried
    redeem_per_account: str = "5/minute;20/day"
    checkin_per_address: str = "3000/minute"  #: scans, offline queues synced included
    checkin_per_account: str = "30/minute"
    console_login_per_address: str = "60/minute"  #: console password attempts
    console_failures_per_address: str = "30/15minutes"  #: wrong passwords, any login name
    #: Wrong passwords for one login name from one address: that address is refused for
    #: the name, its owner elsewhere is not.
    console_failures_per_login: str = "10/15minutes"

    @model_validator(mode="after")
    def _check_notation(self) -> RateLimits:
        from limits import parse_many

        for value in self.model_dump().values():
            parse_many(value)  # ValueError names the bad limit
        return self


class InsecureSettings(RuntimeError):
    """Raised when a non-development deployment still uses a default secret."""


class SandboxOutsideDevelopment(InsecureSettings):
    """Raised when a non-development deployment would run on the WeChat sandbox."""


#: The WeChat base URLs every deployment outside development must set: setting -> (what it
#: reaches, in Chinese; its usual value).
WECHAT_BASES = {
    "wechat_api_base": ("小程序与公众号接口", "https://api.weixin.qq.com"),
    "wecom_api_base": ("企业微信接口", "https://qyapi.weixin.qq.com"),
}


class Settings(BaseSettings):
    """Typed settings: config/default.toml, then SONGJIAO_* environment variables."""

    model_config = SettingsConfigDict(
        env_prefix="SONGJIAO_", toml_file=DEFAULT_TOML, extra="ignore", frozen=True
    )

    env: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    data_dir: Path = Path("./var")
    database_url: str = ""
    redis_url: str = ""
    #: Seconds to wait for a Redis connection, a free pooled connection or an answer: fail
    #: fast when Redis hangs. Tests on a busy two-core machine wait longer (issue 18).
    redis_timeout_seconds: float = Field(2.0, gt=0)
    public_base_url: str = ""
    jwt_secret: str = DEV_SECRETS["jwt_secret"]
    #: Signs the ids in 学时证明 QR codes. Its own secret, not jwt_secret: printed certificates
    #: must stay verifiable for years, whatever happens to the login tokens' key.
    certificate_secret: str = DEV_SECRETS["certificate_secret"]
    access_token_ttl: int = Field(900, ge=60)
    refresh_token_ttl: int = Field(2_592_000, ge=3600)
    wechat_appid: str = "wx_sandbox_appid"
    wechat_secret: str = DEV_SECRETS["wechat_secret"]
    #: The 公众号's own appid and secret; empty: the mini-program's (one app, sandbox and demo).
    oa_appid: str = ""
    oa_secret: str = ""
    wechat_token: str = DEV_SECRETS["wechat_token"]
    wechat_aes_key: str = ""
    #: 公众号 消息加解密方式, as chosen on WeChat's platform: "safe" (安全模式, ciphertext only),
    #: "compatible" (兼容模式, plaintext also accepted), "plain" (明文模式). Empty: "safe" when
    #: wechat_aes_key is set, "plain" otherwise. See bots/official_account/crypto.py.
    oa_encrypt_mode: Literal["", "plain", "compatible", "safe"] = ""
    wechat_api_base: str = ""
    wecom_api_base: str = ""
    wechat_timeout: float = 5.0
    oa_reply_budget: float = Field(4.0, gt=0, lt=5)  #: seconds before the bot defers its answer
    oa_menu: list[dict[str, Any]] = []  #: the 公众号 menu, pushed by `songjiao push-menu`
    max_upload_mb: int = 20
    notice_reminder_hours: list[int] = [24]  #: hours before a notice deadline to remind
    embedded_cron: bool = True
    semester_spring: str = "2-7"  #: spring semester: first-last month (reports)
    semester_autumn: str = "8-1"  #: autumn semester: first-last month, may end next year
    delivery_max_attempts: int = Field(4, ge=1, le=10)
    delivery_retry_base: float = Field(0.5, ge=0)
    delivery_stuck_seconds: int = Field(600, ge=1)
    delivery_batch_size: int = Field(100, ge=1, le=500)
    delivery_batch_concurrency: int = Field(50, ge=1, le=100)
    delivery_max_in_flight: int = Field(16, ge=1, le=100)
    delivery_batches_in_flight: int = Field(2, ge=1, le=20)
    delivery_rate_wait_max: float = Field(61.0, ge=0)
    wecom_groups: dict[str, str] = {}
    #: WeCom group -> scope of the summaries it gets: "city", "region:3" or "alliance:5".
    summary_groups: dict[str, str] = {}
    templates: dict[str, MessageTemplate] = {}
    #: Bearer token Prometheus sends to /metrics; empty: only direct loopback callers.
    metrics_token: str = ""
    #: Proxies (nginx) in front whose X-Forwarded-For entry is trusted as the client's
    #: address; 0: the socket's peer, whatever a client sends.
    proxies_count: int = Field(0, ge=0, le=5)
    rate_limits: RateLimits = RateLimits()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order of precedence: arguments, environment, then config/default.toml."""
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @model_validator(mode="after")
    def _check_semester_calendar(self) -> Settings:
        SemesterCalendar.parse(self.semester_spring, self.semester_autumn)  # ValueError if bad
        return self

    @model_validator(mode="after")
    def _check_official_account(self) -> Settings:
        if bool(self.oa_appid) != bool(self.oa_secret):
            missing = "SONGJIAO_OA_SECRET" if self.oa_appid else "SONGJIAO_OA_APPID"
            raise ValueError(
                f"公众号的 oa_appid 与 oa_secret 须同时设置（或都留空以沿用小程序的），请设置 "
                f"{missing}。/ oa_appid and oa_secret go together (or both stay empty to use "
                f"the mini-program's); set {missing}."
            )
        return self

    @model_validator(mode="after")
    def _check_oa_encrypt_mode(self) -> Settings:
        if self.oa_encrypt_mode in ("safe", "compatible") and len(self.wechat_aes_key) != 43:
            raise ValueError(
                f"公众号消息加解密方式为 {self.oa_encrypt_mode} 时须设置 43 位的 EncodingAESKey，"
                "请设置 SONGJIAO_WECHAT_AES_KEY。/ oa_encrypt_mode "
                f"{self.oa_encrypt_mode} needs the 43-character SONGJIAO_WECHAT_AES_KEY."
            )
        return self

    @property
    def oa_callback_mode(self) -> str:
        """The 公众号 callback's encryption mode in effect: "safe", "compatible" or "plain"."""
        if self.oa_encrypt_mode:
            return self.oa_encrypt_mode
        return "safe" if self.wechat_aes_key else "plain"

    @property
    def official_account_appid(self) -> str:
        """The 公众号's appid: oa_appid, or the mini-program's when unset."""
        return self.oa_appid or self.wechat_appid

    @property
    def official_account_secret(self) -> str:
        """The 公众号's secret: oa_secret, or the mini-program's when oa_appid is unset."""
        return self.oa_secret if self.oa_appid else self.wechat_secret

    @property
    def two_wechat_apps(self) -> bool:
        """True when the 公众号 is an app of its own, apart from the mini-program."""
        return self.official_account_appid != self.wechat_appid

    @property
    def semester_calendar(self) -> SemesterCalendar:
        """The semester calendar of config (spring Feb–Jul, autumn Aug–Jan by default)."""
        return _calendar(self.semester_spring, self.semester_autumn)

    @property
    def embedded_database(self) -> bool:
        """True when no database URL is set and SQLite under data_dir is used."""
        return not self.database_url

    @property
    def embedded_redis(self) -> bool:
        """True when no Redis URL is set and the in-process stand-in is used."""
        return not self.redis_url

    @property
    def uses_embedded_sandbox(self) -> bool:
        """True when WeChat calls go to the sandbox mounted in the api itself."""
        return not self.wechat_api_base

    @property
    def uses_sandbox(self) -> bool:
        """True when WeChat is a sandbox (embedded, or `songjiao sandbox`), not api.weixin.qq.com.

        Never in production (it refuses to start without real base URLs, and a base other
        than WeChat's host is taken for a proxy there); elsewhere any other base is a sandbox.
        """
        if self.env == "production":
            return False
        if self.uses_embedded_sandbox:
            return True
        host = urlsplit(self.wechat_api_base).hostname or ""
        return host != WECHAT_API_HOST

    @property
    def db_url(self) -> str:
        """The tortoise database URL, SQLite under data_dir by default."""
        if self.database_url:
            return self.database_url.replace("postgresql://", "postgres://", 1)
        return f"sqlite://{(self.data_dir / 'songjiao.sqlite3').resolve()}"

    @property
    def self_base_url(self) -> str:
        """The api's own base URL as seen from this machine."""
        return f"http://{self.host}:{self.port}"

    @property
    def wechat_base(self) -> str:
        """Base URL of the WeChat API (the embedded sandbox when unset)."""
        return self.wechat_api_base or self.self_base_url + SANDBOX_PREFIX

    @property
    def wecom_base(self) -> str:
        """Base URL of the WeCom API (the embedded sandbox when unset)."""
        return self.wecom_api_base or self.self_base_url + SANDBOX_PREFIX

    def check_secrets(self) -> None:
        """Refuse default secrets outside development, in Chinese and English."""
        if self.env == "development":
            return
        bad = [key for key, value in DEV_SECRETS.items() if getattr(self, key) == value]
        if self.oa_appid and self.oa_secret in DEV_SECRETS.values():
            bad.append("oa_secret")
        if len(self.jwt_secret) < 32 and "jwt_secret" not in bad:
            bad.append("jwt_secret")
        if len(self.certificate_secret) < 32 and "certificate_secret" not in bad:
            bad.append("certificate_secret")
        if bad:
            names = ", ".join(f"SONGJIAO_{key.upper()}" for key in bad)
            raise InsecureSettings(
                f"拒绝启动：{self.env} 环境仍在使用默认密钥或弱密钥，请通过环境变量设置 {names}。\n"
                f"Refusing to start: the {self.env} environment still uses a default or weak "
                f"secret; set {names} in the environment."
            )

    def check_wechat_bases(self) -> None:
        """Refuse to run outside development without real WeChat base URLs (no sandbox)."""
        if self.env == "development":
            return
        missing = [key for key in WECHAT_BASES if not getattr(self, key).strip()]
        if missing:
            listed = "、".join(
                f"SONGJIAO_{key.upper()}（{WECHAT_BASES[key][0]}，一般为 {WECHAT_BASES[key][1]}）"
                for key in missing
            )
            names = ", ".join(f"SONGJIAO_{key.upper()}" for key in missing)
            raise SandboxOutsideDevelopment(
                f"拒绝启动：{self.env} 环境未设置微信接口地址 {listed}。内置的微信沙箱只用于"
                f"开发环境，请通过环境变量设置。\n"
                f"Refusing to start: the {self.env} environment does not set {names}; the "
                f"embedded WeChat sandbox runs in development only."
            )


def load_settings(**overrides: object) -> Settings:
    """Load settings once; keyword overrides win over everything (used by tests)."""
    return Settings(**overrides)


@functools.lru_cache(maxsize=16)
def _calendar(spring: str, autumn: str) -> SemesterCalendar:
    """A calendar parsed once per text (8 µs a parse, asked on every check-in); frozen."""
    return SemesterCalendar.parse(spring, autumn)
