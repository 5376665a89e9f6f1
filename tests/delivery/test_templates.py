"""Semantic fields become keyword values WeChat accepts, or a reason why they cannot."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.delivery.service import MESSAGE_KINDS
from server.delivery.templates import KIND_NAMES, build_data, keyword_value
from server.settings import load_settings
from server.wechat.sandbox.limits import value_ok

CREATED = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("keyword", "raw", "expected"),
    [
        ("thing1", "家长开放日", "家长开放日"),
        ("thing1", "一" * 25, "一" * 19 + "…"),
        ("thing1", "  多个\n空白  ", "多个 空白"),
        ("time2", "2026-11-25T14:30:00+08:00", "2026年11月25日 14:30"),
        ("time2", "2026-11-25T06:30:00Z", "2026年11月25日 14:30"),
        ("time2", "2026-11-25T14:30", "2026年11月25日 14:30"),
        ("time2", "2026-11-25T09:00~2026-11-25T11:30", "2026年11月25日 09:00~2026年11月25日 11:30"),
        ("date3", "2026-11-25T20:00:00+00:00", "2026年11月26日"),
        ("phrase4", "已取消", "已取消"),
        ("number5", "1,200", "1200"),
        ("name6", "王老师", "王老师"),
    ],
)
def test_values_are_formatted_and_shortened_where_safe(keyword, raw, expected):
    value = keyword_value(keyword, raw)
    assert value == expected
    assert value_ok(keyword, value)


@pytest.mark.parametrize(
    ("keyword", "raw"),
    [
        ("phrase4", "活动已经取消了"),  # cutting a phrase changes its meaning
        ("phrase4", "OK"),
        ("time2", "下周五"),
        ("time2", "2026-11-25"),  # a time keyword needs the clock
        ("number5", "12人"),
        ("character_string7", "编号超过三十二个字符的内容" * 3),
        ("thing1", "   "),
        ("unknown", "x"),
    ],
)
def test_values_that_cannot_be_made_valid_are_refused(keyword, raw):
    assert keyword_value(keyword, raw) is None


def test_missing_title_time_and_note_have_defaults_other_fields_do_not():
    built = build_data(
        {"title": "thing1", "time": "time2", "note": "thing3"},
        fields={},
        title="送教下乡示范课",
        created_at=CREATED,
    )
    assert built.data == {
        "thing1": "送教下乡示范课",
        "time2": "2026年11月20日 09:00",
        "thing3": "点击查看详情",
    }
    missing = build_data({"status": "phrase1"}, fields={}, title="t", created_at=CREATED)
    assert missing.data is None and missing.reason == "缺少字段「状态」"


def test_every_kind_has_a_name_and_a_valid_default_template():
    settings = load_settings()
    assert set(KIND_NAMES) == set(MESSAGE_KINDS)
    for kind in MESSAGE_KINDS:
        template = settings.templates[kind]
        assert template.subscribe_id, kind
        built = build_data(template.fields, fields={}, title="标题", created_at=CREATED)
        assert built.data is not None, (kind, built.reason)
