"""Account models: a WeChat identity, its person, roles and sessions."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    """What a person may do; every grant has a scope."""

    TEACHER = "teacher"
    ORGANIZER = "organizer"
    DIRECTOR = "director"
    LEADER = "leader"
    PARENT = "parent"
    ADMIN = "admin"


class ScopeKind(StrEnum):
    """What a role grant covers."""

    GLOBAL = "global"
    REGION = "region"
    ALLIANCE = "alliance"
    KINDERGARTEN = "kindergarten"
    CHILD = "child"


class Account(Model):
    """A WeChat user of the mini-program, keyed by openid."""

    id = fields.IntField(primary_key=True)
    openid = fields.CharField(max_length=64, unique=True)
    unionid = fields.CharField(max_length=64, null=True, db_index=True)
    # Indexed: a fan-out looks up its people's openids by person, 50 at a time.
    person = fields.ForeignKeyField(
        "models.Person",
        related_name="accounts",
        null=True,
        on_delete=fields.SET_NULL,
        db_index=True,
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    last_login_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account"


class RoleGrant(Model):
    """A role a person holds within a scope."""

    id = fields.IntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name="grants")
    role = fields.CharEnumField(Role, max_length=16)
    scope_kind = fields.CharEnumField(ScopeKind, max_length=16)
    #: Id of the region, alliance, kindergarten or child; 0 for global.
    scope_id = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "role_grant"
        unique_together = (("person", "role", "scope_kind", "scope_id"),)


class Session(Model):
    """A login: the refresh token's hash, rotated on every refresh."""

    id = fields.UUIDField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="sessions")
    #: sha256 of the current refresh token; the token itself is never stored.
    refresh_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "session"


class InvitationKind(StrEnum):
    """Who an invitation code is for."""

    TEACHER = "teacher"
    PARENT = "parent"


class Invitation(Model):
    """A code that binds a WeChat account to a person and role."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    kind = fields.CharEnumField(InvitationKind, max_length=16)
    kindergarten = fields.ForeignKeyField("models.Kindergarten", related_name="invitations")
    #: For parent invitations: the child whose guardian redeems it.
    child = fields.ForeignKeyField(
        "models.Child", related_name="invitations", null=True, on_delete=fields.CASCADE
    )
    #: When set, redeeming binds to this existing person (e.g. from the roster).
    person = fields.ForeignKeyField(
        "models.Person", related_name="invitations", null=True, on_delete=fields.CASCADE
    )
    #: Extra role granted on redeem, e.g. organizer for a 保教主任.
    role = fields.CharEnumField(Role, max_length=16, default=Role.TEACHER)
    created_by = fields.ForeignKeyField(
        "models.Person", related_name="invitations_made", null=True, on_delete=fields.SET_NULL
    )
    expires_at = fields.DatetimeField()
    max_uses = fields.IntField(default=1)
    uses = fields.IntField(default=0)
    revoked = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invitation"


class WebCredential(Model):
    """A password for the web console (the first admin, the demo); scan login needs none."""

    id = fields.IntField(primary_key=True)
    account = fields.OneToOneField(
        "models.Account", related_name="web_credential", on_delete=fields.CASCADE
    )
    #: The name typed at the console's password login, unique.
    login = fields.CharField(max_length=64, unique=True)
    #: scrypt$n$r$p$salt$hash (hashlib.scrypt); the password itself is never stored.
    password_hash = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "web_credential"
