"""Accounts endpoints: login, refresh, logout, me, invitations, role grants."""

from __future__ import annotations

from sanic import Blueprint, Request, json
from sanic_ext import openapi, validate

from server.accounts import invitations, roles, service
from server.accounts.models import Account
from server.accounts.schemas import (
    GrantBody,
    InvitationBody,
    LoginBody,
    PersonAnswer,
    RedeemBody,
    RefreshBody,
    SessionAnswer,
    WebLoginAnswer,
)
from server.common.auth import ANY_ACCOUNT, PUBLIC, requires
from server.common.params import IntArg, Params
from server.common.rate_limit import client_address
from server.common.runtime import current

bp = Blueprint("accounts", url_prefix="/api/v1")


class KindergartenQuery(Params):
    """?kindergarten_id= (required)."""

    kindergarten_id: IntArg()


class PersonQuery(Params):
    """?person_id= (required)."""

    person_id: IntArg()


@bp.post("/auth/login")
@openapi.definition(body=LoginBody, summary="微信登录", tag="账号")
@openapi.response(200, {"application/json": SessionAnswer}, "令牌与本人资料")
@requires(PUBLIC)
@validate(json=LoginBody)
async def login(request: Request, body: LoginBody):
    """Log in with a wx.login code."""
    # Per address only: the account is known once WeChat has answered for the code.
    await current().limiter.hit("login_per_address", client_address(request))
    settings = current().settings
    return json(await service.login(code=body.code, wechat=current().wechat, settings=settings))


@bp.post("/auth/refresh")
@openapi.definition(body=RefreshBody, summary="刷新登录", tag="账号")
@openapi.response(200, {"application/json": SessionAnswer}, "新的令牌与本人资料")
@requires(PUBLIC)
@validate(json=RefreshBody)
async def refresh(request: Request, body: RefreshBody):
    """Rotate the refresh token."""
    return json(
        await service.refresh(refresh_token=body.refresh_token, settings=current().settings)
    )


@bp.post("/auth/logout")
@openapi.definition(summary="退出登录", tag="账号", secured="token")
@requires(ANY_ACCOUNT)
async def logout(request: Request):
    """End this session."""
    await service.logout(principal=request.ctx.principal)
    return json({"ok": True})


@bp.get("/me")
@openapi.definition(summary="我的资料与角色", tag="账号", secured="token")
@openapi.response(200, {"application/json": PersonAnswer}, "本人资料与角色（未绑定时无 id、name）")
@requires(ANY_ACCOUNT)
async def me(request: Request):
    """The caller's profile and roles."""
    return json(await service.me(principal=request.ctx.principal))


@bp.post("/invitations")
@openapi.definition(body=InvitationBody, summary="生成邀请码", tag="账号", secured="token")
@requires("director", "leader", "admin")
@validate(json=InvitationBody)
async def create_invitation(request: Request, body: InvitationBody):
    """Make an invitation code."""
    data = await invitations.create_invitation(principal=request.ctx.principal, **body.model_dump())
    return json(data, status=201)


@bp.get("/invitations")
@openapi.definition(summary="邀请码列表", tag="账号", secured="token")
@openapi.parameter("kindergarten_id", int, "query", required=True)
@requires("director", "leader", "admin")
@validate(query=KindergartenQuery)
async def list_invitations(request: Request, query: KindergartenQuery):
    """Invitations of one kindergarten."""
    return json(
        await invitations.list_invitations(
            principal=request.ctx.principal, kindergarten_id=query.kindergarten_id
        )
    )


@bp.delete("/invitations/<invitation_id:int>")
@openapi.definition(summary="撤销邀请码", tag="账号", secured="token")
@requires("director", "leader", "admin")
async def revoke_invitation(request: Request, invitation_id: int):
    """Revoke an invitation."""
    return json(
        await invitations.revoke_invitation(
            principal=request.ctx.principal, invitation_id=invitation_id
        )
    )


@bp.post("/invitations/redeem")
@openapi.definition(body=RedeemBody, summary="使用邀请码绑定身份", tag="账号", secured="token")
@openapi.response(200, {"application/json": SessionAnswer}, "绑定后的新令牌与本人资料")
@requires(ANY_ACCOUNT)
@validate(json=RedeemBody)
async def redeem_invitation(request: Request, body: RedeemBody):
    """Bind the caller to a person; answers fresh tokens carrying the new roles."""
    principal = request.ctx.principal
    await current().limiter.hit_all(
        ("redeem_per_address", (client_address(request),)),
        ("redeem_per_account", (principal.account_id,)),
    )
    await invitations.redeem_invitation(
        principal=principal, code=body.code, name=body.name, relation=body.relation
    )
    account = await Account.get(id=principal.account_id)
    await service.logout(principal=principal)
    return json(await service.start_session(account=account, settings=current().settings))


@bp.get("/role-grants")
@openapi.definition(summary="人员的角色", tag="账号", secured="token")
@openapi.parameter("person_id", int, "query", required=True)
@requires("director", "leader", "admin")
@validate(query=PersonQuery)
async def list_grants(request: Request, query: PersonQuery):
    """Grants of one person, within the caller's scope."""
    return json(await roles.list_grants(principal=request.ctx.principal, person_id=query.person_id))


@bp.post("/role-grants")
@openapi.definition(body=GrantBody, summary="授予角色", tag="账号", secured="token")
@requires("director", "leader", "admin")
@validate(json=GrantBody)
async def add_grant(request: Request, body: GrantBody):
    """Give a person a role within a scope."""
    data = await roles.add_grant(principal=request.ctx.principal, **body.model_dump())
    return json(data, status=201)


@bp.delete("/role-grants/<grant_id:int>")
@openapi.definition(summary="收回角色", tag="账号", secured="token")
@requires("director", "leader", "admin")
async def remove_grant(request: Request, grant_id: int):
    """Take a role away."""
    await roles.remove_grant(principal=request.ctx.principal, grant_id=grant_id)
    return json({"ok": True})


@bp.post("/web-login/<token:str>/confirm")
@openapi.definition(summary="扫码登录管理后台：确认", tag="账号", secured="token")
@openapi.response(200, {"application/json": WebLoginAnswer}, "已确认，电脑上的管理后台将登录")
@requires(ANY_ACCOUNT)
async def confirm_web_login(request: Request, token: str):
    """The mini-program confirms a console login code its user scanned."""
    from server.accounts import web_login

    return json(await web_login.confirm_scan_login(principal=request.ctx.principal, token=token))
