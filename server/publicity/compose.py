"""Write a post from an activity's facts and record: title, digest and the body's context."""

from __future__ import annotations

import re

from server.common.time import china
from server.publicity.render import DIGEST_MAX, TITLE_MAX, clip, local_src

FAMILY_KINDS = {"家长开放日", "亲子活动"}
#: Shown until the director approves; then replaced by her name.
REVIEWER_PENDING = "待审核"
QUOTE_MAX = 120
PURPOSE_MAX = 160
_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]?")


def _hours(value: float) -> str:
    return f"{value:g}"


def date_text(moment) -> str:
    """A moment as 2026年10月15日 (China time)."""
    day = china(moment)
    return f"{day.year}年{day.month}月{day.day}日"


def _sentences(text: str, limit: int) -> str:
    """Whole leading sentences of `text` up to `limit` characters (cut if the first is longer)."""
    text = " ".join(text.split())
    out = ""
    for sentence in _SENTENCE.findall(text):
        if out and len(out) + len(sentence) > limit:
            break
        out += sentence.strip()
    return clip(out, limit)


def title_of(facts: dict) -> str:
    """The activity title, prefixed with its kind when the title does not name it."""
    title, kind = facts["title"].strip(), facts["kind"]
    return clip(title if kind in title else f"{kind}｜{title}", TITLE_MAX)


def lead_of(facts: dict, record: dict) -> str:
    """Date, who went where, what, and who attended, in one paragraph."""
    date, kind, title = date_text(facts["starts_at"]), facts["kind"], facts["title"].strip()
    host, supporting = facts["host_name"], facts["supporting_name"]
    # The expected audience who came: never the organizer, a presenter or a visitor.
    count = record["figures"]["attended"]
    if supporting and supporting != host:
        team = f"{len(facts['presenters'])}位骨干教师" if facts["presenters"] else "送教团队"
        opening = f"{date}，{supporting}{team}走进{host}，开展“{title}”{kind}活动"
    else:
        place = f"在{facts['address']}" if facts["address"] else ""
        opening = f"{date}，{host}{place}开展“{title}”{kind}活动"
    if kind in FAMILY_KINDS:
        attended = f"，{count}个家庭参加了活动。" if count else "。"
    else:
        others = [n for n in facts["audience_names"] if n and n not in (host, supporting)]
        who = "、".join([host, *others]) if others else host
        attended = f"，{who}的{count}名教师参加了活动。" if count else "。"
    return opening + attended


def purpose_of(facts: dict) -> str:
    """Why the activity was held: the plan's first sentences, else a sentence of the kind."""
    if facts["plan"].strip():
        return _sentences(facts["plan"], PURPOSE_MAX)
    if facts["supporting_name"] and facts["supporting_name"] != facts["host_name"]:
        return (
            f"本次活动是{facts['supporting_name']}与{facts['host_name']}结对帮扶工作的一部分，"
            "旨在发挥示范引领作用，促进园所保教质量共同提升。"
        )
    return ""


def numbers_of(facts: dict, record: dict) -> list[dict]:
    """Teachers reached, 课时 given, families (for family activities): from figures.py."""
    figures = record["figures"]
    if facts["kind"] in FAMILY_KINDS:
        numbers = [{"value": figures["attended"], "label": "个家庭参与"}]
        if figures["children"]:
            numbers.append({"value": figures["children"], "label": "名幼儿参与"})
    else:
        numbers = [{"value": figures["attended"], "label": "名教师参加"}]
    if figures["presenters"]:
        numbers.append({"value": figures["presenters"], "label": "位教师授课"})
    if figures["lesson_hours"]:
        numbers.append({"value": _hours(figures["lesson_hours"]), "label": "课时"})
    return numbers


def quote_of(record: dict) -> tuple[str, str]:
    """(quote, source) from the reflection, else the summary; ("", "") when neither."""
    for key, source in (("reflection", "活动反思"), ("summary", "活动总结")):
        text = record["record"].get(key, "").strip()
        if text:
            return _sentences(text, QUOTE_MAX), source
    return "", ""


def digest_of(lead: str) -> str:
    """The lead, cut to the digest limit."""
    return clip(lead, DIGEST_MAX)


def body_context(*, facts: dict, record: dict, photos: list[dict], byline: dict[str, str]) -> dict:
    """Everything the post template draws."""
    quote, source = quote_of(record)
    return {
        "lead": lead_of(facts, record),
        "purpose": purpose_of(facts),
        "presenters": [
            {
                "name": p["name"],
                "topic": p["topic"],
                "where": "·".join(
                    part
                    for part in (
                        p.get("class_name", ""),
                        f"{p['subject_area']}领域" if p.get("subject_area") else "",
                    )
                    if part
                ),
                "hours": _hours(p["hours"]) if p["hours"] else "",
            }
            for p in facts["presenters"]
        ],
        "numbers": numbers_of(facts, record),
        "photos": [{"src": local_src(p["id"]), "caption": p["caption"]} for p in photos],
        "quote": quote,
        "quote_source": source,
        "byline": byline,
    }
