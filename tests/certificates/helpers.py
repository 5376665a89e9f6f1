"""A teacher with a semester of hours, her director, and the tools to read a certificate."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import zxingcpp
from PIL import Image
from pypdf import PdfReader

from server.activities.codes import new_activity_code, new_activity_secret
from server.activities.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    AudienceMode,
    Presenter,
)
from server.checkin import hours
from server.checkin.models import Checkin, CheckinMethod
from server.common.time import CHINA
from server.orgs.models import Alliance, Kindergarten, KindergartenLevel, Pairing, Region
from tests.support.artifacts import artifacts
from tests.support.factories import LoggedIn, login, make_person, unique

ARTIFACTS = artifacts("certificates")
AUTUMN = datetime(2026, 9, 16, 9, 0, tzinfo=CHINA)
SPRING = datetime(2026, 4, 8, 9, 0, tzinfo=CHINA)


@dataclass
class Scene:
    """湘江县: a county kindergarten sends lessons to 郑洁's village kindergarten."""

    region: Region
    alliance: Alliance
    county: Kindergarten  #: the 帮扶园, host of some activities
    village: Kindergarten  #: 郑洁's kindergarten (in the alliance)
    teacher: LoggedIn  #: 郑洁, teacher of the village kindergarten
    director: LoggedIn  #: 陈婷, director of the village kindergarten
    organizer: LoggedIn  #: organizer of the county kindergarten (runs its activities)
    checkins: dict[str, Checkin]  #: 郑洁's check-ins by activity title


async def make_activity(
    host: Kindergarten,
    title: str,
    starts_at: datetime,
    *,
    kind: ActivityKind = ActivityKind.SEND_TO_COUNTRYSIDE,
    attendee_hours: float = 2,
    minutes: int = 180,
) -> Activity:
    """A finished activity (made straight in the database)."""
    return await Activity.create(
        title=title,
        kind=kind,
        host=host,
        address=host.name,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        checkin_opens_at=starts_at - timedelta(minutes=30),
        late_after=starts_at + timedelta(minutes=10),
        checkin_closes_at=starts_at + timedelta(minutes=minutes),
        status=ActivityStatus.FINISHED,
        audience_mode=AudienceMode.KINDERGARTENS,
        attendee_hours=attendee_hours,
        code=new_activity_code(),
        secret=new_activity_secret(),
    )


async def attend(activity: Activity, person_id: int, *, left_after: int | None = None) -> Checkin:
    """A check-in at the start, credited by the ledger (optionally a check-out after N min)."""
    checkin = await Checkin.create(
        activity=activity,
        person_id=person_id,
        method=CheckinMethod.STATIC,
        scanned_at=activity.starts_at,
        checkout_at=activity.starts_at + timedelta(minutes=left_after) if left_after else None,
    )
    await hours.settle_attendee(activity=activity, checkin=checkin)
    return checkin


async def present(activity: Activity, person_id: int, hours_given: float) -> None:
    """A lesson given, credited by the ledger."""
    await Presenter.create(
        activity=activity, person_id=person_id, hours=hours_given, topic="示范课"
    )
    await hours.credit_presenters(activity_id=activity.id)


async def make_scene(client) -> Scene:
    """郑洁's 2026秋: three activities attended (one left early), one lesson given; and one
    activity in 2026春 (same year, other semester)."""
    region = await Region.create(name=unique("湘江县"), bureau_name="湘江县教育局")
    alliance = await Alliance.create(region=region, name=unique("湘江县实验幼儿园发展联盟"))
    county = await Kindergarten.create(
        name=unique("湘江县实验幼儿园"),
        level=KindergartenLevel.COUNTY_MODEL,
        region=region,
        alliance=alliance,
    )
    village = await Kindergarten.create(
        name=unique("青山镇石桥村幼儿园"),
        level=KindergartenLevel.VILLAGE,
        region=region,
        alliance=alliance,
    )
    # The county kindergarten supports the village one (结对, 2026–2028).
    await Pairing.create(
        supporting=county,
        supported=village,
        alliance=alliance,
        cycle_start=date(2026, 3, 1),
        cycle_end=date(2028, 3, 1),
    )
    zheng = await make_person(
        "郑洁",
        phone="13800138000",
        grants=(("teacher", "kindergarten", village.id),),
        teacher_of=village,
    )
    teacher = await login(client, unique("cert-teacher-"), person=zheng)
    chen = await make_person(
        "陈婷", grants=(("director", "kindergarten", village.id),), teacher_of=village
    )
    director = await login(client, unique("cert-director-"), person=chen)
    sun = await make_person(
        "孙雅琴", grants=(("organizer", "kindergarten", county.id),), teacher_of=county
    )
    organizer = await login(client, unique("cert-organizer-"), person=sun)
    checkins = {}
    lesson = await make_activity(county, "绘本教学示范课", AUTUMN)
    checkins[lesson.title] = await attend(lesson, zheng.id)
    lecture = await make_activity(
        county,
        "幼儿园游戏化教学专题讲座",
        AUTUMN + timedelta(days=21),
        kind=ActivityKind.LECTURE,
        attendee_hours=3,
    )
    # Left after 60 of 180 minutes: a third of the time, in proportion: 1 of 3 课时.
    checkins[lecture.title] = await attend(lecture, zheng.id, left_after=60)
    research = await make_activity(
        village,
        "区角游戏联合教研",
        AUTUMN + timedelta(days=42),
        kind=ActivityKind.JOINT_RESEARCH,
        attendee_hours=1.5,
    )
    checkins[research.title] = await attend(research, zheng.id)
    await present(research, zheng.id, 1)
    spring = await make_activity(
        county, "春季跟岗学习", SPRING, kind=ActivityKind.SHADOWING, attendee_hours=4
    )
    checkins[spring.title] = await attend(spring, zheng.id)
    return Scene(region, alliance, county, village, teacher, director, organizer, checkins)


def pdf_text(content: bytes) -> str:
    """Every page's text, whitespace removed (CJK extraction spaces the characters)."""
    return "".join(pdf_pages(content))


def pdf_pages(content: bytes) -> list[str]:
    """Each page's text, whitespace removed (pypdf reads NULs between the CJK glyphs)."""
    reader = PdfReader(io.BytesIO(content))
    return ["".join(p.extract_text().replace("\x00", "").split()) for p in reader.pages]


def render_pages(content: bytes, name: str, dpi: int = 150) -> list[Path]:
    """Every page as a PNG (pdftoppm) under tests/artifacts/<run>/certificates; none blank."""
    assert shutil.which("pdftoppm"), "pdftoppm missing: scripts/setup.sh installs poppler-utils"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    pdf = ARTIFACTS / f"{name}.pdf"
    pdf.write_bytes(content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(ARTIFACTS / name)],
        check=True,
        timeout=120,
    )
    pngs = sorted(ARTIFACTS.glob(f"{name}-*.png"))
    assert len(pngs) == len(PdfReader(io.BytesIO(content)).pages)
    for png in pngs:
        with Image.open(png) as image:
            lo, hi = image.convert("L").getextrema()
        assert lo < 100 and hi > 240, f"{png.name} is blank"
    return pngs


def qr_texts(png: Path) -> list[str]:
    """The texts of the QR codes zxing-cpp finds on a rendered page."""
    with Image.open(png) as image:
        return [r.text for r in zxingcpp.read_barcodes(image)]
