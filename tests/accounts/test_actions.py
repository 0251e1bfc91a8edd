"""Accounts (R-SEC-1, R-ORG-4, R-ROLE-2): logging in with throttling, invitation codes, resets,
rights as data — each write audited, each refusal writing nothing."""

from __future__ import annotations

import pytest

from service.accounts import actions
from service.accounts.queries import viewer_for_token, viewer_for_user
from service.accounts.tables import AccessCode, Account, LoginAttempt, Role, Session
from service.audit.tables import AuditEvent
from service.audit.verify import verify_chain
from service.errors import Refused
from tests.factories import PASSWORD, SYSTEM, tiny_school

pytestmark = pytest.mark.anyio


async def _audit_actions() -> list[str]:
    return [r["action"] for r in await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.seq).run()]


async def test_login_opens_a_session_and_is_audited(db):
    await tiny_school()
    token = await actions.do_login("  KLRUK ", PASSWORD, "10.0.0.5", "Firefox")
    viewer = await viewer_for_token(token, "10.0.0.5")
    assert viewer.login == "klruk" and viewer.full_name == "Смирнова Анна Петровна"
    assert viewer.roles == ("class_teacher", "teacher")
    assert viewer.can("people.view_class") and not viewer.can("admin.roles")
    assert (await _audit_actions())[-1] == "accounts.login"
    await actions.do_logout(viewer)
    assert await viewer_for_token(token, "10.0.0.5") is None
    assert (await verify_chain()).ok


async def test_wrong_password_then_throttled(db):
    await tiny_school()
    for _ in range(5):
        with pytest.raises(Refused, match="Неверный логин или пароль"):
            await actions.do_login("klruk", "не тот пароль", "10.0.0.5")
    with pytest.raises(Refused, match="Слишком много неудачных попыток.*Повторите через 15 минут"):
        await actions.do_login("klruk", PASSWORD, "10.0.0.6")  # even the right password waits
    assert await Session.count().run() == 0
    # another account from another address is not affected
    await actions.do_login("uchitel", PASSWORD, "10.0.0.7")


async def test_unknown_login_and_blocked_account(db):
    s = await tiny_school()
    with pytest.raises(Refused, match="Неверный логин или пароль"):
        await actions.do_login("nobody", PASSWORD, "10.0.0.5")
    await actions.do_set_user_active(SYSTEM, s.users["uchitel"], False, "уволилась")
    with pytest.raises(Refused, match="заблокирована"):
        await actions.do_login("uchitel", PASSWORD, "10.0.0.5")
    assert await LoginAttempt.count().where(LoginAttempt.success.eq(False)).run() == 2


async def test_invitation_registers_a_linked_account_once(db):
    s = await tiny_school()
    codes = await actions.do_issue_invitations(SYSTEM, [(s.people["parent2"], "parent")], "5А")
    code = codes[(s.people["parent2"], "parent")]
    found = await actions.check_invitation(code.lower().replace("-", " "), "10.0.0.9")
    assert found["person"]["last_name"] == "Павлов" and found["role"]["code"] == "parent"
    user_id = await actions.do_register(code, "pavlov.a", "Сирень-и-клён-2026", "10.0.0.9")
    viewer = await viewer_for_user(user_id)
    assert viewer.person_id == s.people["parent2"] and viewer.roles == ("parent",)
    with pytest.raises(Refused, match="уже использован"):
        await actions.do_register(code, "pavlov.b", "Сирень-и-клён-2026", "10.0.0.9")
    assert "accounts.registered" in await _audit_actions()


async def test_expired_and_superseded_codes(db):
    s = await tiny_school()
    pid = s.people["parent3"]
    first = (await actions.do_issue_invitations(SYSTEM, [(pid, "parent")]))[(pid, "parent")]
    second = (await actions.do_issue_invitations(SYSTEM, [(pid, "parent")]))[(pid, "parent")]
    await AccessCode.update({AccessCode.expires_at: AccessCode.created_at}).where(
        AccessCode.person == pid).run()
    with pytest.raises(Refused, match="истёк"):
        await actions.do_register(first, "sokolova.o", "Сирень-и-клён-2026", "x")
    await AccessCode.update({AccessCode.expires_at: actions.now().replace(year=2099)}).where(
        AccessCode.person == pid).run()
    await actions.do_register(second, "sokolova.o", "Сирень-и-клён-2026", "x")
    with pytest.raises(Refused, match="уже зарегистрирован"):
        await actions.do_register(first, "sokolova.o2", "Сирень-и-клён-2026", "x")


async def test_bad_registration_input_writes_nothing(db):
    s = await tiny_school()
    pid = s.people["parent3"]
    code = (await actions.do_issue_invitations(SYSTEM, [(pid, "parent")]))[(pid, "parent")]
    accounts_before = await Account.count().run()
    audit_before = len(await _audit_actions())
    for login, password, message in [("Иван", "Сирень-и-клён-2026", "Логин"),
                                     ("sokolova", "123", "не короче"),
                                     ("klruk", "Сирень-и-клён-2026", "уже занят")]:
        with pytest.raises(Refused, match=message):
            await actions.do_register(code, login, password, "x")
    with pytest.raises(Refused, match="12 букв"):
        await actions.do_register("12-34", "sokolova", "Сирень-и-клён-2026", "x")
    assert await Account.count().run() == accounts_before
    assert len(await _audit_actions()) == audit_before
    await actions.do_register(code, "sokolova", "Сирень-и-клён-2026", "x")  # still usable


async def test_admin_reset_code(db):
    s = await tiny_school()
    token = await actions.do_login("uchitel", PASSWORD, "10.0.0.1")
    code = await actions.do_issue_reset_code(SYSTEM, s.users["uchitel"])
    with pytest.raises(Refused, match="другой учётной записи"):
        await actions.do_reset_password("klruk", code, "Новый-пароль-2026", "x")
    await actions.do_reset_password("uchitel", code, "Новый-пароль-2026", "x")
    assert await viewer_for_token(token, "x") is None  # old sessions end
    await actions.do_login("uchitel", "Новый-пароль-2026", "x")
    with pytest.raises(Refused, match="уже использован"):
        await actions.do_reset_password("uchitel", code, "Ещё-один-пароль-2026", "x")


async def test_rights_are_data(db):
    s = await tiny_school()
    teacher = await Role.select(Role.id).where(Role.code == "teacher").first().run()
    viewer = await viewer_for_user(s.users["uchitel"])
    assert not viewer.can("admin.audit")
    codes = set(viewer.permissions) | {"admin.audit"}
    assert await actions.do_set_role_permissions(SYSTEM, teacher["id"], codes, "проверка")
    assert (await viewer_for_user(s.users["uchitel"])).can("admin.audit")
    assert not await actions.do_set_role_permissions(SYSTEM, teacher["id"], codes)  # no change
    row = (await AuditEvent.select().where(AuditEvent.action == "accounts.role_rights_changed").run())[-1]
    assert "admin.audit" in row["new"] and "admin.audit" not in row["old"] and row["reason"] == "проверка"


async def test_admin_keeps_the_right_to_edit_rights(db):
    admin = await Role.select(Role.id).where(Role.code == "admin").first().run()
    with pytest.raises(Refused, match="нельзя отнять"):
        await actions.do_set_role_permissions(SYSTEM, admin["id"], {"admin.users"})


async def test_changing_password_ends_other_sessions(db):
    await tiny_school()
    t1 = await actions.do_login("klruk", PASSWORD, "a")
    t2 = await actions.do_login("klruk", PASSWORD, "b")
    viewer = await viewer_for_token(t1, "a")
    with pytest.raises(Refused, match="Текущий пароль"):
        await actions.do_change_password(viewer, "не тот", "Новый-пароль-2026")
    await actions.do_change_password(viewer, PASSWORD, "Новый-пароль-2026")
    assert await viewer_for_token(t1, "a") is not None
    assert await viewer_for_token(t2, "b") is None


async def test_roles_of_an_account(db):
    s = await tiny_school()
    admin = await viewer_for_user(s.users["admin"])
    assert await actions.do_set_user_roles(admin.actor, s.users["uchitel"], {"teacher", "parent"}, "мама ученика")
    assert (await viewer_for_user(s.users["uchitel"])).roles == ("teacher", "parent")
    assert not await actions.do_set_user_roles(admin.actor, s.users["uchitel"], {"parent", "teacher"})
    with pytest.raises(Refused, match="с самого себя"):
        await actions.do_set_user_roles(admin.actor, s.users["admin"], {"teacher"})
    with pytest.raises(Refused, match="Неизвестная роль"):
        await actions.do_set_user_roles(admin.actor, s.users["uchitel"], {"wizard"})
    assert "accounts.user_roles_changed" in await _audit_actions()


async def test_class_teacher_invitation_gives_both_roles(db):
    s = await tiny_school()
    pid = s.people["parent3"]  # any person without an account will do
    code = (await actions.do_issue_invitations(SYSTEM, [(pid, "class_teacher")]))[(pid, "class_teacher")]
    user_id = await actions.do_register(code, "new.teacher", "Сирень-и-клён-2026", "x")
    assert set((await viewer_for_user(user_id)).roles) == {"class_teacher", "teacher"}


async def test_superseded_reset_code_says_so(db):
    s = await tiny_school()
    old = await actions.do_issue_reset_code(SYSTEM, s.users["uchitel"])
    await actions.do_issue_reset_code(SYSTEM, s.users["uchitel"])
    with pytest.raises(Refused, match="последний выданный код"):
        await actions.do_reset_password("uchitel", old, "Новый-пароль-2026", "x")
