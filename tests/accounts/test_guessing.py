"""Guessing and cost (R-SEC-1): wrong codes and wrong current passwords are throttled and
recorded like logins; no anonymous request makes the server hash a password before its code is
checked; passwords and free text have limits, refused in Russian naming the field; bad input
on these pages never gives a 500."""

from __future__ import annotations

import pytest

from service import forms
from service.accounts import actions
from service.accounts.queries import viewer_for_token
from service.accounts.tables import AccessCode, Account, LoginAttempt
from service.audit.tables import AuditEvent
from service.errors import Refused
from tests.factories import PASSWORD, SYSTEM, tiny_school
from tests.routes import client, csrf_from, post_form, sign_in

pytestmark = pytest.mark.anyio

NEW_PASSWORD = "Сирень-и-клён-2026"
WRONG_CODE = "AAAA-BBBB-CCCC"


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """Every argon2 hash the actions compute (each costs ~0.1–0.3 s of CPU)."""
    made: list[str] = []
    real = actions.hash_password

    async def counted(password: str) -> str:
        made.append(password)
        return await real(password)

    monkeypatch.setattr(actions, "hash_password", counted)
    return made


@pytest.fixture
def checks(monkeypatch) -> list[str]:
    """Every argon2 verification the actions run."""
    done: list[str] = []
    real = actions._password_matches

    async def counted(stored: str, password: str) -> bool:
        done.append(password)
        return await real(stored, password)

    monkeypatch.setattr(actions, "_password_matches", counted)
    return done


async def test_wrong_invitation_codes_are_throttled_per_address(db):
    s = await tiny_school()
    pid = s.people["parent3"]
    code = (await actions.do_issue_invitations(SYSTEM, [(pid, "parent")]))[(pid, "parent")]
    async with client() as c:
        token = csrf_from((await c.get("/login")).text)
        for i in range(30):
            wrong = f"AAAA-BBBB-{i:04d}"
            if i % 2:
                r = await c.get("/register", params={"code": wrong})
            else:
                r = await c.post("/register", data={"code": wrong, "login": "sokolova",
                                                    "password": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                                    "_csrf_token": token})
            assert "Такого кода нет" in r.text, i
        r = await c.get("/register", params={"code": code})  # even the right code waits
        assert "Слишком много неудачных попыток" in r.text and "Повторите через 15 минут" in r.text
        r = await c.post("/register", data={"code": code, "login": "sokolova", "password": NEW_PASSWORD,
                                            "password2": NEW_PASSWORD, "_csrf_token": token})
        assert r.status_code == 400 and "Слишком много неудачных попыток" in r.text
    assert await Account.count().where(Account.person == pid).run() == 0
    assert await LoginAttempt.count().where(
        (LoginAttempt.kind == "register") & LoginAttempt.success.eq(False)).run() == 30
    await actions.do_register(code, "sokolova", NEW_PASSWORD, "10.9.9.9")  # another address may


async def test_wrong_reset_codes_are_throttled_per_account(db):
    s = await tiny_school()
    code = await actions.do_issue_reset_code(SYSTEM, s.users["uchitel"])
    for i in range(5):
        with pytest.raises(Refused, match="Такого кода нет"):
            await actions.do_reset_password("uchitel", f"AAAA-BBBB-{i:04d}", NEW_PASSWORD, f"10.0.0.{i}")
    with pytest.raises(Refused, match="Слишком много неудачных попыток.*Повторите через 15 минут"):
        await actions.do_reset_password("uchitel", code, NEW_PASSWORD, "10.0.0.99")
    assert await LoginAttempt.count().where(
        (LoginAttempt.kind == "reset") & (LoginAttempt.login == "uchitel")).run() == 5
    await actions.do_login("uchitel", PASSWORD, "10.0.0.99")  # the password is unchanged


async def test_wrong_current_passwords_are_throttled(db):
    await tiny_school()
    token = await actions.do_login("klruk", PASSWORD, "10.0.0.1")
    viewer = await viewer_for_token(token, "10.0.0.1")
    for _ in range(5):
        with pytest.raises(Refused, match="Текущий пароль введён неверно"):
            await actions.do_change_password(viewer, "не тот пароль", NEW_PASSWORD)
    with pytest.raises(Refused, match="Слишком много неудачных попыток.*Повторите через") as exc:
        await actions.do_change_password(viewer, PASSWORD, NEW_PASSWORD)
    assert exc.value.field == "old_password"
    assert await LoginAttempt.count().where(
        (LoginAttempt.kind == "password") & LoginAttempt.success.eq(False)).run() == 5
    await actions.do_login("klruk", PASSWORD, "10.0.0.2")  # logging in is a separate counter


async def test_codes_are_checked_before_any_password_is_hashed(db, hashes):
    """Seen: /reset ran argon2 (~300 ms of CPU) for every anonymous request, before the code."""
    await tiny_school()
    hashes.clear()  # the school's own accounts
    with pytest.raises(Refused, match="Такого кода нет"):
        await actions.do_reset_password("uchitel", WRONG_CODE, NEW_PASSWORD, "x")
    with pytest.raises(Refused, match="Такого кода нет"):
        await actions.do_register(WRONG_CODE, "someone", NEW_PASSWORD, "x")
    async with client() as c:
        r = await post_form(c, "/reset", {"login": "uchitel", "code": WRONG_CODE,
                                          "password": NEW_PASSWORD, "password2": NEW_PASSWORD})
        assert r.status_code == 400 and "Такого кода нет" in r.text
    assert hashes == []


async def test_long_passwords_are_refused_before_any_argon2(db, hashes, checks):
    s = await tiny_school()
    hashes.clear()  # the school's own accounts
    huge = "я" * 1_000_000
    async with client() as c:
        r = await post_form(c, "/login", {"login": "klruk", "password": huge})
        assert r.status_code == 400 and "Пароль: не длиннее 256 символов" in r.text
    with pytest.raises(Refused, match="256"):
        await actions.do_login("klruk", "x" * 257, "x")
    assert checks == []
    long = "Весна-в-школе-" + "ж" * 250
    pid = s.people["parent3"]
    code = (await actions.do_issue_invitations(SYSTEM, [(pid, "parent")]))[(pid, "parent")]
    with pytest.raises(Refused, match="256"):
        await actions.do_register(code, "sokolova", long, "x")
    reset = await actions.do_issue_reset_code(SYSTEM, s.users["uchitel"])
    with pytest.raises(Refused, match="256"):
        await actions.do_reset_password("uchitel", reset, long, "x")
    with pytest.raises(Refused, match="256"):
        await actions.do_create_user(SYSTEM, "longpass", long, ["teacher"])
    assert hashes == []
    assert len(forms.Secret("Пароль").clean("a" * forms.PASSWORD_MAX)) == 256  # 256 itself is fine


async def test_reasons_have_a_limit(db):
    """Seen: a 9 MB reason was accepted and made the audit page 9 MB."""
    s = await tiny_school()
    audit_before = await AuditEvent.count().run()
    with pytest.raises(Refused, match="Причина: не длиннее 1000 символов") as exc:
        await actions.do_set_user_active(SYSTEM, s.users["uchitel"], False, "ж" * 1001)
    assert exc.value.field == "reason"
    with pytest.raises(Refused, match="Причина: не длиннее"):
        await actions.do_set_user_roles(SYSTEM, s.users["uchitel"], {"parent"}, "ж" * 1001)
    assert await AuditEvent.count().run() == audit_before
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        page = await c.get(f"/admin/users/{s.users['uchitel']}")
        r = await c.post(f"/admin/users/{s.users['uchitel']}/active", data={
            "active": "0", "reason": "ж" * 50_000, "_csrf_token": csrf_from(page.text)})
        assert r.status_code == 400 and "Причина: не длиннее 1000 символов" in r.text
        assert len(r.content) < 50_000  # the page does not carry the reason back
        r = await c.post(f"/admin/users/{s.users['uchitel']}/roles", data={
            "role": ["parent"], "reason": "ж" * 5000, "_csrf_token": csrf_from(page.text)})
        assert r.status_code == 400 and "Причина: не длиннее 1000 символов" in r.text
    assert (await Account.select(Account.is_active).where(Account.id == s.users["uchitel"])
            .first().run())["is_active"]
    assert await AuditEvent.count().run() == audit_before + 1  # the admin's login only


async def test_bad_input_on_account_and_staff_pages_never_gives_500(db):
    s = await tiny_school()
    async with client() as c:
        r = await post_form(c, "/login", {"login": "k" * 80, "password": PASSWORD})
        assert r.status_code == 400 and "Логин: не длиннее 64 символов" in r.text
        r = await post_form(c, "/reset", {"login": "u" * 80, "code": WRONG_CODE,
                                          "password": NEW_PASSWORD, "password2": NEW_PASSWORD})
        assert r.status_code == 400 and "Логин: не длиннее 64 символов" in r.text
        r = await c.get("/register", params={"code": "A\x00" * 40})
        assert r.status_code == 400
        await sign_in(c, "admin", PASSWORD)
        r = await c.get("/admin/users", params={"page": "100000000000000000000"})
        assert r.status_code == 200 and "Пользователи" in r.text
        r = await c.get("/admin/users", params={"q": "ab\x00c"})
        assert r.status_code == 400 and "недопустимый символ" in r.text
        page = await c.get("/staff")
        r = await c.post("/staff/invitations", data={"role": "auto", "person": ["²"],
                                                     "_csrf_token": csrf_from(page.text)})
        assert r.status_code == 400 and "Сотрудник: ожидается целое число" in r.text
        page = await c.get(f"/classes/{s.classes['5А']}")
        r = await c.post(f"/classes/{s.classes['5А']}/invitations", data={
            "who": ["teachers"], "_csrf_token": csrf_from(page.text)})
        assert r.status_code == 400 and "Для кого" in r.text
    assert await AccessCode.count().run() == 0
