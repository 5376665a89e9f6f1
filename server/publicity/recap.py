"""Semester recap posts: a pairing's or an alliance's semester told from its figures and photos.

Written by the side that leads the work (the pairing's 帮扶园, the alliance's 牵头园): its
organizer or director drafts, its director reviews, a leader over it signs, as for any post.
One recap per pairing (or alliance) and semester; asked again, the same post comes back.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.activities import service as activities
from server.archive import service as archive
from server.checkin import figures as checkin_figures
from server.common.auth import Principal
from server.common.errors import DomainError, NotFound
from server.common.runtime import configured_calendar
from server.common.semester import semester_of
from server.common.time import now
from server.orgs import service as orgs
from server.publicity import compose, render, sources
from server.publicity.drafting import get_post
from server.publicity.models import Post, PostKind
from server.publicity.post_access import writes_for
from server.publicity.post_steps import record_step
from server.reports import service as reports

RECAP_PHOTOS = 6
LISTED_ACTIVITIES = 20
KINDS = ("pairing", "alliance")


@dataclass(frozen=True)
class Subject:
    """What a recap is about, and who writes it."""

    kind: str
    id: int
    name: str  #: 湘江县实验幼儿园与石桥村幼儿园, or the alliance's name
    writer_id: int  #: the kindergarten whose organizer writes and whose director reviews

    @property
    def pairing_id(self) -> int | None:
        return self.id if self.kind == "pairing" else None

    @property
    def alliance_id(self) -> int | None:
        return self.id if self.kind == "alliance" else None


async def subject_of(principal: Principal, kind: str, unit_id: int) -> Subject:
    """The pairing or alliance a recap (or 公示) is about; 404 when the caller may not know it."""
    if kind == "pairing":
        sides = await orgs.pairing_sides(pairing_id=unit_id)
        if not sides:
            raise NotFound("结对")
        names = await orgs.kindergarten_names(kindergarten_ids=set(sides))
        name = f"{names.get(sides[0], '')}与{names.get(sides[1], '')}"
        return Subject(kind, unit_id, name, sides[0])
    name = await orgs.alliance_name(alliance_id=unit_id)
    if name is None:
        raise NotFound("联盟")
    lead = await orgs.alliance_lead_id(alliance_id=unit_id)
    if lead is None:
        # Only the alliance's own writers learn that it lacks a lead; anyone else is
        # answered as for an alliance that does not exist (scope before any other answer).
        members = await orgs.alliance_member_ids(alliance_id=unit_id)
        if not any(writes_for(principal, kindergarten_id) for kindergarten_id in members):
            raise NotFound("联盟")
        raise DomainError(
            "no_lead_kindergarten", "该联盟尚未设置牵头园，设置后由牵头园撰写学期回顾", status=409
        )
    return Subject(kind, unit_id, name, lead)


def _figure(report: dict | None, key: str) -> float:
    if not report:
        return 0
    metric = report["targets"].get(key) or {}
    return metric.get("done") or 0


def _numbers(report: dict | None, held: int, teachers: int) -> list[dict]:
    figures = (report or {}).get("figures") or {}
    numbers = [{"value": held, "label": "场活动"}]
    if teachers:
        numbers.append({"value": teachers, "label": "名教师参加"})
    hours = _figure(report, "send_hours") or _figure(report, "send_hours_received")
    if hours:
        numbers.append({"value": f"{hours:g}", "label": "送教课时"})
    # The report's families figure is a breakdown (families, adults, children, stars).
    families = (figures.get("families") or {}).get("families_checked_in")
    if families:
        numbers.append({"value": families, "label": "个家庭参与"})
    return numbers


def _results(report: dict | None) -> list[dict]:
    return [
        {
            "label": m["label"],
            "done": f"{m['done']:g}",
            "target": f"{m['target']:g}",
            "unit": m["unit"],
            "status_label": m["status_label"],
        }
        for m in ((report or {}).get("targets") or {}).values()
        if m and m.get("target")
    ]


def _best_photos(photos: dict[int, dict], newest_first: list[int]) -> list[dict]:
    """Consented photos, one per activity from the newest, then a second round, and so on."""
    by_activity: dict[int, list[dict]] = {}
    for p in photos.values():
        if p["consent"]:
            by_activity.setdefault(p["activity_id"], []).append(p)
    chosen: list[dict] = []
    for round_ in range(RECAP_PHOTOS):
        for activity_id in newest_first:
            found = by_activity.get(activity_id, [])
            if round_ < len(found) and len(chosen) < RECAP_PHOTOS:
                chosen.append(found[round_])
    return chosen


async def _quote(newest_first: list[int]) -> tuple[str, str]:
    for activity_id in newest_first:
        found = compose.quote_of(await archive.publicity_record(activity_id=activity_id))
        if found[0]:
            return found
    return "", ""


async def _context(subject: Subject, semester: str, author: str, held: list[dict]) -> dict:
    """What the recap template draws; `held`: the semester's finished activities, by start."""
    newest_first = [a["id"] for a in reversed(held)]
    report = await reports.semester_report(
        kind=subject.kind, unit_id=subject.id, semester=semester, calendar=configured_calendar()
    )
    photos = _best_photos(await sources.photos_of_activities(newest_first), newest_first)
    uploaders = [p["uploaded_by_id"] for p in photos if p["uploaded_by_id"]]
    names = await orgs.person_names(person_ids=uploaders)
    photographers = list(dict.fromkeys(names[i] for i in uploaders if i in names))
    quote, source = await _quote(newest_first)
    # "湘江县学前教育联盟" already says what it is; "湘江县" alone becomes "湘江县联盟".
    what = (
        "结对帮扶" if subject.kind == "pairing" else "" if subject.name.endswith("联盟") else "联盟"
    )
    lead = f"{semester}学期，{subject.name}{what}共开展{len(held)}场活动"
    # Counted as each activity's post counts them (figures.py), never the organizer.
    teachers = await checkin_figures.teachers_attended(activity_ids=[a["id"] for a in held])
    if teachers:
        lead += f"，{teachers}名教师参加"
    lead += "。现将本学期工作回顾如下。" if held else "。"
    return {
        "lead": lead,
        "numbers": _numbers(report, len(held), teachers),
        "activities": [
            {"date": compose.date_text(a["starts_at"]), "kind": a["kind"], "title": a["title"]}
            for a in held[:LISTED_ACTIVITIES]
        ],
        "more_activities": max(0, len(held) - LISTED_ACTIVITIES),
        "results": _results(report),
        "photos": [
            {"id": p["id"], "src": render.local_src(p["id"]), "caption": p["caption"]}
            for p in photos
        ],
        "quote": quote,
        "quote_source": source,
        "byline": {
            "author": author,
            "photographer": "、".join(photographers) or author,
            "reviewer": compose.REVIEWER_PENDING,
        },
    }


def _title(subject: Subject, semester: str) -> str:
    return render.clip(f"{subject.name}｜{semester}学期工作回顾", render.TITLE_MAX)


async def create_recap(
    *, principal: Principal, kind: str, unit_id: int, semester: str | None = None
) -> tuple[dict, bool]:
    """Draft the semester recap of a pairing or alliance; returns (post, created now)."""
    if kind not in KINDS:
        raise NotFound("学期回顾")
    subject = await subject_of(principal, kind, unit_id)
    if not writes_for(principal, subject.writer_id):
        raise NotFound("结对" if kind == "pairing" else "联盟")
    semester = (semester or "").strip() or semester_of(now(), configured_calendar())
    sources.semester_window(semester)  # refuses a malformed semester in Chinese
    key = f"{kind}:{unit_id}:{semester}"
    existing = await Post.get_or_none(recap_key=key)
    if existing is not None:
        return await get_post(principal=principal, post_id=existing.id), False
    in_semester = await sources.recap_activity_ids(
        pairing_id=subject.pairing_id, alliance_id=subject.alliance_id, semester=semester
    )
    found = await activities.activity_briefs(activity_ids=in_semester)
    held = [found[i] for i in in_semester if i in found and found[i]["status"] == "finished"]
    writer = await orgs.kindergarten_names(kindergarten_ids={subject.writer_id})
    author_name = writer.get(subject.writer_id, "")
    me = await orgs.person_names(person_ids=[principal.person_id] if principal.person_id else [])
    context = await _context(
        subject, semester, me.get(principal.person_id, "") or author_name, held
    )
    html = render.check_body(render.render_recap(context))
    try:
        async with in_transaction():
            post = await Post.create(
                kind=PostKind.RECAP,
                kindergarten_id=subject.writer_id,
                pairing_id=subject.pairing_id,
                alliance_id=subject.alliance_id,
                semester=semester,
                recap_key=key,
                title=render.check_title(_title(subject, semester)),
                digest=render.check_digest(compose.digest_of(context["lead"])),
                html=html,
                author_name=render.clip(author_name, render.AUTHOR_MAX),
                cover_file_id=context["photos"][0]["id"] if context["photos"] else None,
                created_by_id=principal.person_id,
            )
            await record_step(post, step="drafted", actor_id=principal.person_id)
    except IntegrityError:
        existing = await Post.get(recap_key=key)  # two clicks at once: answer the other's
        return await get_post(principal=principal, post_id=existing.id), False
    return await get_post(principal=principal, post_id=post.id), True
