"""The environment for real `songjiao` processes (api, worker) that a test starts."""

from __future__ import annotations

import os

from server.settings import Settings
from tests.conftest import CERTIFICATE_SECRET, JWT_SECRET


def process_env(settings: Settings, *, redis_url: str, **extra: str) -> dict[str, str]:
    """The test run's settings as SONGJIAO_* variables, with its own Redis database."""
    return {
        **os.environ,
        "SONGJIAO_ENV": "test",
        "SONGJIAO_JWT_SECRET": JWT_SECRET,
        "SONGJIAO_CERTIFICATE_SECRET": CERTIFICATE_SECRET,
        "SONGJIAO_WECHAT_SECRET": settings.wechat_secret,
        "SONGJIAO_WECHAT_TOKEN": settings.wechat_token,
        "SONGJIAO_WECHAT_APPID": settings.wechat_appid,
        "SONGJIAO_OA_APPID": settings.oa_appid,
        "SONGJIAO_OA_SECRET": settings.oa_secret,
        "SONGJIAO_WECHAT_API_BASE": settings.wechat_api_base,
        "SONGJIAO_WECOM_API_BASE": settings.wecom_api_base,
        "SONGJIAO_DATABASE_URL": settings.database_url,
        "SONGJIAO_REDIS_URL": redis_url,
        "SONGJIAO_REDIS_TIMEOUT_SECONDS": str(settings.redis_timeout_seconds),
        "SONGJIAO_DATA_DIR": str(settings.data_dir),
        **extra,
    }
