"""Everything that writes accounts, roles and rights. Each ``do_*`` writes its change and its
audit row in one transaction; a refusal raises ``Refused`` and writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from service.accounts import rules
from service.accounts.rights import PERMISSIONS, ROLES
from service.accounts.tables import (
    AccessCode,
    Account,
    AccountRole,
    LoginAttempt,
    Permission,
    Person,
    Role,
    RolePermission,
    Session,
)
from service.accounts.viewer import Viewer
from service.audit.log import Actor, record
from service.db import atomic
from service.errors import NotFound, Refused
from service.settings import get_settings

_hasher = PasswordHasher()  # argon2id, the library's current recommended parameters
_DUMMY_HASH = _hasher.hash("ezh: a password nobody has")


def now() -> datetime:
    return datetime.now(UTC)


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hasher.hash, password)


async def _password_matches(stored: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    return await anyio.to_thread.run_sync(check)


# --- rights ---------------------------------------------------------------------------------


async def do_sync_rights(actor: Actor) -> list[str]:
    """Make sure every built-in role and every right the code knows exists. A right seen for
    the first time is given to its default roles; existing grants are never touched, so the
    administrator's edits survive upgrades."""
    added: list[str] = []
    async with atomic():
        roles = {r["code"]: r["id"] for r in await Role.select(Role.code, Role.id).run()}
        for position, role in enumerate(ROLES):
            if role.code not in roles:
                rows = await Role.insert(Role(code=role.code, name=role.name,
                                              description=role.description,
                                              position=position)).returning(Role.id).run()
                roles[role.code] = rows[0]["id"]
                added.append(f"роль {role.code}")
        known = {p["code"] for p in await Permission.select(Permission.code).run()}
        for perm in PERMISSIONS:
            if perm.code in known:
                continue
            rows = await Permission.insert(Permission(code=perm.code, name=perm.name,
                                                      section=perm.section)).returning(Permission.id).run()
            grants = [RolePermission(role=roles[r], permission=rows[0]["id"]) for r in perm.default_roles]
            if grants:
                await RolePermission.insert(*grants).run()
            added.append(f"право {perm.code}")
        if added:
            await record(actor, "accounts.rights_synced", "rights", "", new=added)
    return added


async def do_set_role_permissions(actor: Actor, role_id: int, codes: set[str], reason: str = "") -> bool:
    """Replace the rights of one role. Returns False if nothing changed (nothing is written)."""
    async with atomic():
        role = await Role.select(Role.id, Role.code).where(Role.id == role_id).first().run()
        if role is None:
            raise NotFound()
        perms = {p["code"]: p["id"] for p in await Permission.select(Permission.code, Permission.id).run()}
        unknown = codes - perms.keys()
        if unknown:
            raise Refused(f"Неизвестное право: {sorted(unknown)[0]}")
        if role["code"] == "admin" and "admin.roles" not in codes:
            raise Refused("У администратора нельзя отнять право изменять права ролей: "
                          "иначе никто не сможет их вернуть", field="admin.roles")
        current = {
            r["permission.code"]
            for r in await RolePermission.select(RolePermission.permission.code)
            .where(RolePermission.role == role_id).run()
        }
        if current == codes:
            return False
        await RolePermission.delete().where(RolePermission.role == role_id).run()
        if codes:
            await RolePermission.insert(
                *[RolePermission(role=role_id, permission=perms[c]) for c in sorted(codes)]
            ).run()
        await record(actor, "accounts.role_rights_changed", "role", role["code"],
                     old=sorted(current), new=sorted(codes), reason=reason)
    return True


# --- people and accounts --------------------------------------------------------------------


async def do_create_person(actor: Actor, last_name: str, first_name: str, middle_name: str = "",
                           sex: str = "", birth_date=None) -> int:
    if not last_name.strip() or not first_name.strip():
        raise Refused("Фамилия и имя обязательны", field="last_name" if not last_name.strip() else "first_name")
    async with atomic():
        row = {"last_name": last_name.strip(), "first_name": first_name.strip(),
               "middle_name": middle_name.strip(), "sex": sex, "birth_date": birth_date}
        rows = await Person.insert(Person(**row, created_at=now())).returning(Person.id).run()
        await record(actor, "accounts.person_created", "person", rows[0]["id"], new=row)
    return rows[0]["id"]


async def do_create_user(actor: Actor, login: str, password: str, role_codes: list[str],
                         person_id: int | None = None) -> int:
    login, password_hash = await _new_credentials(login, password)
    async with atomic():
        return await _insert_user(actor, login, password_hash, role_codes, person_id,
                                  "accounts.user_created")


async def _new_credentials(login: str, password: str) -> tuple[str, str]:
    """A new login and password checked by the rules; returns the login and the password hash."""
    login = login.strip().lower()
    if problem := rules.login_problem(login):
        raise Refused(problem, field="login")
    if problem := rules.password_problem(password, login):
        raise Refused(problem, field="password")
    return login, await hash_password(password)


async def _insert_user(actor: Actor, login: str, password_hash: str, role_codes: list[str],
                       person_id: int | None, action: str, reason: str = "") -> int:
    if await Account.exists().where(Account.login == login).run():
        raise Refused(f"Логин «{login}» уже занят, выберите другой", field="login")
    roles = {r["code"]: r["id"] for r in await Role.select(Role.code, Role.id)
             .where(Role.code.is_in(role_codes)).run()} if role_codes else {}
    if missing := [c for c in role_codes if c not in roles]:
        raise Refused(f"Неизвестная роль: {missing[0]}", field="roles")
    rows = await Account.insert(Account(login=login, password_hash=password_hash, person=person_id,
                                  created_at=now())).returning(Account.id).run()
    user_id = rows[0]["id"]
    if roles:
        await AccountRole.insert(*[AccountRole(account=user_id, role=roles[c]) for c in role_codes]).run()
    await record(actor, action, "account", user_id,
                 new={"login": login, "person_id": person_id, "roles": role_codes}, reason=reason)
    return user_id


async def do_set_user_roles(actor: Actor, user_id: int, role_codes: set[str], reason: str = "") -> bool:
    """Replace the roles of an account (e.g. a teacher who is also a parent). Returns False
    when nothing changed. Nobody can take the administrator role away from themself."""
    async with atomic():
        if not await Account.exists().where(Account.id == user_id).run():
            raise NotFound()
        roles = {r["code"]: r["id"] for r in await Role.select(Role.code, Role.id).run()}
        if unknown := role_codes - roles.keys():
            raise Refused(f"Неизвестная роль: {sorted(unknown)[0]}", field="roles")
        current = {r["role.code"] for r in await AccountRole.select(AccountRole.role.code)
                   .where(AccountRole.account == user_id).run()}
        if current == role_codes:
            return False
        if user_id == actor.user_id and "admin" in current and "admin" not in role_codes:
            raise Refused("Нельзя снять роль администратора с самого себя: попросите другого "
                          "администратора", field="roles")
        await AccountRole.delete().where(AccountRole.account == user_id).run()
        if role_codes:
            await AccountRole.insert(*[AccountRole(account=user_id, role=roles[c])
                                       for c in sorted(role_codes)]).run()
        await record(actor, "accounts.user_roles_changed", "account", user_id,
                     old=sorted(current), new=sorted(role_codes), reason=reason)
    return True


async def do_set_user_active(actor: Actor, user_id: int, active: bool, reason: str = "") -> None:
    async with atomic():
        user = await Account.select(Account.id, Account.is_active, Account.login).where(Account.id == user_id).first().run()
        if user is None:
            raise NotFound()
        if user["id"] == actor.user_id and not active:
            raise Refused("Нельзя заблокировать самого себя")
        if user["is_active"] == active:
            return
        await Account.update({Account.is_active: active}).where(Account.id == user_id).run()
        if not active:
            await Session.update({Session.ended_at: now()}).where(
                (Session.account == user_id) & Session.ended_at.is_null()).run()
        await record(actor, "accounts.user_unblocked" if active else "accounts.user_blocked",
                     "account", user_id, old={"is_active": user["is_active"]},
                     new={"is_active": active}, reason=reason)


# --- logging in and out --------------------------------------------------------------------


async def do_login(login: str, password: str, address: str, user_agent: str = "") -> str:
    """Check the password and open a session; returns the session token for the cookie.

    Refuses, with the same message whatever was wrong, and throttles repeated failures per
    account and per address."""
    settings = get_settings().security
    login = login.strip().lower()
    if not login or not password:
        raise Refused("Введите логин и пароль", field="login" if not login else "password")
    throttle = rules.Throttle(settings.login_max_failures, settings.address_max_failures,
                              timedelta(minutes=settings.login_lock_minutes))
    moment = now()
    since = moment - throttle.window
    failures = await LoginAttempt.select(LoginAttempt.at, LoginAttempt.login, LoginAttempt.address).where(
        (LoginAttempt.at > since) & (LoginAttempt.success.eq(False))
        & ((LoginAttempt.login == login) | (LoginAttempt.address == address))
    ).run()
    wait = throttle.wait(moment, [f["at"] for f in failures if f["login"] == login],
                         [f["at"] for f in failures if f["address"] == address])
    if wait is not None:
        raise Refused("Слишком много неудачных попыток входа. Повторите через "
                      f"{rules.minutes_text(wait)} или обратитесь к администратору школы.")
    user = await Account.select(Account.id, Account.password_hash, Account.is_active).where(Account.login == login).first().run()
    ok = await _password_matches(user["password_hash"] if user else _DUMMY_HASH, password)
    if not ok or not user or not user["is_active"]:
        await LoginAttempt.insert(LoginAttempt(at=moment, login=login, address=address, success=False)).run()
        if ok and user and not user["is_active"]:
            raise Refused("Учётная запись заблокирована. Обратитесь к администратору школы.")
        raise Refused("Неверный логин или пароль")
    token = rules.new_session_token()
    async with atomic():
        await LoginAttempt.insert(LoginAttempt(at=moment, login=login, address=address, success=True)).run()
        await Account.update({Account.last_login_at: moment}).where(Account.id == user["id"]).run()
        rows = await Session.insert(Session(
            token_hash=rules.digest(token), account=user["id"], created_at=moment,
            expires_at=moment + timedelta(hours=settings.session_hours),
            address=address, user_agent=user_agent[:300],
        )).returning(Session.id).run()
        await record(Actor(user["id"], login, address), "accounts.login", "session", rows[0]["id"])
    return token


async def do_logout(viewer: Viewer) -> None:
    async with atomic():
        await Session.update({Session.ended_at: now()}).where(Session.id == viewer.session_id).run()
        await record(viewer.actor, "accounts.logout", "session", viewer.session_id)


async def do_change_password(viewer: Viewer, old_password: str, new_password: str) -> None:
    user = await Account.select(Account.password_hash).where(Account.id == viewer.user_id).first().run()
    if not await _password_matches(user["password_hash"], old_password):
        raise Refused("Текущий пароль введён неверно", field="old_password")
    if problem := rules.password_problem(new_password, viewer.login):
        raise Refused(problem, field="new_password")
    password_hash = await hash_password(new_password)
    async with atomic():
        await Account.update({Account.password_hash: password_hash}).where(Account.id == viewer.user_id).run()
        await Session.update({Session.ended_at: now()}).where(
            (Session.account == viewer.user_id) & (Session.id != viewer.session_id) & Session.ended_at.is_null()).run()
        await record(viewer.actor, "accounts.password_changed", "account", viewer.user_id)


# --- one-time codes: invitations and resets ------------------------------------------------


async def do_issue_invitations(actor: Actor, grants: list[tuple[int, str]],
                               scope_note: str = "") -> dict[tuple[int, str], str]:
    """Issue a fresh invitation code for each (person id, role code). Returns the plaintext
    codes: they are shown once, on the printed sheet, and only their hashes are kept. Older
    codes stay valid (a parent may be on the sheets of two classes) until the person registers
    with any of them; then the rest stop working."""
    if not grants:
        raise Refused("Некому выпускать коды: у всех уже есть учётные записи")
    settings = get_settings().security
    moment = now()
    codes = {grant: rules.new_code() for grant in grants}
    async with atomic():
        roles = {r["code"]: r["id"] for r in await Role.select(Role.code, Role.id).run()}
        person_ids = sorted({p for p, _ in grants})
        found = {p["id"] for p in await Person.select(Person.id).where(Person.id.is_in(person_ids)).run()}
        if missing := [p for p in person_ids if p not in found]:
            raise NotFound(f"person {missing[0]}")
        await AccessCode.insert(*[
            AccessCode(code_hash=rules.digest(code), purpose="invite", person=person_id,
                       role=roles[role_code], created_at=moment, created_by=actor.user_id,
                       expires_at=moment + timedelta(days=settings.invitation_days))
            for (person_id, role_code), code in codes.items()
        ]).run()
        await record(actor, "accounts.invitations_issued", "invitation", scope_note,
                     new=[[p, r] for p, r in grants])
    return codes


async def _usable_code(code_text: str, purpose: str) -> dict:
    code = rules.normalise_code(code_text)
    if code is None:
        raise Refused("Код должен состоять из 12 букв и цифр, например 7K3M-Q9PX-2DTR", field="code")
    row = await AccessCode.select().where(
        (AccessCode.code_hash == rules.digest(code)) & (AccessCode.purpose == purpose)).first().run()
    if row is None:
        raise Refused("Такого кода нет. Проверьте, что он введён без ошибок", field="code")
    if row["used_at"] is not None:
        raise Refused("Этот код уже использован. Если это были не вы, сообщите в школу", field="code")
    if row["revoked_at"] is not None:
        if purpose == "reset":
            raise Refused("Этот код заменён более новым: введите последний выданный код", field="code")
        if row["person"] is not None and await Account.exists().where(Account.person == row["person"]).run():
            raise Refused("Этот человек уже зарегистрирован в журнале: войдите со своим логином. "
                          "Если пароль забыт, администратор школы выдаст код сброса", field="code")
        raise Refused("Этот код больше не действует. Попросите в школе новый код", field="code")
    if row["expires_at"] <= now():
        raise Refused("Срок действия кода истёк. Попросите в школе новый код", field="code")
    return row


async def check_invitation(code_text: str) -> dict:
    """The person and role an invitation code is for (without using it)."""
    row = await _usable_code(code_text, "invite")
    person = await Person.select().where(Person.id == row["person"]).first().run()
    role = await Role.select(Role.code, Role.name).where(Role.id == row["role"]).first().run()
    return {"person": person, "role": role}


async def do_register(code_text: str, login: str, password: str, address: str) -> int:
    """Create an account from an invitation code, linked to the code's person, with its role.
    A person has at most one account: a second registration is refused."""
    login, password_hash = await _new_credentials(login, password)
    async with atomic():
        row = await _usable_code(code_text, "invite")  # re-read inside the transaction
        if await Account.exists().where(Account.person == row["person"]).run():
            raise Refused("У этого человека уже есть учётная запись: войдите в неё. "
                          "Если пароль забыт, администратор школы выдаст код сброса", field="code")
        role = await Role.select(Role.code).where(Role.id == row["role"]).first().run()
        actor = Actor(None, login, address)
        # «классный руководитель» is a teacher with a class (R-ROLE-1): both roles at once.
        codes = [role["code"], "teacher"] if role["code"] == "class_teacher" else [role["code"]]
        user_id = await _insert_user(actor, login, password_hash, codes, row["person"],
                                     "accounts.registered", reason="код приглашения")
        moment = now()
        await AccessCode.update({AccessCode.used_at: moment, AccessCode.account: user_id}).where(
            AccessCode.id == row["id"]).run()
        await AccessCode.update({AccessCode.revoked_at: moment}).where(
            (AccessCode.person == row["person"]) & (AccessCode.purpose == "invite")
            & AccessCode.used_at.is_null() & AccessCode.revoked_at.is_null()).run()
    return user_id


async def do_issue_reset_code(actor: Actor, user_id: int) -> str:
    settings = get_settings().security
    code = rules.new_code()
    moment = now()
    async with atomic():
        user = await Account.select(Account.id, Account.person, Account.login).where(Account.id == user_id).first().run()
        if user is None:
            raise NotFound()
        await AccessCode.update({AccessCode.revoked_at: moment}).where(
            (AccessCode.account == user_id) & (AccessCode.purpose == "reset")
            & AccessCode.used_at.is_null() & AccessCode.revoked_at.is_null()).run()
        await AccessCode.insert(AccessCode(
            code_hash=rules.digest(code), purpose="reset", account=user_id, person=user["person"],
            created_at=moment, created_by=actor.user_id,
            expires_at=moment + timedelta(hours=settings.reset_code_hours))).run()
        await record(actor, "accounts.reset_code_issued", "account", user_id)
    return code


async def do_reset_password(login: str, code_text: str, new_password: str, address: str) -> None:
    login = login.strip().lower()
    if problem := rules.password_problem(new_password, login):
        raise Refused(problem, field="password")
    password_hash = await hash_password(new_password)
    async with atomic():
        row = await _usable_code(code_text, "reset")
        user = await Account.select(Account.id, Account.login).where(Account.id == row["account"]).first().run()
        if user["login"] != login:
            raise Refused("Код выдан для другой учётной записи", field="code")
        moment = now()
        await Account.update({Account.password_hash: password_hash}).where(
            Account.id == user["id"]).run()
        await AccessCode.update({AccessCode.used_at: moment}).where(AccessCode.id == row["id"]).run()
        await Session.update({Session.ended_at: moment}).where(
            (Session.account == user["id"]) & Session.ended_at.is_null()).run()
        await record(Actor(user["id"], login, address), "accounts.password_reset", "account", user["id"],
                     reason="код сброса пароля")
