"""The console's activity page tells its organizer when a message about it could not go out."""

from __future__ import annotations

import html
from datetime import timedelta

from server.activities.jobs import deliver_events
from server.activities.models import ActivityEvent
from server.common.time import now
from server.jobs.failures import MAX_ATTEMPTS
from tests.activities.test_notify_failures import broken_send
from tests.support.factories import make_activity, make_kindergarten, make_person
from tests.web.console import console_person, password_login


async def test_the_organizer_sees_why_the_activity_message_failed(browser, monkeypatch):
    host = await make_kindergarten()
    await make_person(teacher_of=host)
    activity = await make_activity(host, starts_at=now() + timedelta(days=2))
    _, login = await console_person("organizer", scope_id=host.id)
    await password_login(browser, login)
    path = f"/console/activities/{activity.id}"
    assert "通知发送失败" not in (await browser.get(path)).text
    await ActivityEvent.create(activity=activity, kind="cancelled", payload={})
    broken_send(monkeypatch)
    for _ in range(MAX_ATTEMPTS):
        await deliver_events()
    page = html.unescape((await browser.get(path)).text)
    assert "通知发送失败：" in page
    assert "取消通知未能发出" in page and "AttributeError" in page
