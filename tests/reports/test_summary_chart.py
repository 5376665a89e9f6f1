"""The summary chart is readable on a phone: the summary page shows it the screen's width."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from server.reports.summary_render import CHART_SIZE, chart_png
from server.reports.summary_store import SummaryScope, build_data
from tests.reports.summary_world import WEEK, make_county

#: The width a phone shows the chart at (pages/summary: `.chart { width: 100% }`, 375 px
#: screens are the common small case), and the smallest text a person reads there.
PHONE_WIDTH = 375
READABLE_PX = 12


@pytest.fixture
def drawn(monkeypatch):
    """Every text the chart draws: its font size and its box, as Pillow lays it out."""
    seen: list[dict] = []
    text = ImageDraw.ImageDraw.text

    def recording(self, xy, value, fill=None, font=None, *args, **kwargs):
        box = self.textbbox(xy, value, font=font)
        seen.append({"text": value, "size": font.size, "box": box})
        return text(self, xy, value, fill, font, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", recording)
    return seen


def _crowded(data: dict) -> dict:
    """The same summary with long names and every row of both panels filled."""
    items = data["targets"]["items"]
    longer = [{**m, "label": f"{m['label']}（含跟岗学习与集中培训）"} for m in items]
    targets = [longer[n % len(longer)] for n in range(8)]
    kinds = [{"kind": f"送教下乡示范课与现场指导{n}", "count": 9 - n} for n in range(9)]
    scope = {**data["scope"], "name": "湘江县青山镇学前教育第三区域发展联盟"}
    return {
        **data,
        "scope": scope,
        "targets": {**data["targets"], "items": targets},
        "happened": {**data["happened"], "by_kind": kinds},
    }


async def test_every_text_on_the_chart_is_readable_at_phone_width(api, drawn):
    county = await make_county()
    data = await build_data(
        kind="weekly", period=WEEK, scope=SummaryScope("region", county.w.region.id)
    )
    for case in (data, _crowded(data)):
        drawn.clear()
        image = Image.open(io.BytesIO(chart_png(case)))
        assert image.size == CHART_SIZE
        scale = PHONE_WIDTH / image.width
        assert len(drawn) > 20
        small = [d for d in drawn if d["size"] * scale < READABLE_PX]
        assert small == [], small
        width, height = image.size
        outside = [
            d for d in drawn if d["box"][0] < 0 or d["box"][2] > width or d["box"][3] > height
        ]
        assert outside == [], outside
        overlapping = [
            (a["text"], b["text"])
            for i, a in enumerate(drawn)
            for b in drawn[i + 1 :]
            if a["box"][0] < b["box"][2]
            and b["box"][0] < a["box"][2]
            and a["box"][1] < b["box"][3]
            and b["box"][1] < a["box"][3]
        ]
        assert overlapping == [], overlapping
    # The crowded case still shows its (shortened) long names.
    assert any(d["text"].startswith("湘江县青山镇") for d in drawn)
    assert sum(d["text"].startswith("送教下乡") for d in drawn) == 7
