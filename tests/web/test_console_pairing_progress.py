"""Console pairing page: every target with its progress this semester, and the ones the
records cannot measure labelled 需手工填报 (issue 16, item 11)."""

from __future__ import annotations

from server.activities.models import ActivityKind
from tests.reports.helpers import REPORTS, check_in, cn, held, staff
from tests.support.world import make_world
from tests.web.console import console_person, password_login


async def test_the_pairing_page_shows_progress_and_what_is_filled_in_by_hand(browser):
    w = await make_world(None, REPORTS)
    (teacher,) = await staff(w.supported)
    shadowing = await held(
        w.supporting, cn(2026, 10, 10), kind=ActivityKind.SHADOWING, pairing=w.pairing
    )
    await check_in(shadowing, teacher)
    for role, scope_kind, scope_id in (
        ("director", "kindergarten", w.supported.id),
        ("leader", "region", w.region.id),  # leaders get the edit form, with the progress too
    ):
        browser.cookies.clear()
        _, login = await console_person(role, scope_kind=scope_kind, scope_id=scope_id)
        await password_login(browser, login)
        page = await browser.get(f"/console/orgs/pairings/{w.pairing.id}?semester=2026秋")
        assert page.status_code == 200, page.text
        text = page.text
        assert 'id="progress"' in text, role
        shadow_row = text.split('data-target="shadow_teachers"')[1].split("</tr>")[0]
        assert "跟岗学习教师" in shadow_row and "1/1 人" in shadow_row and "已达标" in shadow_row
        training_row = text.split('data-target="trainings"')[1].split("</tr>")[0]
        assert "集中培训" in training_row and "/2 次" in training_row
        for key, label in (
            ("excellent_lesson_rate", "教师优课率"),
            ("qualified_lesson_rate", "教师合格率"),
            ("papers_per_year", "每年论文发表或获奖"),
        ):
            row = text.split(f'data-target="{key}"')[1].split("</tr>")[0]
            assert label in row and "需手工填报" in row
