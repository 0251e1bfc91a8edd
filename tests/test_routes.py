"""Pages as users meet them (R-PLAT-2 Russian UI, R-ROLE-3 scope, R-SEC-1): login, each role's
home, scoped class and student pages (foreign ids answer 404), CSRF, errors, health."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service.audit.tables import AccessLog
from service.school.tables import SchoolClass
from tests.factories import PASSWORD, tiny_school
from tests.routes import client, csrf_from, post_form, sign_in

pytestmark = pytest.mark.anyio


async def test_login_page_is_russian(db):
    async with client() as c:
        r = await c.get("/login")
        assert r.status_code == 200
        assert '<html lang="ru"' in r.text and "Вход" in r.text
        assert (await c.get("/")).headers["location"] == "/login"
        r = await c.get("/home")
        assert r.status_code in (302, 303) and r.headers["location"].startswith("/login")


async def test_wrong_password_re_renders_the_form(db):
    await tiny_school()
    async with client() as c:
        r = await post_form(c, "/login", {"login": "klruk", "password": "не тот"})
        assert r.status_code == 400
        assert "Неверный логин или пароль" in r.text
        assert 'value="klruk"' in r.text


async def test_post_without_csrf_token_is_refused_in_russian(db):
    await tiny_school()
    async with client() as c:
        await c.get("/login")
        r = await c.post("/login", data={"login": "klruk", "password": PASSWORD})
        assert r.status_code == 403
        assert "Ничего не сохранено" in r.text
        assert "ezh_session" not in r.cookies


async def test_class_teacher_sees_own_class_not_another(db):
    s = await tiny_school()
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        home = await c.get("/home")
        # the header names the viewer's roles on every page: look at the page's own heading
        assert "<h1>Классный руководитель</h1>" in home.text and "5А" in home.text
        page = await c.get(f"/classes/{s.classes['5А']}")
        assert page.status_code == 200
        assert "Морозов" in page.text and "Павлова" in page.text
        foreign = await c.get(f"/classes/{s.classes['6Б']}")
        assert foreign.status_code == 404 and "Страница не найдена" in foreign.text
        assert (await c.get(f"/students/{s.people['pupil3']}")).status_code == 404
    seen = {(r["person_id"], r["what"]) for r in await AccessLog.select().run()}
    assert seen == {(s.people["pupil1"], "список класса 5А"), (s.people["pupil2"], "список класса 5А")}


async def test_parent_sees_own_child_only(db):
    s = await tiny_school()
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        home = await c.get("/home")
        assert "<h1>Родитель</h1>" in home.text and "Павлова" not in home.text
        assert "Морозов Артём" in home.text  # the child; the header shows the parent, Морозова
        own = await c.get(f"/students/{s.people['pupil1']}")
        assert own.status_code == 200 and "Морозов Артём" in own.text
        for foreign in ("pupil2", "pupil3", "klruk"):
            r = await c.get(f"/students/{s.people[foreign]}")
            assert r.status_code == 404
        assert (await c.get(f"/classes/{s.classes['5А']}")).status_code == 404
        assert (await c.get("/admin/audit")).status_code == 403
    rows = await AccessLog.select().run()
    assert [(r["person_id"], r["viewer_name"]) for r in rows] == [(s.people["pupil1"], "roditel")]


async def test_teacher_sees_taught_class_only(db):
    s = await tiny_school()
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        assert (await c.get(f"/classes/{s.classes['5А']}")).status_code == 200
        assert (await c.get(f"/classes/{s.classes['6Б']}")).status_code == 404
        assert (await c.get(f"/students/{s.people['pupil2']}")).status_code == 200
        assert (await c.get(f"/students/{s.people['pupil3']}")).status_code == 404


async def test_student_sees_self(db):
    s = await tiny_school()
    async with client() as c:
        await sign_in(c, "pupil1", PASSWORD)
        home = await c.get("/home")
        assert "<h1>Ученик</h1>" in home.text and "5А класс" in home.text
        assert f'href="/students/{s.people["pupil1"]}"' in home.text
        assert (await c.get(f"/students/{s.people['pupil2']}")).status_code == 404


async def test_admin_edits_rights_and_the_change_takes_effect(db):
    await tiny_school()
    async with client() as admin, client() as teacher:
        await sign_in(admin, "admin", PASSWORD)
        await sign_in(teacher, "uchitel", PASSWORD)
        assert (await teacher.get("/admin/audit")).status_code == 403
        page = await admin.get("/admin/roles")
        assert page.status_code == 200 and "Учитель" in page.text
        from service.accounts.tables import Role, RolePermission

        role = await Role.select(Role.id).where(Role.code == "teacher").first().run()
        held = [r["permission.code"] for r in await RolePermission.select(
            RolePermission.permission.code).where(RolePermission.role == role["id"]).run()]
        r = await admin.post(f"/admin/roles/{role['id']}", data={
            "perm": [*held, "admin.audit"], "reason": "проверка",
            "_csrf_token": csrf_from(page.text)})
        assert r.status_code == 200
        assert (await teacher.get("/admin/audit")).status_code == 200
        audit = await admin.get("/admin/audit", params={"action": "accounts.role_rights_changed"})
        assert "Изменены права роли" in audit.text and "проверка" in audit.text
        now = {r["permission.code"] for r in await RolePermission.select(
            RolePermission.permission.code).where(RolePermission.role == role["id"]).run()}
        assert now == {*held, "admin.audit"}


async def test_admin_pages_need_the_right(db):
    await tiny_school()
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        for path in ("/admin/roles", "/admin/users", "/admin/audit", "/admin/access-log"):
            r = await c.get(path)
            assert r.status_code == 403 and "Нет доступа" in r.text


async def test_admin_issues_reset_code_and_user_sets_new_password(db):
    s = await tiny_school()
    async with client() as admin:
        await sign_in(admin, "admin", PASSWORD)
        page = await admin.get(f"/admin/users/{s.users['uchitel']}")
        assert page.status_code == 200 and "uchitel" in page.text
        r = await admin.post(f"/admin/users/{s.users['uchitel']}/reset",
                             data={"_csrf_token": csrf_from(page.text)})
        import re

        code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", r.text).group(0)
        assert (await admin.get("/admin/users/999999")).status_code == 404
    async with client() as user:
        r = await post_form(user, "/reset", {"login": "uchitel", "code": code,
                                             "password": "Новый-пароль-2026",
                                             "password2": "Новый-пароль-2026"})
        assert r.status_code == 200 and "Пароль изменён" in r.text
        await sign_in(user, "uchitel", "Новый-пароль-2026")


async def test_register_with_bad_code_names_the_field(db):
    async with client() as c:
        r = await c.get("/register", params={"code": "AAAA-BBBB-CCCC"})
        assert "Такого кода нет" in r.text


async def test_logout_ends_the_session(db):
    await tiny_school()
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        home = await c.get("/home")
        r = await c.post("/logout", data={"_csrf_token": csrf_from(home.text)})
        assert r.status_code in (302, 303)
        assert (await c.get("/home")).headers["location"].startswith("/login")


async def test_unknown_page_and_health(db):
    async with client() as c:
        r = await c.get("/nonexistent")
        assert r.status_code == 404 and "Страница не найдена" in r.text
        assert (await c.get("/healthz")).text == "ok"
        ready = await c.get("/readyz")
        assert ready.status_code == 200 and ready.text == "ready"
        assert ready.headers["x-request-id"]


async def test_open_redirect_is_not_followed(db):
    await tiny_school()
    async with client() as c:
        html = (await c.get("/login")).text
        r = await c.post("/login", data={"login": "klruk", "password": PASSWORD,
                                         "next": "//evil.example/", "_csrf_token": csrf_from(html)})
        assert r.headers["location"] == "/home"


async def test_invitation_sheet_to_registration(db):
    """R-ORG-4: a class teacher prints the class's invitation slips; a parent types the code
    from the paper and gets an account linked to their child."""
    import io
    import re

    from pypdf import PdfReader

    s = await tiny_school()
    async with client() as teacher:
        await sign_in(teacher, "klruk", PASSWORD)
        page = await teacher.get(f"/classes/{s.classes['5А']}")
        r = await teacher.post(f"/classes/{s.classes['5А']}/invitations",
                               data={"who": ["students", "parents"],
                                     "_csrf_token": csrf_from(page.text)})
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
        assert "Павлов Алексей" in text and "Павлова Софья" in text
        assert "Морозова Елена" not in text  # she already has an account
        flat = " ".join(text.split())
        match = re.search(r"Павлов Алексей.*?([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", flat)
        assert match, flat[:500]
        code = match.group(1)
        other = await teacher.get(f"/classes/{s.classes['6Б']}")
        assert other.status_code == 404
    async with client() as parent:
        form = await parent.get("/register", params={"code": code})
        assert "Павлов Алексей" in form.text
        r = await parent.post("/register", data={
            "code": code, "login": "pavlov", "password": "Сирень-и-клён-2026",
            "password2": "Сирень-и-клён-2026", "_csrf_token": csrf_from(form.text)})
        assert r.status_code == 200
        await sign_in(parent, "pavlov", "Сирень-и-клён-2026")
        assert (await parent.get(f"/students/{s.people['pupil2']}")).status_code == 200
        assert (await parent.get(f"/students/{s.people['pupil1']}")).status_code == 404
        again = await parent.get("/register", params={"code": code})
        assert "уже использован" in again.text


async def test_invitations_need_a_choice(db):
    s = await tiny_school()
    async with client() as teacher:
        await sign_in(teacher, "klruk", PASSWORD)
        page = await teacher.get(f"/classes/{s.classes['5А']}")
        r = await teacher.post(f"/classes/{s.classes['5А']}/invitations",
                               data={"_csrf_token": csrf_from(page.text)})
        assert r.status_code == 400 and "Отметьте, для кого" in r.text


async def test_requests_are_logged_with_their_id(db, caplog):
    """Structured logs: every request's line carries the id the response returns."""
    import json
    import logging

    from service.web import JsonFormatter

    await tiny_school()
    logger = logging.getLogger("ezh")
    async with client() as c:
        logger.addHandler(caplog.handler)  # after create_app() configured the logger
        caplog.set_level(logging.INFO, logger="ezh")
        try:
            await sign_in(c, "klruk", PASSWORD)
            r = await c.get("/home", headers={"x-request-id": "abc123"})
        finally:
            logger.removeHandler(caplog.handler)
    assert r.headers["x-request-id"] == "abc123"
    lines = [rec for rec in caplog.records if getattr(rec, "path", None) == "/home"]
    assert lines and lines[-1].status == 200 and lines[-1].user == "klruk"
    entry = json.loads(JsonFormatter().format(lines[-1]))
    assert entry["request_id"] == "abc123" and entry["method"] == "GET" and entry["ms"] >= 0


async def test_malformed_addresses_never_become_500(db):
    await tiny_school()
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        for path, status in [("/classes/abc", 404), ("/students/99999999999999999999", 404),
                             ("/admin/users/2147483648", 404), ("/classes/-1", 404),
                             ("/admin/users?page=x", 200), ("/admin/audit?before=x", 200)]:
            r = await c.get(path)
            assert r.status_code == status, path
            assert '<html lang="ru"' in r.text
        # A nonsense page number of a list is the first page; a bad filter is named.
        assert "roditel" in (await c.get("/admin/users?page=x")).text
        assert "Страница: ожидается целое число" in (await c.get("/admin/audit?before=x")).text
        r = await c.get("/admin/audit?day_from=2026-13-45")
        assert r.status_code == 200 and "ГГГГ-ММ-ДД" in r.text


async def test_expired_session_signs_out(db):
    from service.accounts.tables import Session

    await tiny_school()
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        assert (await c.get("/home")).status_code == 200
        await Session.update({Session.expires_at: Session.created_at}).where(Session.id > 0).run()
        r = await c.get("/home")
        assert r.status_code in (302, 303) and r.headers["location"].startswith("/login")


async def test_readyz_says_when_migrations_are_pending(db):
    from piccolo.apps.migrations.tables import Migration

    await Migration.delete().where(Migration.app_name == "people").run()
    async with client() as c:
        r = await c.get("/readyz")
        assert r.status_code == 503 and r.text == "not ready"  # why: in the log (issue 6 #16)
        assert (await c.get("/healthz")).status_code == 200


async def test_access_log_page_shows_who_opened_whose_card(db):
    s = await tiny_school()
    async with client() as parent:
        await sign_in(parent, "roditel", PASSWORD)
        await parent.get(f"/students/{s.people['pupil1']}")
    async with client() as admin:
        await sign_in(admin, "admin", PASSWORD)
        page = await admin.get("/admin/access-log", params={"person": s.people["pupil1"]})
        assert page.status_code == 200 and "roditel" in page.text and "карточка ученика" in page.text
        audit = await admin.get("/admin/audit", params={"actor": "roditel"})
        assert audit.text.count("Вход в систему") >= 2  # the filter option and the row


async def test_staff_invitation_sheet(db):
    """R-ORG-4 for staff: the secretary/admin prints slips for staff without accounts;
    a class teacher's slip registers an account with both teacher roles."""
    import io
    import re

    from pypdf import PdfReader

    from service.school.tables import StaffMember
    from tests.factories import YEAR_START

    s = await tiny_school()
    await StaffMember.insert(StaffMember(person=s.people["parent2"], post="учитель физики",
                                         starts_on=YEAR_START)).run()
    await SchoolClass.update({SchoolClass.class_teacher: s.people["parent2"]}).where(
        SchoolClass.id == s.classes["6Б"]).run()
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        assert (await c.get("/staff")).status_code == 403
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        page = await c.get("/staff")
        assert "учитель физики" in page.text
        empty = await c.post("/staff/invitations", data={"role": "auto", "_csrf_token": csrf_from(page.text)})
        assert empty.status_code == 400 and "Отметьте сотрудников" in empty.text
        r = await c.post("/staff/invitations", data={"role": "auto", "person": [str(s.people["parent2"])],
                                                      "_csrf_token": csrf_from(page.text)})
        assert r.headers["content-type"] == "application/pdf"
        text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages).split())
        assert "классный руководитель 6Б класса" in text
        code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", text).group(0)
    from service.accounts.actions import do_register
    from service.accounts.queries import viewer_for_user

    user_id = await do_register(code, "pavlov.fiz", "Сирень-и-клён-2026", "x")
    assert set((await viewer_for_user(user_id)).roles) == {"class_teacher", "teacher"}


async def test_admin_changes_roles_of_an_account(db):
    s = await tiny_school()
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        page = await c.get(f"/admin/users/{s.users['klruk']}")
        r = await c.post(f"/admin/users/{s.users['klruk']}/roles", data={
            "role": ["class_teacher", "teacher", "parent"], "reason": "мама ученика 6Б",
            "_csrf_token": csrf_from(page.text)})
        assert r.status_code == 200 and "Роли сохранены" in r.text
        me = await c.get(f"/admin/users/{s.users['admin']}")
        r = await c.post(f"/admin/users/{s.users['admin']}/roles", data={
            "role": ["teacher"], "_csrf_token": csrf_from(me.text)})
        assert r.status_code == 400 and "с самого себя" in r.text


async def test_only_administrators_hand_out_administrator_slips(db):
    from service.accounts.actions import do_set_user_roles

    s = await tiny_school()
    from tests.factories import SYSTEM

    await do_set_user_roles(SYSTEM, s.users["uchitel"], {"secretary"})
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        page = await c.get("/staff")
        assert page.status_code == 200 and 'value="admin"' not in page.text
        r = await c.post("/staff/invitations", data={"role": "admin", "person": [str(s.people["parent2"])],
                                                      "_csrf_token": csrf_from(page.text)})
        assert r.status_code == 400 and "Выберите роль" in r.text
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        assert 'value="admin"' in (await c.get("/staff")).text


async def test_teacher_who_is_a_parent_sees_the_child_at_home(db):
    from service.accounts.actions import do_set_user_roles
    from service.people.tables import ParentLink
    from tests.factories import SYSTEM

    s = await tiny_school()
    await ParentLink.insert(ParentLink(parent=s.people["uchitel"], child=s.people["pupil3"], kind="мать",
                                       created_at=datetime.now(UTC))).run()
    await do_set_user_roles(SYSTEM, s.users["uchitel"], {"teacher", "parent"})
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        home = await c.get("/home")
        assert "<h1>Учитель</h1>" in home.text and "Мои дети" in home.text
        assert "Соколов Максим" in home.text
        assert (await c.get(f"/students/{s.people['pupil3']}")).status_code == 200


async def test_pages_forbid_loading_anything_from_outside(db):
    """R-SEC-2: the browser is told to load nothing from other servers and not to be framed."""
    async with client() as c:
        r = await c.get("/login")
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
