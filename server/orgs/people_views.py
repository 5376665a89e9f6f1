"""Endpoints for the people of a kindergarten: classes, children, guardians, staff."""

from __future__ import annotations

from sanic import Blueprint, Request, json
from sanic_ext import openapi, validate

from server.common.auth import requires
from server.common.params import BoolArg, Page
from server.orgs import children, classes, people
from server.orgs.schemas import (
    ChildBody,
    ChildPatch,
    ClassBody,
    ClassPatch,
    GuardianBody,
    TeacherBody,
    TeacherPatch,
)

TAG = "组织"
STAFF = ("teacher", "organizer", "director")
OK = {"ok": True}

bp = Blueprint("orgs_people", url_prefix="/api/v1")


class TeacherQuery(Page):
    """?key_teacher=&active= (true/false) and the page."""

    key_teacher: BoolArg | None = None
    active: BoolArg | None = None


# ---- classes (班级) ------------------------------------------------------------------


@bp.get("/kindergartens/<kindergarten_id:int>/classes")
@openapi.definition(summary="班级列表", tag=TAG, secured="token")
@requires(*STAFF, "leader", "admin")
@validate(query=Page)
async def list_classes(request: Request, kindergarten_id: int, query: Page):
    """Classes of a kindergarten with their sizes."""
    return json(
        await classes.list_classes(
            principal=request.ctx.principal, kindergarten_id=kindergarten_id, **query.page()
        )
    )


@bp.post("/kindergartens/<kindergarten_id:int>/classes")
@openapi.definition(body=ClassBody, summary="新建班级", tag=TAG, secured="token")
@requires("director", "admin")
@validate(json=ClassBody)
async def create_class(request: Request, kindergarten_id: int, body: ClassBody):
    """Open a class."""
    data = await classes.create_class(
        principal=request.ctx.principal, kindergarten_id=kindergarten_id, **body.model_dump()
    )
    return json(data, status=201)


@bp.get("/classes/<class_id:int>")
@openapi.definition(summary="班级详情", tag=TAG, secured="token")
@requires(*STAFF, "leader", "admin")
async def get_class(request: Request, class_id: int):
    """One class."""
    return json(await classes.get_class(principal=request.ctx.principal, class_id=class_id))


@bp.patch("/classes/<class_id:int>")
@openapi.definition(body=ClassPatch, summary="修改班级", tag=TAG, secured="token")
@requires("director", "admin")
@validate(json=ClassPatch)
async def update_class(request: Request, class_id: int, body: ClassPatch):
    """Rename a class or change its grade."""
    return json(
        await classes.update_class(
            principal=request.ctx.principal,
            class_id=class_id,
            changes=body.model_dump(exclude_unset=True),
        )
    )


@bp.delete("/classes/<class_id:int>")
@openapi.definition(summary="删除班级", tag=TAG, secured="token")
@requires("director", "admin")
async def delete_class(request: Request, class_id: int):
    """Close an empty class."""
    await classes.delete_class(principal=request.ctx.principal, class_id=class_id)
    return json(OK)


# ---- children and guardians (幼儿与家长) -----------------------------------------------


@bp.get("/classes/<class_id:int>/children")
@openapi.definition(summary="班级幼儿名单", tag=TAG, secured="token")
@requires(*STAFF, "admin")
@validate(query=Page)
async def list_children(request: Request, class_id: int, query: Page):
    """Children of a class (the kindergarten's staff only)."""
    return json(
        await children.list_children(
            principal=request.ctx.principal, class_id=class_id, **query.page()
        )
    )


@bp.post("/classes/<class_id:int>/children")
@openapi.definition(body=ChildBody, summary="新增幼儿", tag=TAG, secured="token")
@requires("director", "admin")
@validate(json=ChildBody)
async def create_child(request: Request, class_id: int, body: ChildBody):
    """Enrol a child."""
    data = await children.create_child(
        principal=request.ctx.principal, class_id=class_id, name=body.name
    )
    return json(data, status=201)


@bp.get("/children/<child_id:int>")
@openapi.definition(summary="幼儿信息", tag=TAG, secured="token")
@requires(*STAFF, "parent", "admin")
async def get_child(request: Request, child_id: int):
    """One child (her kindergarten's staff, or her own parent)."""
    return json(await children.get_child(principal=request.ctx.principal, child_id=child_id))


@bp.patch("/children/<child_id:int>")
@openapi.definition(body=ChildPatch, summary="修改幼儿信息或转班", tag=TAG, secured="token")
@requires("director", "admin")
@validate(json=ChildPatch)
async def update_child(request: Request, child_id: int, body: ChildPatch):
    """Correct a child's name or move her to another class."""
    return json(
        await children.update_child(
            principal=request.ctx.principal,
            child_id=child_id,
            changes=body.model_dump(exclude_unset=True),
        )
    )


@bp.delete("/children/<child_id:int>")
@openapi.definition(summary="删除幼儿", tag=TAG, secured="token")
@requires("director", "admin")
async def delete_child(request: Request, child_id: int):
    """Remove a child and her guardian links."""
    await children.delete_child(principal=request.ctx.principal, child_id=child_id)
    return json(OK)


@bp.get("/children/<child_id:int>/guardians")
@openapi.definition(summary="幼儿家长列表", tag=TAG, secured="token")
@requires(*STAFF, "parent", "admin")
@validate(query=Page)
async def list_guardians(request: Request, child_id: int, query: Page):
    """Guardians of a child."""
    return json(
        await children.list_guardians(
            principal=request.ctx.principal, child_id=child_id, **query.page()
        )
    )


@bp.post("/children/<child_id:int>/guardians")
@openapi.definition(body=GuardianBody, summary="添加家长", tag=TAG, secured="token")
@requires("director", "admin")
@validate(json=GuardianBody)
async def add_guardian(request: Request, child_id: int, body: GuardianBody):
    """Record a guardian of a child."""
    data = await children.add_guardian(
        principal=request.ctx.principal, child_id=child_id, **body.model_dump()
    )
    return json(data, status=201)


@bp.delete("/children/<child_id:int>/guardians/<guardian_id:int>")
@openapi.definition(summary="移除家长", tag=TAG, secured="token")
@requires("director", "admin")
async def remove_guardian(request: Request, child_id: int, guardian_id: int):
    """Unlink a guardian from a child."""
    await children.remove_guardian(
        principal=request.ctx.principal, child_id=child_id, guardian_id=guardian_id
    )
    return json(OK)


# ---- teachers (教职工) ----------------------------------------------------------------


@bp.get("/kindergartens/<kindergarten_id:int>/teachers")
@openapi.definition(summary="教职工列表", tag=TAG, secured="token")
@openapi.parameter("key_teacher", bool, "query")
@openapi.parameter("active", bool, "query")
@requires(*STAFF, "leader", "admin")
@validate(query=TeacherQuery)
async def list_teachers(request: Request, kindergarten_id: int, query: TeacherQuery):
    """Staff of a kindergarten."""
    return json(
        await people.list_teachers(
            principal=request.ctx.principal,
            kindergarten_id=kindergarten_id,
            **query.model_dump(),
        )
    )


@bp.post("/kindergartens/<kindergarten_id:int>/teachers")
@openapi.definition(body=TeacherBody, summary="新增教职工", tag=TAG, secured="token")
@requires("director", "admin")
@validate(json=TeacherBody)
async def create_teacher(request: Request, kindergarten_id: int, body: TeacherBody):
    """Add a staff member with her teacher role."""
    data = await people.create_teacher(
        principal=request.ctx.principal, kindergarten_id=kindergarten_id, **body.model_dump()
    )
    return json(data, status=201)


@bp.get("/teachers/<teacher_id:int>")
@openapi.definition(summary="教职工详情", tag=TAG, secured="token")
@requires(*STAFF, "leader", "admin")
async def get_teacher(request: Request, teacher_id: int):
    """One staff member."""
    return json(await people.get_teacher(principal=request.ctx.principal, teacher_id=teacher_id))


@bp.patch("/teachers/<teacher_id:int>")
@openapi.definition(body=TeacherPatch, summary="修改教职工", tag=TAG, secured="token")
@requires("director", "admin")
@validate(json=TeacherPatch)
async def update_teacher(request: Request, teacher_id: int, body: TeacherPatch):
    """Edit a staff member."""
    return json(
        await people.update_teacher(
            principal=request.ctx.principal,
            teacher_id=teacher_id,
            changes=body.model_dump(exclude_unset=True),
        )
    )


@bp.delete("/teachers/<teacher_id:int>")
@openapi.definition(summary="停用教职工（收回教师角色）", tag=TAG, secured="token")
@requires("director", "admin")
async def deactivate_teacher(request: Request, teacher_id: int):
    """Mark a staff member as gone; her records stay."""
    return json(
        await people.deactivate_teacher(principal=request.ctx.principal, teacher_id=teacher_id)
    )
