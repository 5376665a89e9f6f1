"""Sandbox freepublish: publishing then success by default, set outcomes, unauthorised accounts."""

from __future__ import annotations

from tests.wechat.images import image_bytes


async def _draft(sandbox, count: int = 1) -> str:
    token = await sandbox.token()
    thumb = (
        await sandbox.http.post(
            f"{sandbox.url}/cgi-bin/material/add_material",
            params={"access_token": token, "type": "thumb"},
            files={"media": ("t.jpg", image_bytes("JPEG"))},
        )
    ).json()["media_id"]
    articles = [
        {"title": f"第{i}篇", "content": "<p>送教纪实</p>", "thumb_media_id": thumb}
        for i in range(1, count + 1)
    ]
    return (await sandbox.call("/cgi-bin/draft/add", {"articles": articles}))["media_id"]


async def _outcome(sandbox, **body: int) -> None:
    await sandbox.http.post(f"{sandbox.url}/sandbox/publish_outcome", json=body)


async def test_publish_reports_publishing_then_success_with_article_urls(sandbox):
    draft = await _draft(sandbox, count=2)
    submitted = await sandbox.call("/cgi-bin/freepublish/submit", {"media_id": draft})
    assert submitted["errcode"] == 0 and submitted["errmsg"] == "ok"
    assert submitted["publish_id"] and submitted["msg_data_id"]
    body = {"publish_id": submitted["publish_id"]}
    first = await sandbox.call("/cgi-bin/freepublish/get", body)
    second = await sandbox.call("/cgi-bin/freepublish/get", body)
    assert first["publish_status"] == 1
    assert second["publish_status"] == 0 and second["fail_idx"] == []
    detail = second["article_detail"]
    assert detail["count"] == 2 and [item["idx"] for item in detail["item"]] == [1, 2]
    page = await sandbox.http.get(detail["item"][1]["article_url"])
    assert "第2篇" in page.text and "sandbox" in page.headers["content-security-policy"]


async def test_unknown_draft_cannot_be_published(sandbox):
    answer = await sandbox.call("/cgi-bin/freepublish/submit", {"media_id": "nope"})
    assert answer == {"errcode": 40007, "errmsg": "invalid media_id"}


async def test_set_outcome_makes_next_publishes_fail_audit(sandbox):
    await _outcome(sandbox, status=4)
    draft = await _draft(sandbox)
    publish_id = (await sandbox.call("/cgi-bin/freepublish/submit", {"media_id": draft}))[
        "publish_id"
    ]
    await sandbox.call("/cgi-bin/freepublish/get", {"publish_id": publish_id})
    final = await sandbox.call("/cgi-bin/freepublish/get", {"publish_id": publish_id})
    assert final["publish_status"] == 4 and final["fail_idx"] == [1]
    assert "article_id" not in final


async def test_unauthorised_account_cannot_submit(sandbox):
    draft = await _draft(sandbox)
    await _outcome(sandbox, errcode=48001)
    answer = await sandbox.call("/cgi-bin/freepublish/submit", {"media_id": draft})
    assert answer == {"errcode": 48001, "errmsg": "api unauthorized"}
