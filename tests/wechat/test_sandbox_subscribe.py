"""Sandbox subscribe/send: WeChat's data rules per key type, and one-time subscription quota."""

from __future__ import annotations

import pytest

from server.wechat.sandbox import openid_for
from server.wechat.sandbox.limits import value_ok
from tests.support.sandbox import read_outbox

OPENID = openid_for("parent_wang")
TEMPLATE = "tmpl_open_day"

PASSES = [
    ("thing1", "家长开放日：大班科学活动"),
    ("thing1", "二" * 20),
    ("number2", "12"),
    ("number2", "3.5"),
    ("letter3", "ABCxyz"),
    ("symbol4", "%#@!"),
    ("character_string5", "ABC-123_x#"),
    ("time6", "15:01"),
    ("time6", "2019年10月1日 15:01"),
    ("time6", "2019-10-01 15:01"),
    ("time6", "2019-10-01 15:01~2019-10-01 17:30"),
    ("date7", "2019年10月1日"),
    ("date7", "2019-10-01"),
    ("date7", "2019-10-01 08:30"),
    ("amount8", "100元"),
    ("amount8", "￥12.5"),
    ("phone_number9", "+86-0766-66888866"),
    ("phone_number9", "138 0000 0000"),
    ("car_number10", "粤A8Z888挂"),
    ("name11", "王小明"),
    ("name11", "Tom Lee"),
    ("phrase12", "已签到"),
]
FAILS = [
    ("thing1", "二" * 21),
    ("thing1", ""),
    ("number2", "12a"),
    ("number2", "1" * 33),
    ("letter3", "abc1"),
    ("symbol4", "%%%%%%"),
    ("symbol4", "a!"),
    ("character_string5", "含中文abc"),
    ("character_string5", "a" * 33),
    ("time6", "25:00"),
    ("time6", "下午三点"),
    ("time6", "2019年10月1日"),
    ("date7", "2019年13月1日"),
    ("date7", "15:01"),
    ("amount8", "一百元"),
    ("amount8", "12345678901元"),
    ("phone_number9", "1" * 18),
    ("phone_number9", "tel:123"),
    ("car_number10", "粤A8Z888挂12"),
    ("car_number10", "粤A-8Z88"),
    ("name11", "王" * 11),
    ("name11", "王Tom"),
    ("name11", "a" * 21),
    ("phrase12", "已经完成签到了"),
    ("phrase12", "OK"),
    ("unknown13", "x"),
    ("thing", "no number suffix"),
]


@pytest.mark.parametrize(("key", "value"), PASSES)
def test_data_value_within_wechat_rules_is_accepted(key, value):
    assert value_ok(key, value)


@pytest.mark.parametrize(("key", "value"), FAILS)
def test_data_value_breaking_wechat_rules_is_refused(key, value):
    assert not value_ok(key, value)


async def test_subscribe_send_consumes_one_granted_subscription(sandbox):
    await sandbox.grant(OPENID, TEMPLATE, count=1)
    body = {
        "touser": OPENID,
        "template_id": TEMPLATE,
        "page": "pages/notice/index",
        "data": {"thing1": {"value": "家长开放日"}, "time2": {"value": "2025-05-20 09:00"}},
    }
    first = await sandbox.call("/cgi-bin/message/subscribe/send", body)
    second = await sandbox.call("/cgi-bin/message/subscribe/send", body)
    assert first["errcode"] == 0 and first["errmsg"] == "ok" and first["msgid"]
    assert second == {"errcode": 43101, "errmsg": "user refuse to accept the msg"}
    delivered = await read_outbox(sandbox.url, kind="subscribe_send", touser=OPENID, delivered=1)
    assert len(delivered) == 1


async def test_subscribe_page_must_be_a_page_of_the_released_app(sandbox):
    # "41030: page 路径不正确，需要保证在现网版本小程序中存在，与 app.json 保持一致"
    await sandbox.grant(OPENID, TEMPLATE, count=1)
    body = {"touser": OPENID, "template_id": TEMPLATE, "data": {"thing1": {"value": "通知"}}}
    for missing in ("pages/notices/detail?id=1", "pages/index/index"):
        answer = await sandbox.call("/cgi-bin/message/subscribe/send", {**body, "page": missing})
        assert answer["errcode"] == 41030
    # Refused before the subscription was spent: a released page still gets through.
    page = {**body, "page": "pages/notice/index?id=1"}
    assert (await sandbox.call("/cgi-bin/message/subscribe/send", page))["errcode"] == 0


async def test_subscribe_send_without_subscription_is_refused(sandbox):
    body = {"touser": OPENID, "template_id": TEMPLATE, "data": {"thing1": {"value": "通知"}}}
    answer = await sandbox.call("/cgi-bin/message/subscribe/send", body)
    assert answer["errcode"] == 43101


async def test_invalid_data_names_the_key_and_keeps_the_quota(sandbox):
    await sandbox.grant(OPENID, TEMPLATE, count=1)
    body = {
        "touser": OPENID,
        "template_id": TEMPLATE,
        "data": {"thing1": {"value": "通知"}, "phrase2": {"value": "太长的短语啊"}},
    }
    answer = await sandbox.call("/cgi-bin/message/subscribe/send", body)
    assert answer == {"errcode": 47003, "errmsg": "argument invalid! data.phrase2.value invalid"}
    assert sandbox.state.subscriptions[(OPENID, TEMPLATE)] == 1


async def test_unknown_key_type_is_argument_invalid(sandbox):
    await sandbox.grant(OPENID, TEMPLATE)
    body = {"touser": OPENID, "template_id": TEMPLATE, "data": {"keyword1": {"value": "x"}}}
    answer = await sandbox.call("/cgi-bin/message/subscribe/send", body)
    assert answer["errcode"] == 47003


async def test_grants_add_up_per_user_and_template(sandbox):
    await sandbox.grant(OPENID, TEMPLATE, count=2)
    granted = await sandbox.grant(OPENID, TEMPLATE, count=1)
    assert granted["remaining"] == 3
    other = await sandbox.grant(openid_for("parent_zhang"), TEMPLATE, count=1)
    assert other["remaining"] == 1
