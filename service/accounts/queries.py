"""Reads of accounts: the viewer behind a session, users and roles for the administrator."""

from __future__ import annotations

from datetime import timedelta

from service.accounts import rules
from service.accounts.actions import now, right_includes, right_names, rights_of_account
from service.accounts.tables import (
    AccessCode,
    Account,
    AccountRole,
    Permission,
    Role,
    RolePermission,
    Session,
)
from service.accounts.viewer import Viewer
from service.db import contains, fetch
from service.settings import get_settings

_VIEWER_SQL = """
SELECT s.id AS session_id, s.expires_at, a.id AS user_id, a.login, a.person AS person_id, p.last_name,
       p.first_name, p.middle_name, r.code AS role, r.name AS role_name, r.position, pm.code AS permission
FROM user_session s
JOIN account a ON a.id = s.account
LEFT JOIN person p ON p.id = a.person
LEFT JOIN account_role ar ON ar.account = a.id
LEFT JOIN role r ON r.id = ar.role
LEFT JOIN role_permission rp ON rp.role = r.id
LEFT JOIN permission pm ON pm.id = rp.permission
WHERE s.token_hash = {} AND s.ended_at IS NULL AND a.is_active = {}
"""

_RIGHTS_SQL = """
SELECT r.code AS role, r.name AS role_name, r.position, pm.code AS permission
FROM account_role ar
JOIN role r ON r.id = ar.role
LEFT JOIN role_permission rp ON rp.role = r.id
LEFT JOIN permission pm ON pm.id = rp.permission
WHERE ar.account = {}
"""

# Sliding expiry: a session in use is extended, but at most once per this interval (one write).
_EXTEND_EVERY = timedelta(minutes=5)


async def viewer_for_token(token: str, address: str) -> Viewer | None:
    """The signed-in viewer for a session cookie, or None. One query (the session, its account
    and person, one row per role × right), whatever the user; at most every few minutes a
    second one extends the session."""
    rows = await fetch(_VIEWER_SQL, rules.digest(token), True)
    if not rows:
        return None
    session_id, expires_at, user_id, login, person_id, last, first, middle = rows[0][:8]
    moment = now()
    if expires_at <= moment:
        return None
    lifetime = timedelta(hours=get_settings().security.session_hours)
    if moment + lifetime - expires_at > _EXTEND_EVERY:
        await Session.update({Session.expires_at: moment + lifetime}).where(Session.id == session_id).run()
    account = {"session_id": session_id, "user_id": user_id, "login": login, "person_id": person_id,
               "last_name": last, "first_name": first, "middle_name": middle}
    return _viewer(account, [r[8:] for r in rows if r[8] is not None], address)


_API_VIEWER_SQL = _VIEWER_SQL.replace(
    "SELECT s.id AS session_id, s.expires_at,", "SELECT 0 AS session_id, s.expires_at,").replace(
    "FROM user_session s", "FROM api_token s").replace(
    "WHERE s.token_hash = {} AND s.ended_at IS NULL", "WHERE s.token_hash = {} AND s.revoked_at IS NULL")


async def viewer_for_api_token(token: str, address: str) -> Viewer | None:
    """The viewer an API key acts as (its account, with that account's rights), or None for a
    key that is unknown, revoked or expired, or whose account is blocked. One query; at most
    every few minutes a second one notes when the key was last used."""
    hashed = rules.digest(token)
    rows = await fetch(_API_VIEWER_SQL, hashed, True)
    if not rows:
        return None
    _, expires_at, user_id, login, person_id, last, first, middle = rows[0][:8]
    moment = now()
    if expires_at <= moment:
        return None
    await fetch("UPDATE api_token SET last_used_at = {} WHERE token_hash = {} AND "
                "(last_used_at IS NULL OR last_used_at < {}) RETURNING id", moment, hashed, moment - _EXTEND_EVERY)
    account = {"session_id": 0, "user_id": user_id, "login": login, "person_id": person_id,
               "last_name": last, "first_name": first, "middle_name": middle}
    return _viewer(account, [r[8:] for r in rows if r[8] is not None], address)


async def api_tokens(user_id: int) -> list[dict]:
    """An account's API keys, newest first (never the key itself)."""
    return await Account.raw(
        "SELECT id, name, created_at, expires_at, revoked_at, last_used_at FROM api_token WHERE account = {} "
        "ORDER BY created_at DESC, id DESC", user_id).run()


def _viewer(row: dict, rights: list, address: str) -> Viewer:
    """The viewer of an account ``row`` holding ``rights``: (role code, role name, position,
    right code or None) each."""
    roles: dict[str, tuple[int, str]] = {}
    permissions = set()
    for role, role_name, position, permission in rights:
        roles[role] = (position, role_name)
        if permission:
            permissions.add(permission)
    ordered = sorted(roles.items(), key=lambda item: item[1][0])
    name = " ".join(x for x in (row.get("last_name"), row.get("first_name"), row.get("middle_name")) if x)
    return Viewer(
        user_id=row["user_id"], login=row["login"], person_id=row["person_id"],
        full_name=name or row["login"], roles=tuple(c for c, _ in ordered),
        permissions=frozenset(permissions), session_id=row["session_id"], address=address,
        role_names=tuple(n for _, (_, n) in ordered),
    )


async def viewer_for_user(user_id: int, address: str = "local") -> Viewer:
    """A viewer without a session (CLI, tests of queries)."""
    rows = await Account.raw(
        "SELECT 0 AS session_id, a.id AS user_id, a.login, a.person AS person_id, p.last_name, "
        "p.first_name, p.middle_name FROM account a LEFT JOIN person p ON p.id = a.person "
        "WHERE a.id = {}", user_id).run()
    rights = await AccountRole.raw(_RIGHTS_SQL, user_id).run()
    return _viewer(rows[0], [(r["role"], r["role_name"], r["position"], r["permission"]) for r in rights], address)


async def role_matrix() -> tuple[list[dict], list[dict], set[tuple[int, str]]]:
    """Roles, rights (grouped by section) and which role holds which right."""
    roles = await Role.select().order_by(Role.position).run()
    perms = await Permission.select().order_by(Permission.section).order_by(Permission.id).run()
    held = {(r["role"], r["permission.code"]) for r in await RolePermission.select(
        RolePermission.role, RolePermission.permission.code).run()}
    return roles, perms, held


async def users_page(search: str = "", limit: int = 50, offset: int = 0) -> list[dict]:
    query = Account.select(Account.id, Account.login, Account.is_active, Account.last_login_at,
                        Account.person.id, Account.person.last_name, Account.person.first_name,
                        Account.person.middle_name)
    if search:
        text = search.strip()
        query = query.where(contains(Account.login, text) | contains(Account.person.last_name, text))
    users = await query.order_by(Account.login).limit(limit).offset(offset).run()
    ids = [u["id"] for u in users]
    roles: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for r in await AccountRole.select(AccountRole.account, AccountRole.role.name).where(
                AccountRole.account.is_in(ids)).order_by(AccountRole.role.position).run():
            roles[r["account"]].append(r["role.name"])
    for u in users:
        u["roles"] = roles[u["id"]]
    return users


async def user_detail(user_id: int) -> dict | None:
    user = await Account.select(Account.id, Account.login, Account.is_active, Account.created_at,
                             Account.last_login_at, Account.person.id, Account.person.last_name,
                             Account.person.first_name, Account.person.middle_name).where(
        Account.id == user_id).first().run()
    if user is None:
        return None
    held = await AccountRole.select(AccountRole.role.name, AccountRole.role.code).where(
        AccountRole.account == user_id).order_by(AccountRole.role.position).run()
    user["roles"] = [r["role.name"] for r in held]
    user["role_codes"] = {r["role.code"] for r in held}
    user["pending_reset"] = await AccessCode.exists().where(
        (AccessCode.account == user_id) & (AccessCode.purpose == "reset") & AccessCode.used_at.is_null()
        & AccessCode.revoked_at.is_null() & (AccessCode.expires_at > now())).run()
    return user


async def all_roles() -> list[dict]:
    return await Role.select(Role.id, Role.code, Role.name).order_by(Role.position).run()


async def roles_within(viewer: Viewer) -> set[str]:
    """Codes of the roles this viewer may hand out or grant: every right of the role is among
    the viewer's (the actions refuse the rest; pages only hide them)."""
    held: dict[str, set[str]] = {r["code"]: set() for r in await Role.select(Role.code).run()}
    for r in await RolePermission.select(RolePermission.role.code, RolePermission.permission.code).run():
        held[r["role.code"]].add(r["permission.code"])
    includes = right_includes()
    return {code for code, rights in held.items()
            if not rules.rights_beyond(viewer.permissions, rights, includes)}


async def rights_beyond_viewer(viewer: Viewer, user_id: int) -> str:
    """The names of the account's rights the viewer lacks ("" if none): then the viewer may not
    change its roles, block it or give it a reset code."""
    lacking = rules.rights_beyond(viewer.permissions, await rights_of_account(user_id), right_includes())
    return await right_names(lacking) if lacking else ""
