"""Leaders' summaries: the figures of a week and of a semester, per scope, and their renderings."""

from __future__ import annotations

import io

from PIL import Image, ImageChops

from server.common.fonts import cjk_font
from server.reports.models import Summary
from server.reports.summary_render import CHART_SIZE, MARKDOWN_LIMIT, chart_png, markdown
from server.reports.summary_store import SummaryScope, build_data, ensure_summary, last_week
from tests.reports.summary_world import MONDAY_RUN, WEEK, make_county


async def test_weekly_region_summary_counts_the_week_of_its_region_only(api):
    county = await make_county()
    assert last_week(MONDAY_RUN).label == WEEK
    data = await build_data(
        kind="weekly", period=WEEK, scope=SummaryScope("region", county.w.region.id)
    )
    assert data["period_label"] == "2026年6月1日—6月7日" and data["semester"] == "2026春"
    assert data["scope"]["name"] == county.w.region.name
    h = data["happened"]
    # The cancelled activity and the other county's busy week count nowhere.
    assert h["activities"] == 3
    assert {k["kind"]: k["count"] for k in h["by_kind"]} == {
        "送教下乡": 1,
        "专题讲座": 1,
        "家长开放日": 1,
    }
    assert h["checkins"] == 3  # the annulled check-in is left out
    assert h["teachers_reached"] == 2
    assert h["send_hours"] == 3 and h["presenter_hours"] == 4.5
    assert h["attendee_hours"] == 6  # 3 check-ins x 2 attendee hours
    assert h["satisfaction"] == {"average": 4.5, "count": 2}

    targets = {m["key"]: m for m in data["targets"]["items"]}
    assert targets["send_hours"]["done"] == 5 and targets["send_hours"]["target"] == 10
    assert targets["send_hours"]["status"] == "at_risk"
    assert targets["lectures"]["done"] == 1 and targets["lectures"]["status"] == "at_risk"
    assert targets["monthly_visits"]["status"] == "missed"

    alerts = data["alerts"]
    # 送教课时, 讲座, 跟岗学习 (nobody yet) and 集中培训 (none this year) behind their pace;
    # the missed months are progress, not alerts (June is only a week old).
    assert alerts["pairings"] == 1 and alerts["count"] == 4
    assert {a["target"] for a in alerts["items"]} == {
        "send_hours",
        "lectures",
        "shadow_teachers",
        "trainings",
    }
    assert {a["pairing_id"] for a in alerts["items"]} == {county.w.pairing.id}
    assert data["ranking"]["by"] == "alliance"
    assert [r["id"] for r in data["ranking"]["items"]] == [county.w.alliance.id]
    assert data["satisfaction"]["semester"] == {"average": 4.0, "count": 3}


async def test_alliance_summary_ranks_its_pairings(api):
    county = await make_county()
    data = await build_data(
        kind="weekly", period=WEEK, scope=SummaryScope("alliance", county.w.alliance.id)
    )
    assert data["happened"]["activities"] == 3 and data["happened"]["checkins"] == 3
    assert data["ranking"]["by"] == "pairing"
    assert [r["id"] for r in data["ranking"]["items"]] == [county.w.pairing.id]
    assert {m["key"] for m in data["targets"]["items"]} >= {"alliance_activities"}


async def test_city_summary_adds_both_counties(api):
    county = await make_county()
    data = await build_data(kind="weekly", period=WEEK, scope=SummaryScope("city", 0))
    assert data["scope"]["name"] == "全市"
    assert data["happened"]["activities"] == 4
    assert data["happened"]["checkins"] == 7 and data["happened"]["teachers_reached"] == 6
    assert data["happened"]["send_hours"] == 12
    assert {r["id"] for r in data["ranking"]["items"]} == {
        county.w.alliance.id,
        county.other.alliance.id,
    }


async def test_semester_summary_counts_the_whole_semester_and_final_statuses(api):
    county = await make_county()
    data = await build_data(
        kind="semester", period="2026春", scope=SummaryScope("region", county.w.region.id)
    )
    assert data["kind_label"] == "学期总结" and data["period_label"] == "2026春季学期"
    assert data["first_day"] == "2026-02-01" and data["last_day"] == "2026-07-31"
    h = data["happened"]
    assert h["activities"] == 4 and h["send_hours"] == 5
    targets = {m["key"]: m for m in data["targets"]["items"]}
    # The semester is over: its targets are met or missed, never "at risk" (yearly ones
    # still run until the year ends).
    semester_targets = [m for m in targets.values() if m["window"] == "2026春"]
    assert len(semester_targets) >= 3
    assert {m["status"] for m in semester_targets} <= {"met", "missed"}
    assert targets["send_hours"]["status"] == "missed"
    assert data["satisfaction"]["period"] == {"average": 4.0, "count": 3}


async def test_summary_is_stored_once_and_read_back_unchanged(api):
    county = await make_county()
    scope = SummaryScope("region", county.w.region.id)
    first = await ensure_summary(kind="weekly", period=WEEK, scope=scope)
    again = await ensure_summary(kind="weekly", period=WEEK, scope=scope)
    assert first.id == again.id and await Summary.all().count() == 1
    assert again.data["happened"]["checkins"] == 3


async def test_chart_is_a_png_of_the_right_size_with_real_chinese_glyphs(api):
    county = await make_county()
    data = await build_data(
        kind="weekly", period=WEEK, scope=SummaryScope("region", county.w.region.id)
    )
    image = Image.open(io.BytesIO(chart_png(data)))
    image.load()
    assert image.format == "PNG" and image.size == CHART_SIZE
    # Something is drawn in every panel (title band, numbers, targets, kinds).
    for box in ((36, 22, 700, 70), (36, 164, 350, 264), (36, 412, 714, 980), (36, 996, 714, 1400)):
        extrema = image.crop(box).convert("L").getextrema()
        assert extrema[0] != extrema[1], box
    # The font draws Chinese as glyphs: each character differs from the missing-glyph box.
    font = cjk_font(24)
    missing = font.getmask("\ue000")
    for char in "送教课时预警满意度":
        drawn = font.getmask(char)
        assert drawn.getbbox() is not None
        as_image = Image.frombytes("L", drawn.size, bytes(drawn))
        box = Image.frombytes("L", missing.size, bytes(missing))
        same_size = as_image.size == box.size
        assert not same_size or ImageChops.difference(as_image, box).getbbox() is not None


async def test_markdown_fits_wecom_even_with_many_alerts(api):
    county = await make_county()
    data = await build_data(
        kind="weekly", period=WEEK, scope=SummaryScope("region", county.w.region.id)
    )
    text = markdown(data)
    assert len(text.encode()) <= MARKDOWN_LIMIT
    assert county.w.region.name in text and "送教课时" in text and "进度预警" in text
    long = {**data, "alerts": {**data["alerts"], "items": data["alerts"]["items"] * 200}}
    long["alerts"]["count"] = len(long["alerts"]["items"])
    squeezed = markdown(long)
    assert len(squeezed.encode()) <= MARKDOWN_LIMIT
    assert "> ……" in squeezed and squeezed.endswith("「工作简报」中查看。")


async def test_summary_counts_the_posts_its_kindergartens_published_that_week(api):
    from server.publicity.models import Post, PostKind, PostStatus
    from tests.reports.summary_world import cn

    county = await make_county()

    async def post(kindergarten, published_at, status=PostStatus.PUBLISHED):
        await Post.create(
            kind=PostKind.RECAP,
            kindergarten=kindergarten,
            title="学期回顾",
            html="<p>回顾</p>",
            status=status,
            published_at=published_at,
        )

    await post(county.w.supported, cn(2026, 6, 4, 10))
    await post(county.w.supporting, cn(2026, 6, 7, 20))
    await post(county.w.supported, cn(2026, 5, 28, 10))  # the week before
    await post(county.w.supported, None, status=PostStatus.SIGNING)  # not published
    await post(county.other.supported, cn(2026, 6, 4, 10))  # another county
    region = await build_data(
        kind="weekly", period=WEEK, scope=SummaryScope("region", county.w.region.id)
    )
    assert region["happened"]["posts_published"] == 2
    assert "公众号推文：2 篇" in markdown(region)
    city = await build_data(kind="weekly", period=WEEK, scope=SummaryScope("city", 0))
    assert city["happened"]["posts_published"] == 3
