"""error_for maps WeChat errcodes to typed errors with Chinese messages."""

from __future__ import annotations

import pytest

from server.wechat import errors


@pytest.mark.parametrize(
    ("errcode", "cls"),
    [
        (40001, errors.InvalidCredential),
        (40014, errors.InvalidCredential),
        (42001, errors.InvalidCredential),
        (40029, errors.InvalidCode),
        (40163, errors.CodeUsed),
        (43101, errors.SubscriptionRefused),
        (47003, errors.ArgumentInvalid),
        (40169, errors.ArgumentInvalid),
        (45003, errors.ArgumentInvalid),
        (40016, errors.ArgumentInvalid),
        (40025, errors.ArgumentInvalid),
        (45009, errors.RateLimited),
        (45011, errors.RateLimited),
        (-1, errors.SystemBusy),
        (48001, errors.Unauthorized),
        (40005, errors.InvalidMedia),
        (40007, errors.InvalidMedia),
        (40009, errors.InvalidMedia),
    ],
)
def test_errcode_maps_to_its_typed_error(errcode, cls):
    error = errors.error_for(errcode, "wechat says")
    assert type(error) is cls
    assert error.errcode == errcode and error.errmsg == "wechat says"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error.message)


def test_unknown_errcode_is_a_plain_wechat_error_with_a_chinese_message():
    error = errors.error_for(61024, "something new")
    assert type(error) is errors.WeChatError
    assert error.message == "微信接口调用失败，请稍后重试"


def test_subscription_refused_explains_in_chinese():
    error = errors.error_for(43101, "user refuse to accept the msg")
    assert error.message == "用户未订阅该消息或订阅次数已用完"


def test_argument_invalid_names_the_bad_data_field():
    error = errors.error_for(47003, "argument invalid! data.time2.value invalid")
    assert error.message == "消息字段 time2 的内容不符合微信的格式要求"
