"""Query and form models refuse bad input in Chinese, as the hand-written parsers did."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import Field
from sanic_ext.extras.validation.clean import clean_data

from server.common.errors import DomainError
from server.common.params import (
    BoolArg,
    DateArg,
    DateOf,
    DigitIds,
    Digits,
    FormDate,
    FormIds,
    FormInt,
    FormWhen,
    IntArg,
    Page,
    Params,
    Text,
    Typed,
    Yes,
)


class Listing(Page):
    region_id: IntArg() | None = None
    active: BoolArg | None = None
    active_on: DateArg | None = None
    day_from: DateOf("from", example="2026-11-25", length=10) | None = Field(None, alias="from")
    unread: Yes = False


class Required(Params):
    person_id: IntArg()


class Pairing(Params):
    supporting_id: FormInt("帮扶园")
    cycle_start: FormDate("帮扶周期开始日期")
    starts_at: FormWhen("开始时间") | None = None
    class_ids: FormIds("收件人选择有误，请刷新页面后重试") = []
    name: Text = ""
    note: Typed = None
    page: Digits = None
    ticked: DigitIds = []


def read(model, data: dict):
    """As sanic-ext reads it: Sanic's lists of strings, cleaned, then validated."""
    return model.model_validate(clean_data(model, data))


def refusal(model, data: dict) -> str:
    with pytest.raises(DomainError) as caught:
        read(model, data)
    assert caught.value.code == "invalid_input" and caught.value.status == 400
    return caught.value.message


def test_the_first_value_counts_and_a_blank_one_is_absent():
    got = read(Listing, {"limit": ["5", "7"], "region_id": [""], "from": ["2026-11-25T09:00"]})
    assert (got.limit, got.offset, got.region_id) == (5, 0, None)
    assert got.day_from == date(2026, 11, 25)


def test_query_refusals_name_the_parameter():
    assert refusal(Listing, {"limit": ["x"]}) == "参数 limit 必须是整数"
    assert refusal(Listing, {"limit": ["500"]}) == "参数 limit 超出范围（1–200）"
    assert refusal(Listing, {"offset": ["-1"]}) == "参数 offset 超出范围（0–2147483647）"
    assert refusal(Listing, {"active": ["maybe"]}) == "参数 active 只能是 true 或 false"
    assert refusal(Listing, {"active_on": ["3/1"]}) == "参数 active_on 须为日期，格式如 2024-03-01"
    assert refusal(Listing, {"from": ["tomorrow"]}) == "参数 from 须为日期，格式如 2026-11-25"
    assert refusal(Required, {}) == "缺少参数 person_id"
    assert refusal(Required, {"person_id": [""]}) == "缺少参数 person_id"


def test_lenient_flags_and_numbers_never_refuse():
    assert read(Listing, {"unread": ["yes"]}).unread is True
    assert read(Listing, {"unread": ["whatever"]}).unread is False
    got = read(Pairing, {"supporting_id": ["1"], "cycle_start": ["2026-09-01"], "page": ["x"]})
    assert got.page is None
    got = read(
        Pairing, {"supporting_id": ["1"], "cycle_start": ["2026-09-01"], "ticked": ["3", "a"]}
    )
    assert got.ticked == [3]


def test_form_refusals_name_the_field_by_its_label():
    start = {"cycle_start": ["2026-09-01"]}
    assert refusal(Pairing, start) == "请选择帮扶园"
    assert refusal(Pairing, {**start, "supporting_id": ["x"]}) == "帮扶园须为数字"
    assert refusal(Pairing, {"supporting_id": ["1"]}) == "请填写帮扶周期开始日期"
    bad_day = {"supporting_id": ["1"], "cycle_start": ["9/1"]}
    assert refusal(Pairing, bad_day) == "帮扶周期开始日期格式不正确，如 2026-09-01"
    ok = {"supporting_id": ["1"], **start}
    assert (
        refusal(Pairing, {**ok, "starts_at": ["soon"]}) == "请填写开始时间，格式如 2026-11-27 14:30"
    )
    assert refusal(Pairing, {**ok, "class_ids": ["1", "x"]}) == "收件人选择有误，请刷新页面后重试"


def test_a_form_keeps_what_it_needs():
    got = read(
        Pairing,
        {
            "supporting_id": ["1"],
            "cycle_start": ["2026-09-01"],
            "starts_at": ["2026-11-27T14:30"],
            "class_ids": ["4", "5"],
            "name": ["  第一园  "],
            "note": [""],
        },
    )
    assert got.class_ids == [4, 5] and got.name == "第一园"
    assert got.starts_at.utcoffset().total_seconds() == 8 * 3600  # China time
    assert got.note == ""  # a blank text that clears, not an absent one
    assert read(Pairing, {"supporting_id": ["1"], "cycle_start": ["2026-09-01"]}).note is None
