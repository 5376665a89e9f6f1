"""Test data for the archive: its world's setting, activities made in the database, files."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from openpyxl import Workbook
from PIL import ExifTags, Image

from server.activities.codes import new_activity_code, new_activity_secret
from server.activities.models import (
    Activity,
    ActivityAudience,
    ActivityKind,
    ActivityStatus,
    AudienceMode,
)
from server.common.time import CHINA
from server.orgs.models import Kindergarten, Pairing
from tests.support.factories import LoggedIn
from tests.support.world import Setting, Who, World

AUTUMN_2026 = datetime(2026, 10, 15, 9, 0, tzinfo=CHINA)


async def make_activity(
    *,
    host: Kindergarten,
    pairing: Pairing | None = None,
    alliance_id: int | None = None,
    title: str = "送教下乡：绘本教学示范课",
    kind: ActivityKind = ActivityKind.SEND_TO_COUNTRYSIDE,
    starts_at: datetime = AUTUMN_2026,
    status: ActivityStatus = ActivityStatus.FINISHED,
    audience_mode: AudienceMode = AudienceMode.KINDERGARTENS,
    audience: tuple[Kindergarten, ...] = (),
) -> Activity:
    """An activity made straight in the database (not through the activities API)."""
    activity = await Activity.create(
        title=title,
        kind=kind,
        pairing=pairing,
        alliance_id=alliance_id,
        host=host,
        address="测试村幼儿园",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        checkin_opens_at=starts_at - timedelta(minutes=30),
        late_after=starts_at + timedelta(minutes=10),
        checkin_closes_at=starts_at + timedelta(hours=3),
        audience_mode=audience_mode,
        status=status,
        code=new_activity_code(),
        secret=new_activity_secret(),
    )
    for kg in audience:
        await ActivityAudience.create(activity=activity, kindergarten=kg)
    return activity


async def _record_activity(world: World) -> Activity:
    return await make_activity(
        host=world.supported, pairing=world.pairing, audience=(world.supported,)
    )


#: A county kindergarten supporting a village one, a finished activity at the village one, the
#: supporting side's `organizer` and the supported side's `director`.
ARCHIVE = Setting(
    supporting_name="县实验幼儿园",
    supported_name="石桥村幼儿园",
    activity=_record_activity,
    people={
        "organizer": Who("organizer", "supporting"),
        "director": Who("director", "supported"),
    },
)


def jpeg_bytes(size: tuple[int, int] = (60, 40), *, color=(200, 80, 40)) -> bytes:
    """A plain JPEG."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG")
    return out.getvalue()


def jpeg_with_gps(size: tuple[int, int] = (60, 40)) -> bytes:
    """A JPEG whose EXIF holds GPS coordinates and orientation 6 (rotate 90° on display)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "TestPhone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (28.0, 12.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (112.0, 58.0, 1.0)
    out = io.BytesIO()
    Image.new("RGB", size, (30, 160, 90)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def noisy_jpeg(size: tuple[int, int] = (200, 200)) -> bytes:
    """A JPEG full of noise (so a cut copy is missing real image data)."""
    out = io.BytesIO()
    Image.effect_noise(size, 100).convert("RGB").save(out, format="JPEG", quality=95)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    """A small real workbook."""
    wb = Workbook()
    wb.active.append(["教案", "小班语言"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


async def upload(
    client,
    who: LoggedIn,
    activity_id: int,
    data: bytes,
    *,
    filename: str = "公开课照片.jpg",
    content_type: str = "image/jpeg",
    kind: str = "photo",
    **form: str,
):
    """POST a file to an activity's record."""
    return await client.post(
        f"/api/v1/activities/{activity_id}/files",
        files={"file": (filename, data, content_type)},
        data={"kind": kind, **form},
        headers=who.headers,
    )
