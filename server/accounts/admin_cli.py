"""`songjiao create-admin`: the first admin, who logs in to the web console with a password."""

from __future__ import annotations

from tortoise import Tortoise

from server.accounts.web_login import create_admin
from server.common.errors import DomainError
from server.db import tortoise_config
from server.settings import Settings


async def create_admin_command(settings: Settings, *, name: str, login: str, password: str) -> int:
    """Create the admin; prints a Chinese line and answers the exit code."""
    await Tortoise.init(config=tortoise_config(settings, with_aerich=False))
    try:
        await create_admin(name=name, login=login, password=password)
    except DomainError as exc:
        print(exc.message)
        return 1
    finally:
        await Tortoise.close_connections()
    print(f"已创建管理员「{name}」，请用登录名 {login} 登录管理后台 /console。")
    return 0
