"""Photos and attachments of an activity's record, over HTTP."""

from __future__ import annotations

import io
import os
import struct
import zlib
from urllib.parse import quote

from PIL import ExifTags, Image

from server.activities.models import ActivityKind, AudienceMode
from server.archive.models import ArchiveFile
from server.audit.models import AuditEntry
from tests.archive.helpers import (
    ARCHIVE,
    PDF_BYTES,
    jpeg_bytes,
    jpeg_with_gps,
    make_activity,
    noisy_jpeg,
    upload,
    xlsx_bytes,
)
from tests.support.factories import login_as, make_child, make_class, make_kindergarten
from tests.support.world import make_world

MB = 1024 * 1024


async def _content(client, who, file_id: int):
    return await client.get(f"/api/v1/files/{file_id}/content", headers=who.headers)


async def test_photo_upload_strips_gps_exif_and_applies_orientation(client):
    w = await make_world(client, ARCHIVE)
    original = jpeg_with_gps((60, 40))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    resp = await upload(client, w.organizer, w.activity.id, original, caption="绘本教学现场")
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["kind"] == "photo"
    assert body["filename"] == "公开课照片.jpg"
    assert body["content_type"] == "image/jpeg"
    assert body["caption"] == "绘本教学现场"
    assert body["consent"] is False
    assert "stored_path" not in body

    stored = (await _content(client, w.organizer, body["id"])).content
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert "exif" not in image.info
    assert b"Exif" not in stored and b"TestPhone" not in stored
    # Orientation 6 is applied to the pixels: the 60×40 picture now stands upright.
    assert image.size == (40, 60)


async def test_photo_is_stored_under_the_activity_folder_with_a_server_name(client, settings):
    w = await make_world(client, ARCHIVE)
    resp = await upload(
        client, w.organizer, w.activity.id, jpeg_bytes(), filename="../../etc/passwd.jpg"
    )
    assert resp.status_code == 201, resp.text
    row = await ArchiveFile.get(id=resp.json()["id"])
    assert row.stored_path.startswith(f"{w.activity.id}/")
    assert ".." not in row.stored_path and "passwd" not in row.stored_path
    assert (settings.data_dir / "archive" / row.stored_path).is_file()
    assert resp.json()["filename"] == "passwd.jpg"


async def test_text_file_sent_as_photo_is_not_an_image(client):
    w = await make_world(client, ARCHIVE)
    resp = await upload(client, w.organizer, w.activity.id, b"hello, not a picture")
    assert resp.status_code == 400
    assert resp.json()["error"] == "not_an_image"
    assert "不是图片" in resp.json()["message"]


async def test_truncated_jpeg_is_a_corrupt_image(client):
    w = await make_world(client, ARCHIVE)
    data = noisy_jpeg()
    resp = await upload(client, w.organizer, w.activity.id, data[: len(data) // 2])
    assert resp.status_code == 400
    assert resp.json()["error"] == "corrupt_image"
    assert "损坏" in resp.json()["message"]


async def test_png_header_with_garbage_is_a_corrupt_image(client):
    w = await make_world(client, ARCHIVE)
    data = b"\x89PNG\r\n\x1a\n" + os.urandom(2000)
    resp = await upload(client, w.organizer, w.activity.id, data, filename="a.png")
    assert resp.status_code == 400
    assert resp.json()["error"] == "corrupt_image"


async def test_photo_over_ten_megabytes_is_refused_with_413(client):
    w = await make_world(client, ARCHIVE)
    data = b"\xff\xd8\xff\xe0" + os.urandom(10 * MB + 100)
    resp = await upload(client, w.organizer, w.activity.id, data)
    assert resp.status_code == 413
    assert resp.json()["error"] == "image_too_large"
    assert "10 MB" in resp.json()["message"]
    assert await ArchiveFile.all().count() == 0


async def test_photo_claiming_too_many_pixels_is_refused_before_decoding(client):
    w = await make_world(client, ARCHIVE)
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="PNG")
    data = bytearray(out.getvalue())
    # Rewrite the IHDR to claim 20000 × 20000 pixels (400 megapixels), with a valid CRC.
    data[16:24] = struct.pack(">II", 20000, 20000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    resp = await upload(client, w.organizer, w.activity.id, bytes(data), filename="大图.png")
    assert resp.status_code == 413
    assert resp.json()["error"] == "image_too_large"
    assert "像素" in resp.json()["message"]


async def test_heic_photo_is_refused_with_advice_to_choose_jpg(client):
    w = await make_world(client, ARCHIVE)
    data = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    resp = await upload(client, w.organizer, w.activity.id, data, filename="IMG_0001.HEIC")
    assert resp.status_code == 400
    assert resp.json()["error"] == "heic_not_supported"
    assert "JPG" in resp.json()["message"]


async def test_webp_png_and_gif_photos_are_accepted(client):
    w = await make_world(client, ARCHIVE)
    for fmt, expected_type in (("WEBP", "image/webp"), ("PNG", "image/png"), ("GIF", "image/png")):
        out = io.BytesIO()
        Image.new("RGB", (20, 20), (1, 2, 3)).save(out, format=fmt)
        resp = await upload(
            client, w.organizer, w.activity.id, out.getvalue(), filename=f"照片.{fmt.lower()}"
        )
        assert resp.status_code == 201, (fmt, resp.text)
        assert resp.json()["content_type"] == expected_type
    assert resp.json()["filename"] == "照片.png"  # the GIF's first frame, stored as PNG


async def test_attachment_of_an_unsupported_type_is_refused(client):
    w = await make_world(client, ARCHIVE)
    resp = await upload(
        client,
        w.organizer,
        w.activity.id,
        b"MZ\x90\x00binary",
        filename="setup.exe",
        content_type="application/octet-stream",
        kind="attachment",
    )
    assert resp.status_code == 400
    assert resp.json()["error"] == "unsupported_file_type"


async def test_attachment_whose_content_does_not_match_its_extension_is_refused(client):
    w = await make_world(client, ARCHIVE)
    for name, data in (("教案.pdf", jpeg_bytes()), ("教案.docx", xlsx_bytes())):
        resp = await upload(
            client, w.organizer, w.activity.id, data, filename=name, kind="attachment"
        )
        assert resp.status_code == 400, name
        assert resp.json()["error"] == "file_type_mismatch"


async def test_pdf_xlsx_and_text_attachments_are_accepted(client):
    w = await make_world(client, ARCHIVE)
    cases = (
        ("活动方案.pdf", PDF_BYTES, "application/pdf"),
        ("签到汇总.xlsx", xlsx_bytes(), "application/vnd.openxmlformats-officedocument"),
        ("反思.txt", "今天的绘本课很成功。".encode("gb18030"), "text/plain; charset=gb18030"),
    )
    for name, data, content_type in cases:
        resp = await upload(
            client, w.organizer, w.activity.id, data, filename=name, kind="attachment"
        )
        assert resp.status_code == 201, (name, resp.text)
        assert resp.json()["content_type"].startswith(content_type)
        download = await _content(client, w.organizer, resp.json()["id"])
        assert download.content == data
        assert download.headers["content-type"].startswith(content_type)


async def test_consent_on_an_attachment_is_refused(client):
    w = await make_world(client, ARCHIVE)
    resp = await upload(
        client,
        w.organizer,
        w.activity.id,
        PDF_BYTES,
        filename="a.pdf",
        kind="attachment",
        consent="true",
    )
    assert resp.status_code == 400
    assert resp.json()["error"] == "consent_photo_only"


async def test_same_file_uploaded_twice_answers_the_first_record(client):
    w = await make_world(client, ARCHIVE)
    data = jpeg_bytes()
    first = await upload(client, w.organizer, w.activity.id, data)
    again = await upload(client, w.director, w.activity.id, data, filename="另一个名字.jpg")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert await ArchiveFile.filter(activity_id=w.activity.id).count() == 1


async def test_missing_kind_is_refused_in_chinese(client):
    w = await make_world(client, ARCHIVE)
    resp = await upload(client, w.organizer, w.activity.id, jpeg_bytes(), kind="")
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_kind"


async def test_files_are_listed_and_downloaded_with_the_chinese_name(client):
    w = await make_world(client, ARCHIVE)
    photo = (await upload(client, w.organizer, w.activity.id, jpeg_bytes())).json()
    listed = await client.get(
        f"/api/v1/activities/{w.activity.id}/files", headers=w.director.headers
    )
    assert listed.status_code == 200
    assert [f["id"] for f in listed.json()["items"]] == [photo["id"]]

    resp = await _content(client, w.director, photo["id"])
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "image/jpeg"
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith("inline;")
    assert f"filename*=UTF-8''{quote('公开课照片.jpg')}" in disposition
    assert resp.headers["x-content-type-options"] == "nosniff"


async def test_caption_and_consent_are_patched_and_consent_changes_are_audited(client):
    w = await make_world(client, ARCHIVE)
    photo = (await upload(client, w.organizer, w.activity.id, jpeg_bytes())).json()
    resp = await client.patch(
        f"/api/v1/files/{photo['id']}",
        json={"caption": "孩子们在听故事", "consent": True},
        headers=w.organizer.headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["caption"] == "孩子们在听故事"
    assert resp.json()["consent"] is True
    entries = await AuditEntry.filter(action="archive.file_consent")
    assert len(entries) == 1
    assert entries[0].activity_id == w.activity.id
    assert entries[0].actor_id == w.organizer.person.id
    assert entries[0].detail == {"consent": True, "previous": False}

    caption_only = await client.patch(
        f"/api/v1/files/{photo['id']}", json={"caption": "新说明"}, headers=w.organizer.headers
    )
    assert caption_only.status_code == 200
    assert await AuditEntry.filter(action="archive.file_consent").count() == 1


async def test_caption_longer_than_100_characters_is_refused(client):
    w = await make_world(client, ARCHIVE)
    photo = (await upload(client, w.organizer, w.activity.id, jpeg_bytes())).json()
    resp = await client.patch(
        f"/api/v1/files/{photo['id']}", json={"caption": "长" * 101}, headers=w.organizer.headers
    )
    assert resp.status_code == 400
    assert resp.json()["error"] == "text_too_long"


async def test_deleting_a_file_removes_it_from_record_and_disk_and_is_audited(client, settings):
    w = await make_world(client, ARCHIVE)
    photo = (await upload(client, w.organizer, w.activity.id, jpeg_bytes())).json()
    stored = settings.data_dir / "archive" / (await ArchiveFile.get(id=photo["id"])).stored_path
    resp = await client.delete(f"/api/v1/files/{photo['id']}", headers=w.director.headers)
    assert resp.status_code == 200
    assert not stored.exists()
    assert (await _content(client, w.director, photo["id"])).status_code == 404
    entry = await AuditEntry.get(action="archive.file_delete")
    assert entry.activity_id == w.activity.id
    assert entry.target_id == photo["id"]


async def test_teacher_of_a_side_may_see_but_not_change_files(client):
    w = await make_world(client, ARCHIVE)
    photo = (await upload(client, w.organizer, w.activity.id, jpeg_bytes())).json()
    teacher = await login_as(client, "teacher", scope_id=w.supported.id)
    listed = await client.get(f"/api/v1/activities/{w.activity.id}/files", headers=teacher.headers)
    assert listed.status_code == 200
    assert (await upload(client, teacher, w.activity.id, jpeg_bytes((9, 9)))).status_code == 403
    patched = await client.patch(
        f"/api/v1/files/{photo['id']}", json={"consent": True}, headers=teacher.headers
    )
    assert patched.status_code == 403
    deleted = await client.delete(f"/api/v1/files/{photo['id']}", headers=teacher.headers)
    assert deleted.status_code == 403


async def test_people_outside_the_activity_see_nothing(client):
    w = await make_world(client, ARCHIVE)
    photo = (await upload(client, w.organizer, w.activity.id, jpeg_bytes())).json()
    stranger_kg = await make_kindergarten()
    stranger = await login_as(client, "organizer", scope_id=stranger_kg.id)
    child = await make_child(await make_class(w.supported))
    parent = await login_as(client, "parent", scope_kind="child", scope_id=child.id)
    for who in (stranger, parent):
        listed = await client.get(f"/api/v1/activities/{w.activity.id}/files", headers=who.headers)
        assert listed.status_code == 404
        assert (await _content(client, who, photo["id"])).status_code == 404
    refused = await upload(client, stranger, w.activity.id, jpeg_bytes((8, 8)))
    assert refused.status_code == 404
    deleted = await client.delete(f"/api/v1/files/{photo['id']}", headers=stranger.headers)
    assert deleted.status_code == 404


async def test_parents_see_only_photos_with_consent(client):
    w = await make_world(client, ARCHIVE)
    open_day = await make_activity(
        host=w.supported,
        pairing=w.pairing,
        title="家长开放日",
        kind=ActivityKind.OPEN_DAY,
        audience_mode=AudienceMode.FAMILIES,
        audience=(w.supported,),
    )
    agreed = (await upload(client, w.director, open_day.id, jpeg_bytes(), consent="true")).json()
    not_agreed = (await upload(client, w.director, open_day.id, jpeg_bytes((30, 30)))).json()
    plan = (
        await upload(
            client, w.director, open_day.id, PDF_BYTES, filename="方案.pdf", kind="attachment"
        )
    ).json()
    child = await make_child(await make_class(w.supported))
    parent = await login_as(client, "parent", scope_kind="child", scope_id=child.id)

    listed = await client.get(f"/api/v1/activities/{open_day.id}/files", headers=parent.headers)
    assert listed.status_code == 200
    assert [f["id"] for f in listed.json()["items"]] == [agreed["id"]]
    assert (await _content(client, parent, agreed["id"])).status_code == 200
    assert (await _content(client, parent, not_agreed["id"])).status_code == 404
    assert (await _content(client, parent, plan["id"])).status_code == 404
    card = await client.get(f"/api/v1/activities/{open_day.id}/record-card", headers=parent.headers)
    assert card.status_code == 200
    assert [f["id"] for f in card.json()["files"]] == [agreed["id"]]
