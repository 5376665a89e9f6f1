"""Organisation models: who belongs where, and who supports whom."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class KindergartenLevel(StrEnum):
    """Levels named in the seeds, highest first."""

    PROVINCIAL_MODEL = "省级示范园"
    CITY_MODEL = "市级示范园"
    COUNTY_MODEL = "县级示范园"
    TOWNSHIP_CENTRAL = "乡镇中心园"
    VILLAGE = "村级园"
    PRIVATE = "民办园"
    PRIMARY_ATTACHED = "小学附设幼儿班"


class Grade(StrEnum):
    """Class grades of a Chinese kindergarten."""

    NURSERY = "托班"
    SMALL = "小班"
    MIDDLE = "中班"
    LARGE = "大班"
    MIXED = "混龄班"


#: Targets of a pairing per DOMAIN.md; each pairing keeps its own editable copy.
DEFAULT_PAIRING_TARGETS = {
    "send_hours_per_semester": 10,
    "lectures_per_semester": 2,
    "visit_every_month": True,
    "shadow_teachers_per_semester": 1,
    "trainings_per_year": 2,
    "excellent_lesson_rate": 0.30,
    "qualified_lesson_rate": 1.0,
    "papers_per_year": 1,
}


class Region(Model):
    """An education bureau's area (教育局 / 教科局)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    bureau_name = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "region"


class Alliance(Model):
    """A kindergarten alliance (联盟): one lead and its members."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64)
    region = fields.ForeignKeyField("models.Region", related_name="alliances")
    #: Id of the 牵头单位 / 总园 (a member kindergarten). A plain integer, not a foreign
    #: key, because kindergartens already point at their alliance and SQL cannot create
    #: two tables that reference each other in one pass.
    lead_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "alliance"
        unique_together = (("region", "name"),)


class Kindergarten(Model):
    """A kindergarten (园所)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64)
    level = fields.CharEnumField(KindergartenLevel, max_length=16)
    region = fields.ForeignKeyField("models.Region", related_name="kindergartens")
    alliance = fields.ForeignKeyField(
        "models.Alliance", related_name="members", null=True, on_delete=fields.SET_NULL
    )
    address = fields.CharField(max_length=200, default="")
    lat = fields.FloatField(null=True)
    lng = fields.FloatField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "kindergarten"
        unique_together = (("region", "name"),)


class Pairing(Model):
    """A 结对: the supporting kindergarten helps the supported one for a cycle."""

    id = fields.IntField(primary_key=True)
    supporting = fields.ForeignKeyField("models.Kindergarten", related_name="pairings_given")
    supported = fields.ForeignKeyField("models.Kindergarten", related_name="pairings_received")
    alliance = fields.ForeignKeyField(
        "models.Alliance", related_name="pairings", null=True, on_delete=fields.SET_NULL
    )
    cycle_start = fields.DateField()
    cycle_end = fields.DateField()
    #: Date the 帮扶协议 was signed.
    agreement_date = fields.DateField(null=True)
    #: Editable copy of DEFAULT_PAIRING_TARGETS.
    targets = fields.JSONField(default=dict)
    note = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "pairing"
        unique_together = (("supporting", "supported", "cycle_start"),)


class Person(Model):
    """A human being known to the system: staff or guardian. Personal data: never log."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=32)
    #: Mainland mobile number, normalised to 11 digits; sensitive.
    phone = fields.CharField(max_length=11, null=True, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "person"


class Teacher(Model):
    """A person's staff membership at a kindergarten."""

    id = fields.IntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name="staff_roles")
    kindergarten = fields.ForeignKeyField("models.Kindergarten", related_name="teachers")
    #: 职务: 教师, 保教主任, 园长, 保育员 …
    title = fields.CharField(max_length=16, default="教师")
    is_key_teacher = fields.BooleanField(default=False)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "teacher"
        unique_together = (("person", "kindergarten"),)


class LeadingGroup(Model):
    """A 领导小组 of a pairing or an alliance."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64)
    pairing = fields.ForeignKeyField(
        "models.Pairing", related_name="leading_groups", null=True, on_delete=fields.CASCADE
    )
    alliance = fields.ForeignKeyField(
        "models.Alliance", related_name="leading_groups", null=True, on_delete=fields.CASCADE
    )

    class Meta:
        table = "leading_group"


class LeadingGroupMember(Model):
    """A member of a leading group with her position and duty."""

    id = fields.IntField(primary_key=True)
    group = fields.ForeignKeyField("models.LeadingGroup", related_name="members")
    person = fields.ForeignKeyField("models.Person", related_name="group_seats")
    #: 组长, 副组长 or 成员.
    position = fields.CharField(max_length=8, default="成员")
    #: e.g. 环境布置, 教学活动, 卫生保健.
    duty = fields.CharField(max_length=64, default="")

    class Meta:
        table = "leading_group_member"
        unique_together = (("group", "person"),)


class SchoolClass(Model):
    """A class (班级) of a kindergarten."""

    id = fields.IntField(primary_key=True)
    kindergarten = fields.ForeignKeyField("models.Kindergarten", related_name="classes")
    name = fields.CharField(max_length=32)
    grade = fields.CharEnumField(Grade, max_length=8)

    class Meta:
        table = "school_class"
        unique_together = (("kindergarten", "name"),)


class Child(Model):
    """A child: the least we need, a name and a class. Sensitive: never log."""

    id = fields.IntField(primary_key=True)
    school_class = fields.ForeignKeyField("models.SchoolClass", related_name="children")
    name = fields.CharField(max_length=32)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "child"


class Guardian(Model):
    """A parent or other guardian of a child."""

    id = fields.IntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name="guardianships")
    child = fields.ForeignKeyField("models.Child", related_name="guardians")
    #: 父亲, 母亲, 祖父母 …
    relation = fields.CharField(max_length=8, default="家长")

    class Meta:
        table = "guardian"
        unique_together = (("person", "child"),)
