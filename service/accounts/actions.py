"""Everything that writes accounts, roles and rights. Each ``do_*`` writes its change and its
audit row in one transaction; a refusal raises ``Refused`` and writes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from service import forms
from service.accounts import rules
from service.accounts.rights import ROLES
from service.accounts.tables import (
    AccessCode,
    Account,
    AccountRole,
    ApiToken,
    LoginAttempt,
    Permission,
    Person,
    Role,
    RolePermission,
    Session,
)
from service.accounts.viewer import Viewer
from service.audit.log import Actor, record
from service.db import atomic, xact_lock
from service.domains import rights as declared_rights
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


def _reason(reason: str) -> str:
    """A reason goes into the audit log: one line of at most ``forms.REASON_MAX`` characters."""
    return forms.value(forms.Text("Причина", forms.REASON_MAX), reason, "reason")


def _typed_login(login: str) -> str:
    """A login as typed into a form: at most the column's length, no control characters (a NUL
    byte or 80 characters must not reach PostgreSQL)."""
    return forms.value(forms.Text("Логин", forms.LOGIN_MAX), login, "login").lower()


def _password_within_limit(password: str, field: str = "password", label: str = "Пароль") -> None:
    """Refuse a password longer than ``forms.PASSWORD_MAX`` before argon2 sees it: hashing a
    megabyte costs the server, not the sender."""
    if len(password) > forms.PASSWORD_MAX:
        raise Refused(f"{label}: не длиннее {forms.PASSWORD_MAX} символов", field=field)


# --- who may give what ---------------------------------------------------------------------
#
# Nobody climbs above their own rights (R-SEC-1): a person hands out (invitation codes), grants
# (an account's roles) or resets (reset codes) only roles whose rights they hold themselves, and
# acts only on accounts whose rights they hold. Rights are read from the database, as the
# administrator set them; a right contains the narrower ones its domain declares it ``includes``.
# The system itself (the server's command line, ``Actor.system``) is trusted.

_ACCOUNT_RIGHTS_SQL = """
SELECT DISTINCT pm.code FROM account_role ar
JOIN role_permission rp ON rp.role = ar.role
JOIN permission pm ON pm.id = rp.permission
WHERE ar.account = {}
"""

# Active accounts that may edit role rights ("administrators"): once there is one, one stays.
_EDITORS_SQL = """
SELECT COUNT(DISTINCT a.id) AS n FROM account a
JOIN account_role ar ON ar.account = a.id
JOIN role_permission rp ON rp.role = ar.role
JOIN permission pm ON pm.id = rp.permission
WHERE a.is_active = {} AND pm.code = {}
"""

_LAST_EDITOR = ("Это последняя действующая учётная запись с правом изменять права ролей: без неё "
                "никто не сможет управлять правами. Сначала дайте это право другой учётной записи")


def right_includes() -> dict[str, tuple[str, ...]]:
    return {r.code: r.includes for r in declared_rights()}


async def rights_of_account(user_id: int) -> set[str]:
    return {r["code"] for r in await AccountRole.raw(_ACCOUNT_RIGHTS_SQL, user_id).run()}


async def _editor_count() -> int:
    return (await Account.raw(_EDITORS_SQL, True, rules.EDIT_ROLES).run())[0]["n"]


async def right_names(codes: Iterable[str]) -> str:
    codes = sorted(codes)
    names = {r["code"]: r["name"] for r in await Permission.select(Permission.code, Permission.name)
             .where(Permission.code.is_in(codes)).run()}
    return "; ".join(names.get(c, c) for c in codes)


def _roles_given_by(role_code: str) -> list[str]:
    # «классный руководитель» is a teacher with a class (R-ROLE-1): both roles at once.
    return [role_code, "teacher"] if role_code == "class_teacher" else [role_code]


async def _check_roles_within(actor: Actor, role_codes: Iterable[str], field: str = "roles") -> None:
    """Refuse if any of ``role_codes`` holds a right the actor lacks."""
    role_codes = set(role_codes)
    if actor.user_id is None or not role_codes:
        return
    own = await rights_of_account(actor.user_id)
    held: dict[str, set[str]] = {c: set() for c in role_codes}
    for r in await RolePermission.select(RolePermission.role.code, RolePermission.permission.code).where(
            RolePermission.role.code.is_in(sorted(role_codes))).run():
        held[r["role.code"]].add(r["permission.code"])
    roles = {r["code"]: r for r in await Role.select(Role.code, Role.name, Role.position).run()}
    includes = right_includes()
    for code in sorted(role_codes, key=lambda c: (roles[c]["position"], c) if c in roles else (0, c)):
        if lacking := rules.rights_beyond(own, held[code], includes):
            name = roles[code]["name"] if code in roles else code
            raise Refused(f"Роль «{name}» даёт права, которых нет у вас: {await right_names(lacking)}. "
                          "Выдать её может только тот, у кого все эти права есть", field=field)


async def _check_account_within(actor: Actor, user_id: int, doing: str, field: str | None = None) -> None:
    """Refuse if the account holds a right the actor lacks: ``doing`` says what is refused."""
    if actor.user_id is None:
        return
    lacking = rules.rights_beyond(await rights_of_account(actor.user_id),
                                  await rights_of_account(user_id), right_includes())
    if lacking:
        raise Refused(f"У этой учётной записи есть права, которых нет у вас: {await right_names(lacking)}. "
                      f"{doing} может только тот, у кого эти права есть", field=field)


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
        for perm in declared_rights():  # collected from every domain's declaration
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
    """Replace the rights of one role. Returns False if nothing changed (nothing is written).
    An unknown right is refused (nothing changes), and so is a change after which no role, or
    no active account, would hold the right to edit role rights: nobody could give it back."""
    reason = _reason(reason)
    async with atomic():
        await xact_lock("rights")
        role = await Role.select(Role.id, Role.code).where(Role.id == role_id).first().run()
        if role is None:
            raise NotFound()
        perms = {p["code"]: p["id"] for p in await Permission.select(Permission.code, Permission.id).run()}
        unknown = codes - perms.keys()
        if unknown:
            raise Refused(f"Неизвестное право: {sorted(unknown)[0]}", field="perm")
        current = {
            r["permission.code"]
            for r in await RolePermission.select(RolePermission.permission.code)
            .where(RolePermission.role == role_id).run()
        }
        if current == codes:
            return False
        editors_before = await _editor_count()
        await RolePermission.delete().where(RolePermission.role == role_id).run()
        if codes:
            await RolePermission.insert(
                *[RolePermission(role=role_id, permission=perms[c]) for c in sorted(codes)]
            ).run()
        if rules.EDIT_ROLES in current - codes and (
                not await RolePermission.exists().where(RolePermission.permission.code == rules.EDIT_ROLES).run()
                or (editors_before and not await _editor_count())):
            raise Refused("У роли нельзя отнять право изменять права ролей: тогда его не останется ни у "
                          "одной роли или ни у одной действующей учётной записи, и никто не сможет "
                          "вернуть права", field=rules.EDIT_ROLES)
        await record(actor, "accounts.role_rights_changed", "role", role["code"],
                     old=sorted(current), new=sorted(codes), reason=reason)
    return True


# --- people and accounts --------------------------------------------------------------------


async def do_create_person(actor: Actor, last_name: str, first_name: str, middle_name: str = "",
                           sex: str = "", birth_date=None) -> int:
    forms.parse({"last_name": forms.Text("Фамилия", forms.NAME_MAX),
                 "first_name": forms.Text("Имя", forms.NAME_MAX),
                 "middle_name": forms.Text("Отчество", forms.NAME_MAX)},
                {"last_name": last_name, "first_name": first_name, "middle_name": middle_name})
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
    try:
        async with atomic():
            await _check_roles_within(actor, role_codes)
            return await _insert_user(actor, login, password_hash, role_codes, person_id,
                                      "accounts.user_created")
    except Exception as exc:
        if (refusal := _duplicate(exc, login)) is None:
            raise
        raise refusal from None


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
    when nothing changed. Nobody changes their own roles, touches an account holding rights
    they lack or grants a role holding such rights; the last administrator keeps the role."""
    reason = _reason(reason)
    async with atomic():
        await xact_lock("rights")
        if not await Account.exists().where(Account.id == user_id).run():
            raise NotFound()
        if user_id == actor.user_id:
            raise Refused("Свои роли менять нельзя — ни добавить, ни снять роль с самого себя: "
                          "попросите другого администратора", field="roles")
        roles = {r["code"]: r["id"] for r in await Role.select(Role.code, Role.id).run()}
        if unknown := role_codes - roles.keys():
            raise Refused(f"Неизвестная роль: {sorted(unknown)[0]}", field="roles")
        current = {r["role.code"] for r in await AccountRole.select(AccountRole.role.code)
                   .where(AccountRole.account == user_id).run()}
        if current == role_codes:
            return False
        await _check_account_within(actor, user_id, "Менять её роли", field="roles")
        await _check_roles_within(actor, role_codes - current, field="roles")
        editors_before = await _editor_count()
        await AccountRole.delete().where(AccountRole.account == user_id).run()
        if role_codes:
            await AccountRole.insert(*[AccountRole(account=user_id, role=roles[c])
                                       for c in sorted(role_codes)]).run()
        if editors_before and not await _editor_count():
            raise Refused(_LAST_EDITOR, field="roles")
        await record(actor, "accounts.user_roles_changed", "account", user_id,
                     old=sorted(current), new=sorted(role_codes), reason=reason)
    return True


async def do_set_user_active(actor: Actor, user_id: int, active: bool, reason: str = "") -> None:
    """Block or unblock an account. Nobody blocks or unblocks themself or an account holding
    rights they lack, and the last administrator is not blocked."""
    reason = _reason(reason)
    async with atomic():
        await xact_lock("rights")
        user = await Account.select(Account.id, Account.is_active, Account.login).where(Account.id == user_id).first().run()
        if user is None:
            raise NotFound()
        if user["id"] == actor.user_id:
            raise Refused("Нельзя заблокировать или разблокировать самого себя: попросите другого "
                          "администратора")
        if user["is_active"] == active:
            return
        await _check_account_within(actor, user_id, "Блокировать и разблокировать её")
        editors_before = await _editor_count()
        await Account.update({Account.is_active: active}).where(Account.id == user_id).run()
        if editors_before and not await _editor_count():
            raise Refused(_LAST_EDITOR)
        if not active:
            await Session.update({Session.ended_at: now()}).where(
                (Session.account == user_id) & Session.ended_at.is_null()).run()
        await record(actor, "accounts.user_unblocked" if active else "accounts.user_blocked",
                     "account", user_id, old={"is_active": user["is_active"]},
                     new={"is_active": active}, reason=reason)


# --- guesses: logins, codes, current passwords -----------------------------------------------


async def _begin_attempt(kind: str, login: str, address: str, what: str,
                         field: str | None = None) -> int:
    """Count the recent failed guesses of this ``kind`` for ``login`` and from ``address``, and
    record this one as a failure, in one step that attempts arriving together take one after
    another (an advisory lock per login and per address; SQLite's write lock). The secret is
    checked only after that, outside the lock, and the attempt marked a success if it was
    right (:func:`_attempt_succeeded`): 30 guesses at once get no more checks than the limit.
    ``login`` "" (an invitation code: there is no account yet) counts per address only."""
    settings = get_settings().security
    throttle = rules.Throttle(settings.login_max_failures, settings.address_max_failures,
                              timedelta(minutes=settings.login_lock_minutes))
    async with atomic():
        # the failures of one login and of one address are counted one attempt at a time
        await xact_lock(*([f"guess:{kind}:login:{login}"] if login else []), f"guess:{kind}:address:{address}")
        moment = now()
        who = (LoginAttempt.address == address) | (LoginAttempt.login == login) if login else (
            LoginAttempt.address == address)
        failures = await LoginAttempt.select(LoginAttempt.at, LoginAttempt.login, LoginAttempt.address).where(
            (LoginAttempt.kind == kind) & (LoginAttempt.at > moment - throttle.window)
            & LoginAttempt.success.eq(False) & who).run()
        wait = throttle.wait(moment, [f["at"] for f in failures if login and f["login"] == login],
                             [f["at"] for f in failures if f["address"] == address])
        if wait is not None:
            raise Refused(f"Слишком много неудачных попыток {what}. Повторите через "
                          f"{rules.minutes_text(wait)} или обратитесь к администратору школы.", field=field)
        rows = await LoginAttempt.insert(LoginAttempt(at=moment, kind=kind, login=login, address=address,
                                                      success=False)).returning(LoginAttempt.id).run()
    return rows[0]["id"]


async def _attempt_succeeded(attempt_id: int) -> None:
    await LoginAttempt.update({LoginAttempt.success: True}).where(LoginAttempt.id == attempt_id).run()


# --- logging in and out --------------------------------------------------------------------


async def do_login(login: str, password: str, address: str, user_agent: str = "") -> str:
    """Check the password and open a session; returns the session token for the cookie.

    Refuses, with the same message whatever was wrong, and throttles repeated failures per
    account and per address. An unknown login still costs one verification (no user
    enumeration by timing)."""
    settings = get_settings().security
    login = _typed_login(login)
    if not login or not password:
        raise Refused("Введите логин и пароль", field="login" if not login else "password")
    _password_within_limit(password)
    attempt = await _begin_attempt("login", login, address, "входа")
    user = await Account.select(Account.id, Account.password_hash, Account.is_active).where(Account.login == login).first().run()
    ok = await _password_matches(user["password_hash"] if user else _DUMMY_HASH, password)
    if not ok or not user or not user["is_active"]:
        if ok and user and not user["is_active"]:
            raise Refused("Учётная запись заблокирована. Обратитесь к администратору школы.")
        raise Refused("Неверный логин или пароль")
    token = rules.new_session_token()
    async with atomic():
        moment = now()
        await LoginAttempt.update({LoginAttempt.success: True}).where(LoginAttempt.id == attempt).run()
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
    """A new password for the signed-in viewer. Wrong current passwords are guesses: throttled
    and recorded like logins, so a session left open does not let anyone find the password."""
    _password_within_limit(old_password, "old_password", "Текущий пароль")
    _password_within_limit(new_password, "new_password", "Новый пароль")
    attempt = await _begin_attempt("password", viewer.login, viewer.address, "ввести текущий пароль",
                                   field="old_password")
    user = await Account.select(Account.password_hash).where(Account.id == viewer.user_id).first().run()
    if not await _password_matches(user["password_hash"], old_password):
        raise Refused("Текущий пароль введён неверно", field="old_password")
    await _attempt_succeeded(attempt)
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
    with any of them; then the rest stop working. Only roles within the actor's own rights are
    handed out (a secretary prints no slip for «завуч»)."""
    if not grants:
        raise Refused("Некому выпускать коды: у всех уже есть учётные записи")
    settings = get_settings().security
    moment = now()
    codes = {grant: rules.new_code() for grant in grants}
    async with atomic():
        roles = {r["code"]: r["id"] for r in await Role.select(Role.code, Role.id).run()}
        if unknown := sorted({r for _, r in grants} - roles.keys()):
            raise Refused(f"Неизвестная роль: {unknown[0]}", field="role")
        await _check_roles_within(actor, {c for _, r in grants for c in _roles_given_by(r)}, field="role")
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


def _typed_code(code_text: str) -> str:
    """The canonical code from what a person typed; a malformed one is refused at once (a typo,
    not a guess: no database, no count)."""
    code = rules.normalise_code(code_text) if len(code_text) <= forms.CODE_MAX else None
    if code is None:
        raise Refused("Код должен состоять из 12 букв и цифр, например 7K3M-Q9PX-2DTR", field="code")
    return code


async def _usable_code(code: str, purpose: str) -> dict:
    """The stored code, or a refusal saying in the person's words why it does not work."""
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


async def _guess_code(code_text: str, purpose: str, login: str, address: str) -> dict:
    """Check a typed code as a guess: throttled and recorded like a login ("register" per
    address, "reset" per login and per address), before anything costly is done with it."""
    code = _typed_code(code_text)
    kind, what = ("register", "ввести код приглашения") if purpose == "invite" else ("reset", "ввести код сброса")
    attempt = await _begin_attempt(kind, login, address, what, field="code")
    row = await _usable_code(code, purpose)
    if purpose == "reset":
        user = await Account.select(Account.login).where(Account.id == row["account"]).first().run()
        if user["login"] != login:
            raise Refused("Код выдан для другой учётной записи", field="code")
    await _attempt_succeeded(attempt)
    return row


async def _claim_code(code: str, purpose: str, moment: datetime) -> dict:
    """Use the code: one conditional UPDATE, the first step of the using transaction. Of two
    requests with one code, the second waits for the first's row lock, then finds the code
    used and is refused: a code makes one account, one password."""
    rows = await AccessCode.update({AccessCode.used_at: moment}).where(
        (AccessCode.code_hash == rules.digest(code)) & (AccessCode.purpose == purpose)
        & AccessCode.used_at.is_null() & AccessCode.revoked_at.is_null() & (AccessCode.expires_at > moment)
    ).returning(AccessCode.id, AccessCode.person, AccessCode.role, AccessCode.account).run()
    if not rows:
        await _usable_code(code, purpose)  # says why
        raise Refused("Этот код уже использован. Если это были не вы, сообщите в школу", field="code")
    return rows[0]


def _duplicate(exc: BaseException, login: str) -> Refused | None:
    """The refusal for a unique index that stopped a concurrent twin (one account per person,
    one login), or None when ``exc`` is something else."""
    if type(exc).__name__ not in ("UniqueViolationError", "IntegrityError"):
        return None
    text = f"{exc} {getattr(exc, 'constraint_name', '') or ''}"
    if "account_person" in text or "account.person" in text:
        return Refused("У этого человека уже есть учётная запись: войдите в неё. Если пароль забыт, "
                       "администратор школы выдаст код сброса", field="code")
    if "account_login" in text or "account.login" in text:
        return Refused(f"Логин «{login}» уже занят, выберите другой", field="login")
    return None


async def check_invitation(code_text: str, address: str) -> dict:
    """The person and role an invitation code is for (without using it). A guess like any
    other: throttled per address and recorded."""
    row = await _guess_code(code_text, "invite", "", address)
    person = await Person.select().where(Person.id == row["person"]).first().run()
    role = await Role.select(Role.code, Role.name).where(Role.id == row["role"]).first().run()
    return {"person": person, "role": role}


async def do_register(code_text: str, login: str, password: str, address: str) -> int:
    """Create an account from an invitation code, linked to the code's person, with its role.
    A person has at most one account: a second registration is refused. The code is checked
    (a counted guess) before the password is hashed; two registrations at once with one code,
    or with two codes of one person, make one account (the claim, the unique index)."""
    _password_within_limit(password)
    person_id = (await _guess_code(code_text, "invite", "", address))["person"]
    login, password_hash = await _new_credentials(login, password)
    try:
        async with atomic():
            # One registration of a person at a time: with two codes of one parent typed at
            # once, the second waits here, then finds its code revoked by the first.
            await xact_lock(f"register:person:{person_id}")
            moment = now()
            row = await _claim_code(_typed_code(code_text), "invite", moment)
            if await Account.exists().where(Account.person == row["person"]).run():
                raise Refused("У этого человека уже есть учётная запись: войдите в неё. "
                              "Если пароль забыт, администратор школы выдаст код сброса", field="code")
            role = await Role.select(Role.code).where(Role.id == row["role"]).first().run()
            user_id = await _insert_user(Actor(None, login, address), login, password_hash,
                                         _roles_given_by(role["code"]), row["person"],
                                         "accounts.registered", reason="код приглашения")
            await AccessCode.update({AccessCode.account: user_id}).where(AccessCode.id == row["id"]).run()
            await AccessCode.update({AccessCode.revoked_at: moment}).where(
                (AccessCode.person == row["person"]) & (AccessCode.purpose == "invite")
                & AccessCode.used_at.is_null() & AccessCode.revoked_at.is_null()).run()
    except Exception as exc:
        if (refusal := _duplicate(exc, login)) is None:
            raise
        raise refusal from None
    return user_id


async def do_issue_reset_code(actor: Actor, user_id: int) -> str:
    """A reset code for an account whose rights the actor holds (or from the server's command
    line, for a locked-out administrator)."""
    settings = get_settings().security
    code = rules.new_code()
    moment = now()
    async with atomic():
        user = await Account.select(Account.id, Account.person, Account.login).where(Account.id == user_id).first().run()
        if user is None:
            raise NotFound()
        await _check_account_within(actor, user_id, "Выдать ей код сброса пароля")
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
    """A new password by a reset code. The code is checked (a counted guess, per login and per
    address) before the new password is hashed: an anonymous request costs no argon2."""
    login = _typed_login(login)
    if not login:
        raise Refused("Введите логин", field="login")
    _password_within_limit(new_password)
    await _guess_code(code_text, "reset", login, address)
    if problem := rules.password_problem(new_password, login):
        raise Refused(problem, field="password")
    password_hash = await hash_password(new_password)
    async with atomic():
        moment = now()
        row = await _claim_code(_typed_code(code_text), "reset", moment)
        await Account.update({Account.password_hash: password_hash}).where(Account.id == row["account"]).run()
        await Session.update({Session.ended_at: moment}).where(
            (Session.account == row["account"]) & Session.ended_at.is_null()).run()
        await record(Actor(row["account"], login, address), "accounts.password_reset", "account",
                     row["account"], reason="код сброса пароля")


API_TOKEN_DAYS_MAX = 366


async def do_issue_api_token(actor: Actor, user_id: int, name: str, days: int) -> str:
    """A read-only API key for the account ``user_id`` (an integration's), valid ``days``; the key
    is returned once — only its SHA-256 is kept. Audited (the name and expiry, never the key)."""
    name = (name or "").strip()
    if not name or len(name) > 100 or any(ord(ch) < 32 for ch in name):
        raise Refused("Название ключа: от 1 до 100 знаков, например «Библиотека школы»", field="name")
    if not 1 <= days <= API_TOKEN_DAYS_MAX:
        raise Refused(f"Срок действия: от 1 до {API_TOKEN_DAYS_MAX} дней", field="days")
    async with atomic():
        user = await Account.select(Account.id, Account.is_active).where(Account.id == user_id).first().run()
        if user is None:
            raise NotFound()
        if not user["is_active"]:
            raise Refused("Учётная запись заблокирована: ключ для неё не выдать", field="name")
        token = rules.new_api_token()
        moment = now()
        expires = moment + timedelta(days=days)
        made = await ApiToken.insert(ApiToken(account=user_id, name=name, token_hash=rules.digest(token),
                                              created_at=moment, created_by=actor.user_id, expires_at=expires)
                                     ).returning(ApiToken.id).run()
        await record(actor, "accounts.api_token_issued", "account", user_id,
                     new={"token": made[0]["id"], "name": name, "expires_at": expires.isoformat()})
    return token


async def do_revoke_api_token(actor: Actor, user_id: int, token_id: int) -> None:
    """Revoke an API key of the account; a key already revoked stays as it is (two revocations
    at once: the second waits for the first and finds it revoked, one audit row)."""
    async with atomic():
        await xact_lock(f"api_token:{token_id}")
        row = await ApiToken.select(ApiToken.id, ApiToken.name, ApiToken.revoked_at).where(
            (ApiToken.id == token_id) & (ApiToken.account == user_id)).first().run()
        if row is None:
            raise NotFound()
        if row["revoked_at"] is not None:
            return
        await ApiToken.update({ApiToken.revoked_at: now()}).where(ApiToken.id == token_id).run()
        await record(actor, "accounts.api_token_revoked", "account", user_id,
                     new={"token": token_id, "name": row["name"]})
