"""Upload endpoints fed the wrong thing: wrong types, bombs, huge images, wrong encodings.

Each is refused with a 4xx and a Chinese message, quickly; nothing answers 5xx. The archive
(photos and attachments) and the roster (check and import) are the API's uploads.
"""

from __future__ import annotations

import io
import struct
import uuid
import zipfile
import zlib

import pytest

from server.orgs.roster_reading import MAX_WHOLE_PART_BYTES
from server.orgs.roster_template import build_template
from tests.archive.helpers import ARCHIVE, jpeg_bytes
from tests.archive.helpers import upload as upload_file
from tests.orgs.test_roster import director_of
from tests.orgs.test_roster import upload as upload_roster
from tests.support.factories import make_kindergarten
from tests.support.world import make_world

pytestmark = pytest.mark.embedded

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"PE\x00\x00" * 16
GBK_CSV = "班级,年级,幼儿姓名,家长姓名,家长手机号,关系\n小一班,小班,张小明,张丽,13812345678,母亲\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def flat_png(width: int, height: int) -> bytes:
    """A real 1-bit PNG of width × height pixels that compresses to almost nothing."""
    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def template_with(parts: dict[str, bytes], *, manifest: bytes = b"", rels: bytes = b"") -> bytes:
    """The roster template with parts replaced or added (and declared, when given)."""
    source = zipfile.ZipFile(io.BytesIO(build_template()))
    replaced = dict(parts)
    if manifest:
        types = source.read("[Content_Types].xml")
        replaced["[Content_Types].xml"] = types.replace(b"</Types>", manifest + b"</Types>")
    if rels:
        links = source.read("xl/_rels/workbook.xml.rels")
        replaced["xl/_rels/workbook.xml.rels"] = links.replace(
            b"</Relationships>", rels + b"</Relationships>"
        )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in dict.fromkeys([*source.namelist(), *replaced]):
            zf.writestr(name, replaced.get(name) or source.read(name))
    return out.getvalue()


def shared_strings_bomb(count: int) -> bytes:
    """A workbook whose shared strings hold `count` one-letter strings (openpyxl loads all)."""
    strings = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b"<si><t>a</t></si>" * count
        + b"</sst>"
    )
    return template_with(
        {"xl/sharedStrings.xml": strings},
        manifest=b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>',
        rels=b'<Relationship Id="rIdS" Target="sharedStrings.xml" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>',
    )


def wide_row_bomb(cells: int) -> bytes:
    """A workbook whose 教师 sheet has one row of `cells` cells (a worksheet bomb)."""
    source = zipfile.ZipFile(io.BytesIO(build_template()))
    sheet = source.read("xl/worksheets/sheet1.xml")
    end = sheet.index(b"</sheetData>")
    row = b'<row r="3">' + b"<c><v>1</v></c>" * cells + b"</row>"
    return template_with({"xl/worksheets/sheet1.xml": sheet[:end] + row + sheet[end:]})


def _multipart(fields: list[tuple[bytes, bytes]]) -> tuple[bytes, str]:
    """A multipart body from raw header/value byte pairs (for encodings httpx will not make)."""
    boundary = uuid.uuid4().hex
    parts = [
        b"--" + boundary.encode() + b"\r\n" + head + b"\r\n\r\n" + value + b"\r\n"
        for head, value in fields
    ]
    body = b"".join(parts) + b"--" + boundary.encode() + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary}"


def _refused(resp, status: int | tuple[int, ...] = 400) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert resp.status_code in statuses, resp.text
    body = resp.json()
    assert body["error"] and any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body
    return body


# ---- archive: photos and attachments ------------------------------------------------------


@pytest.mark.parametrize(
    "data, name",
    [
        (EXE, "公开课.jpg"),
        ("这不是图片".encode("gbk"), "公开课.jpg"),
        (b"\x89PNG\r\n\x1a\n" + b"\xff" * 300, "公开课.png"),
        (zipfile.ZipFile.__name__.encode() * 10, "公开课.webp"),
    ],
    ids=["exe-as-jpg", "gbk-text-as-jpg", "png-header-then-junk", "junk-as-webp"],
)
async def test_a_photo_that_is_not_a_picture_is_refused(client, data, name):
    w = await make_world(client, ARCHIVE)
    body = _refused(await upload_file(client, w.organizer, w.activity.id, data, filename=name))
    assert body["error"] in ("not_an_image", "corrupt_image")


async def test_a_decompression_bomb_png_is_refused_before_decoding(client):
    w = await make_world(client, ARCHIVE)
    bomb = flat_png(20000, 20000)
    assert len(bomb) < 100 * 1024  # 400 megapixels in a few dozen kilobytes
    resp = await upload_file(client, w.organizer, w.activity.id, bomb, filename="大图.png")
    assert _refused(resp, 413)["error"] == "image_too_large"


@pytest.mark.parametrize(
    "data, name",
    [
        (EXE, "教案.pdf"),
        (EXE, "setup.exe"),
        (zipfile.ZipFile.__name__.encode(), "教案.docx"),
        (b"PK\x03\x04" + b"junk" * 100, "名单.xlsx"),
        (b"\xff\xfe\xfd\x00\x81" * 50, "说明.txt"),
    ],
    ids=["exe-as-pdf", "exe", "text-as-docx", "junk-zip-as-xlsx", "binary-as-txt"],
)
async def test_an_attachment_whose_content_is_not_its_type_is_refused(client, data, name):
    w = await make_world(client, ARCHIVE)
    resp = await upload_file(
        client, w.organizer, w.activity.id, data, filename=name, kind="attachment"
    )
    assert _refused(resp)["error"] in ("unsupported_file_type", "file_type_mismatch")


async def test_a_gbk_text_attachment_is_kept_with_its_charset(client):
    w = await make_world(client, ARCHIVE)
    resp = await upload_file(
        client,
        w.organizer,
        w.activity.id,
        "送教活动记录：小班语言".encode("gbk"),
        filename="记录.txt",
        content_type="text/plain",
        kind="attachment",
    )
    assert resp.status_code == 201, resp.text


def _photo_form(filename: bytes, caption: bytes = b"") -> tuple[bytes, str]:
    fields = [(b'Content-Disposition: form-data; name="kind"', b"photo")]
    if caption:
        fields.append((b'Content-Disposition: form-data; name="caption"', caption))
    head = b'Content-Disposition: form-data; name="file"; filename="' + filename + b'"'
    fields.append((head + b"\r\nContent-Type: image/jpeg", jpeg_bytes()))
    return _multipart(fields)


async def _post_form(client, who, activity_id: int, form: tuple[bytes, str]):
    body, content_type = form
    return await client.post(
        f"/api/v1/activities/{activity_id}/files",
        content=body,
        headers={**who.headers, "Content-Type": content_type},
    )


async def test_a_hand_made_utf8_form_is_accepted(client):
    w = await make_world(client, ARCHIVE)
    form = _photo_form("照片.jpg".encode(), caption="小班语言课".encode())
    resp = await _post_form(client, w.organizer, w.activity.id, form)
    assert resp.status_code == 201, resp.text
    assert resp.json()["filename"] == "照片.jpg" and resp.json()["caption"] == "小班语言课"


@pytest.mark.parametrize(
    "filename, caption",
    [
        ("照片.jpg".encode("gbk"), b""),
        (b"\xff\xfe\xc0\xaf.jpg", b""),
        ("照片.jpg".encode("utf-16"), b""),
        (b"a.jpg", "小班语言课".encode("gbk")),
    ],
    ids=["gbk-name", "invalid-utf8-name", "utf16-name", "gbk-caption"],
)
async def test_a_form_in_another_encoding_is_refused_saying_why(client, filename, caption):
    w = await make_world(client, ARCHIVE)
    resp = await _post_form(client, w.organizer, w.activity.id, _photo_form(filename, caption))
    body = _refused(resp)
    assert body["error"] == "form_not_utf8" and "UTF-8" in body["message"]


async def test_a_roster_form_in_another_encoding_is_refused_saying_why(client):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    head = b'Content-Disposition: form-data; name="file"; filename="' + "花名册.xlsx".encode("gbk")
    body, content_type = _multipart([(head + b'"', build_template())])
    resp = await client.post(
        f"/api/v1/kindergartens/{kg.id}/roster/check",
        content=body,
        headers={**who.headers, "Content-Type": content_type},
    )
    assert _refused(resp)["error"] == "form_not_utf8"


# ---- roster ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, name",
    [
        (GBK_CSV.encode("gbk"), "花名册.csv"),
        (GBK_CSV.encode("gbk"), "花名册.xlsx"),
        (EXE, "花名册.xlsx"),
        (jpeg_bytes(), "花名册.xlsx"),
    ],
    ids=["gbk-csv", "gbk-csv-as-xlsx", "exe-as-xlsx", "jpeg-as-xlsx"],
)
async def test_a_roster_that_is_not_an_xlsx_is_refused(client, data, name):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    assert _refused(await upload_roster(client, kg.id, data, who, name=name))["error"] == "not_xlsx"


@pytest.mark.parametrize("action", ["check", "import"])
async def test_a_roster_whose_shared_strings_explode_is_refused_unread(client, action):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    bomb = shared_strings_bomb(MAX_WHOLE_PART_BYTES // 17 + 1000)
    assert len(bomb) < 200 * 1024  # megabytes of strings in a few dozen kilobytes
    resp = await upload_roster(client, kg.id, bomb, who, action)
    assert _refused(resp)["error"] == "workbook_too_large"


async def test_a_roster_whose_worksheet_explodes_is_refused_unread(client):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    resp = await upload_roster(client, kg.id, wide_row_bomb(300_000), who)
    assert _refused(resp)["error"] == "workbook_too_large"


async def test_a_roster_with_an_entity_bomb_in_a_sheet_is_refused(client):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c t="inlineStr"><is><t>&c;</t></is></c></row></sheetData>'
        b"</worksheet>"
    )
    data = template_with({"xl/worksheets/sheet1.xml": laughs})
    assert _refused(await upload_roster(client, kg.id, data, who))["error"] == "not_xlsx"
