"""People's identities, accounts, roles and rights, sessions, invitation and reset codes."""

from piccolo.columns import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

RESTRICT = OnDelete.restrict  # nothing in ezh is deleted; a dangling delete must fail


class Person(Table, tablename="person"):
    """A human being known to the school («физическое лицо»): student, parent or staff.
    Exists before (and without) an account; an invitation code links the two."""

    last_name = Varchar(length=100)
    first_name = Varchar(length=100)
    middle_name = Varchar(length=100, default="")
    sex = Varchar(length=1, default="")  # «м» / «ж»
    birth_date = Date(null=True, default=None)
    created_at = Timestamptz()
    snils = Varchar(length=14, default="", index=True)  # «СНИЛС» as 123-456-789 01, or empty
    phone = Varchar(length=40, default="")
    email = Varchar(length=200, default="")

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)


class Role(Table, tablename="role"):
    """A role («роль»): a named set of permissions the administrator edits."""

    code = Varchar(length=32, unique=True)
    name = Varchar(length=100)
    description = Text(default="")
    position = Integer(default=0)  # order on pages and priority of the home page


class Permission(Table, tablename="permission"):
    """A right («право») that code checks; which roles hold it is data."""

    code = Varchar(length=64, unique=True)
    name = Varchar(length=200)
    section = Varchar(length=100, default="")


class RolePermission(Table, tablename="role_permission"):
    role = ForeignKey(Role, on_delete=RESTRICT, index=True)
    permission = ForeignKey(Permission, on_delete=RESTRICT, index=True)


class Account(Table, tablename="account"):
    """A login («учётная запись»). Named ``account`` in the database: ``user`` is reserved."""

    # One account per person: a unique index made by a raw migration (account_person_unique;
    # two registrations at once with two codes of one parent made two accounts). NULLs repeat:
    # accounts without a person. Raw, because Piccolo cannot add UNIQUE to a SQLite column.
    person = ForeignKey(Person, on_delete=RESTRICT, null=True, index=True)
    login = Varchar(length=64, unique=True)
    password_hash = Varchar(length=255)
    is_active = Boolean(default=True)
    created_at = Timestamptz()
    last_login_at = Timestamptz(null=True, default=None)


class AccountRole(Table, tablename="account_role"):
    account = ForeignKey(Account, on_delete=RESTRICT, index=True)
    role = ForeignKey(Role, on_delete=RESTRICT, index=True)


class Session(Table, tablename="user_session"):
    """A server-side session; the browser holds only a random token, we keep its SHA-256."""

    token_hash = Varchar(length=64, unique=True)
    account = ForeignKey(Account, on_delete=RESTRICT, index=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    address = Varchar(length=64, default="")
    user_agent = Varchar(length=300, default="")
    ended_at = Timestamptz(null=True, default=None)


class LoginAttempt(Table, tablename="login_attempt"):
    """Every guess of a secret, kept for throttling and for the security review: a login
    ("login"), an invitation code ("register"), a reset code ("reset"), the current password
    on the password page ("password"). Written as a failure before the secret is checked and
    marked a success after, so that attempts running at once count each other."""

    at = Timestamptz(index=True)
    kind = Varchar(length=16, default="login")
    login = Varchar(length=64, index=True)  # the login typed or the viewer's; "" for an invitation
    address = Varchar(length=64, index=True)
    success = Boolean(default=False)


class AccessCode(Table, tablename="access_code"):
    """A one-time code: an invitation («пригласительный код», bound to a person and a role) or a
    password reset («код сброса пароля», bound to an account). Only its SHA-256 is stored."""

    code_hash = Varchar(length=64, unique=True)
    purpose = Varchar(length=16)  # "invite" | "reset"
    person = ForeignKey(Person, on_delete=RESTRICT, null=True, index=True)
    role = ForeignKey(Role, on_delete=RESTRICT, null=True)
    account = ForeignKey(Account, on_delete=RESTRICT, null=True, index=True)
    created_at = Timestamptz()
    created_by = Integer(null=True, default=None)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class ApiToken(Table, tablename="api_token"):
    """«Ключ доступа к API»: a read-only key for an integration, acting as ``account`` with that
    account's rights (GET requests to /api/ only). Only its SHA-256 is kept; the key is shown once
    when issued. Revoked or expired keys open nothing; nothing is deleted."""

    account = ForeignKey(Account, on_delete=RESTRICT, index=True)
    name = Varchar(length=100)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    created_by = Integer(null=True, default=None)
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)
