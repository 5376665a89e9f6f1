"""公示 posts: a pairing's or alliance's donations and funds for a period, as a 公众号 article.

Drafted from the ledger by the side that keeps the books (the pairing's 帮扶园, the
alliance's 牵头园), then reviewed and signed like any post (撰稿 → 审核 → 签发, three
people). One per unit and period; asked again while still 撰稿中, its body is drafted anew
from the ledger (after a correction). It names only the people responsible for each line
and shows no photos or receipts.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.common.auth import Principal
from server.common.errors import NotFound
from server.ledger import service as ledger
from server.orgs import service as orgs
from server.publicity import compose, render
from server.publicity.disclosure_figures import figures_sentence
from server.publicity.drafting import get_post
from server.publicity.models import Post, PostKind, PostStatus
from server.publicity.post_access import writes_for
from server.publicity.post_steps import record_step
from server.publicity.recap import KINDS, Subject, subject_of


def _lead(subject: Subject, label: str) -> str:
    what = "结对帮扶" if subject.kind == "pairing" else ""
    return (
        f"为规范捐赠物资管理和经费使用，现将{subject.name}{what}{label}"
        "接受捐赠物资及经费收支情况公示如下，欢迎监督。"
    )


def _body(subject: Subject, data: dict, author: str) -> tuple[str, str]:
    """(html, lead) of the post drawn from the ledger's 公示 data."""
    lead = _lead(subject, data["period"]["label"])
    html = render.render_disclosure(
        {
            "lead": lead,
            "figures": figures_sentence(data),
            "donations": data["donations"],
            "categories": data["printed"]["categories"],
            "funds": data["funds"],
            "footer": data["footer"],
            "generated_at": data["generated_at"],
            "byline": {"author": author, "reviewer": compose.REVIEWER_PENDING},
        }
    )
    return render.check_body(html), lead


async def create_disclosure(
    *,
    principal: Principal,
    kind: str,
    unit_id: int,
    semester: str | None = None,
    year: str | None = None,
) -> tuple[dict, bool]:
    """Draft (or, while 撰稿中, draft again) the 公示 post of a unit; (post, created now)."""
    if kind not in KINDS:
        raise NotFound("公示")
    subject = await subject_of(principal, kind, unit_id)
    if not writes_for(principal, subject.writer_id):
        raise NotFound("结对" if kind == "pairing" else "联盟")
    label = ledger.period_label(semester=semester, year=year)
    key = f"disclosure:{kind}:{unit_id}:{label}"
    data = await ledger.disclosure_for_post(kind=kind, unit_id=unit_id, period=label)
    me = await orgs.person_names(person_ids=[principal.person_id] if principal.person_id else [])
    writer = await orgs.kindergarten_names(kindergarten_ids={subject.writer_id})
    author = me.get(principal.person_id, "") or writer.get(subject.writer_id, "")
    html, lead = _body(subject, data, author)
    existing = await Post.get_or_none(recap_key=key)
    if existing is not None:
        if existing.status == PostStatus.DRAFTING:
            await Post.filter(id=existing.id, status=PostStatus.DRAFTING).update(
                html=html, digest=render.check_digest(compose.digest_of(lead))
            )
            await record_step(existing, step="drafted", actor_id=principal.person_id)
        return await get_post(principal=principal, post_id=existing.id), False
    title = render.clip(f"{subject.name}捐赠与经费公示（{label}）", render.TITLE_MAX)
    try:
        async with in_transaction():
            post = await Post.create(
                kind=PostKind.DISCLOSURE,
                kindergarten_id=subject.writer_id,
                pairing_id=subject.pairing_id,
                alliance_id=subject.alliance_id,
                semester=label,
                recap_key=key,
                title=render.check_title(title),
                digest=render.check_digest(compose.digest_of(lead)),
                html=html,
                author_name=render.clip(writer.get(subject.writer_id, ""), render.AUTHOR_MAX),
                created_by_id=principal.person_id,
            )
            await record_step(post, step="drafted", actor_id=principal.person_id)
    except IntegrityError:
        existing = await Post.get(recap_key=key)  # two clicks at once: answer the other's
        return await get_post(principal=principal, post_id=existing.id), False
    return await get_post(principal=principal, post_id=post.id), True
