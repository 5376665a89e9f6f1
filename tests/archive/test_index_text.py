"""The archive's index.xlsx keeps activity titles and host names as text, never formulas."""

from __future__ import annotations

import io
import zipfile

from server.orgs.models import Kindergarten
from tests.archive.helpers import ARCHIVE, make_activity
from tests.support.sheets import HOSTILE, assert_text_cells
from tests.support.world import make_world


async def test_titles_and_host_that_look_like_formulas_stay_text(client):
    w = await make_world(client, ARCHIVE)
    await Kindergarten.filter(id=w.supported.id).update(name=HOSTILE[3])
    for title in HOSTILE[:3]:
        await make_activity(host=w.supported, pairing=w.pairing, title=title)
    resp = await client.get(
        f"/api/v1/pairings/{w.pairing.id}/archive.zip",
        params={"semester": "2026秋"},
        headers=w.organizer.headers,
    )
    assert resp.status_code == 200, resp.text
    index = zipfile.ZipFile(io.BytesIO(resp.content)).read("index.xlsx")
    assert_text_cells(index, HOSTILE)
