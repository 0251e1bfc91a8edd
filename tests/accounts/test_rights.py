"""Nobody climbs above their own rights (R-SEC-1, R-ROLE-2): a person hands out, grants or resets
only roles whose rights they hold themselves; nobody changes their own roles or active flag;
the last administrator stays; an unknown right never clears a role."""

from __future__ import annotations

import pytest

from service.accounts import actions
from service.accounts.queries import viewer_for_user
from service.accounts.tables import AccessCode, Role, RolePermission
from service.audit.tables import AuditEvent
from service.errors import Refused
from service.school.tables import StaffMember
from tests.factories import PASSWORD, SYSTEM, YEAR_START, tiny_school
from tests.routes import client, csrf_from, sign_in

pytestmark = pytest.mark.anyio


async def _role_rights(code: str) -> set[str]:
    role = await Role.select(Role.id).where(Role.code == code).first().run()
    return {r["permission.code"] for r in await RolePermission.select(RolePermission.permission.code)
            .where(RolePermission.role == role["id"]).run()}


async def _give_role_right(role_code: str, right: str) -> None:
    role = await Role.select(Role.id).where(Role.code == role_code).first().run()
    await actions.do_set_role_permissions(SYSTEM, role["id"], await _role_rights(role_code) | {right})


async def _secretary() -> int:
    person = await actions.do_create_person(SYSTEM, "Лебедева", "Ирина")
    return await actions.do_create_user(SYSTEM, "sekretar", PASSWORD, ["secretary"], person)


async def test_secretary_cannot_hand_out_a_role_above_her_own(db):
    """Seen: a secretary printed a staff slip with «завуч» and got the audit log through it."""
    s = await tiny_school()
    secretary = await viewer_for_user(await _secretary())
    pid = s.people["parent3"]
    for role, name in [("deputy", "Завуч"), ("archivist", "Архивист"), ("admin", "Администратор")]:
        with pytest.raises(Refused, match=f"«{name}» даёт права, которых нет у вас") as exc:
            await actions.do_issue_invitations(secretary.actor, [(pid, role)], "сотрудники")
        assert exc.value.field == "role"
    assert await AccessCode.count().run() == 0
    # what she holds herself (and the narrower rights her «все карточки» include) she hands out
    codes = await actions.do_issue_invitations(
        secretary.actor, [(pid, "teacher"), (pid, "class_teacher"), (pid, "secretary"),
                          (s.people["pupil3"], "student")], "сотрудники")
    assert len(codes) == 4


async def test_class_teacher_hands_out_her_class_sheet_but_nothing_above(db):
    s = await tiny_school()
    klruk = await viewer_for_user(s.users["klruk"])
    await actions.do_issue_invitations(klruk.actor, [(s.people["parent2"], "parent"),
                                                     (s.people["pupil2"], "student")], "5А")
    with pytest.raises(Refused, match="«Секретарь»"):
        await actions.do_issue_invitations(klruk.actor, [(s.people["parent3"], "secretary")])


async def test_staff_page_offers_and_accepts_only_roles_within_the_viewers_rights(db):
    s = await tiny_school()
    await _secretary()
    await StaffMember.insert(StaffMember(person=s.people["parent2"], post="учитель физики",
                                         starts_on=YEAR_START)).run()
    async with client() as c:
        await sign_in(c, "sekretar", PASSWORD)
        page = await c.get("/staff")
        assert page.status_code == 200 and 'value="auto"' in page.text
        for hidden in ("deputy", "archivist", "admin"):
            assert f'value="{hidden}"' not in page.text
        r = await c.post("/staff/invitations", data={
            "role": "deputy", "person": [str(s.people["parent2"])], "_csrf_token": csrf_from(page.text)})
        assert r.status_code == 400 and "Выберите роль" in r.text
    assert await AccessCode.count().run() == 0
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        page = await c.get("/staff")
        assert all(f'value="{code}"' in page.text for code in ("deputy", "archivist", "admin"))


async def test_account_manager_cannot_grant_or_reset_above_her_rights(db):
    """A holder of «управлять учётными записями» without the administrator's other rights
    neither makes anyone an administrator nor takes over an administrator by a reset code."""
    s = await tiny_school()
    await _give_role_right("secretary", "admin.users")
    secretary = await viewer_for_user(await _secretary())
    with pytest.raises(Refused, match="«Администратор»"):
        await actions.do_set_user_roles(secretary.actor, s.users["uchitel"], {"teacher", "admin"})
    with pytest.raises(Refused, match="«Завуч»"):
        await actions.do_set_user_roles(secretary.actor, s.users["uchitel"], {"teacher", "deputy"})
    with pytest.raises(Refused, match="права, которых нет у вас"):
        await actions.do_issue_reset_code(secretary.actor, s.users["admin"])
    with pytest.raises(Refused, match="права, которых нет у вас"):
        await actions.do_set_user_roles(secretary.actor, s.users["admin"], {"admin", "parent"})
    with pytest.raises(Refused, match="права, которых нет у вас"):
        await actions.do_set_user_active(secretary.actor, s.users["admin"], False, "проверка")
    assert (await viewer_for_user(s.users["uchitel"])).roles == ("teacher",)
    assert await AccessCode.count().run() == 0
    # within her rights she may act
    assert await actions.do_set_user_roles(secretary.actor, s.users["uchitel"], {"teacher", "parent"})
    await actions.do_issue_reset_code(secretary.actor, s.users["uchitel"])
    # the command line (`ezh reset-code`) is trusted: it is how a locked-out admin gets back
    await actions.do_issue_reset_code(SYSTEM, s.users["admin"])


async def test_nobody_changes_their_own_roles_or_active_flag(db):
    s = await tiny_school()
    await _give_role_right("secretary", "admin.users")
    secretary = await viewer_for_user(await _secretary())
    with pytest.raises(Refused, match="с самого себя"):
        await actions.do_set_user_roles(secretary.actor, secretary.user_id, {"secretary", "admin"})
    admin = await viewer_for_user(s.users["admin"])
    with pytest.raises(Refused, match="с самого себя"):
        await actions.do_set_user_roles(admin.actor, admin.user_id, {"admin", "parent"})
    with pytest.raises(Refused, match="самого себя"):
        await actions.do_set_user_active(admin.actor, admin.user_id, False)
    assert (await viewer_for_user(secretary.user_id)).roles == ("secretary",)
    assert (await viewer_for_user(admin.user_id)).roles == ("admin",)


async def test_the_last_active_administrator_stays(db):
    """«Administrator» here: an active account holding the right to edit role rights."""
    s = await tiny_school()
    with pytest.raises(Refused, match="последн"):
        await actions.do_set_user_roles(SYSTEM, s.users["admin"], {"teacher"})
    with pytest.raises(Refused, match="последн"):
        await actions.do_set_user_active(SYSTEM, s.users["admin"], False)
    second = await actions.do_create_user(SYSTEM, "admin2", PASSWORD, ["admin"])
    await actions.do_set_user_active(SYSTEM, second, False, "в отпуске")  # a blocked one does not count
    with pytest.raises(Refused, match="последн"):
        await actions.do_set_user_roles(SYSTEM, s.users["admin"], {"teacher"})
    await actions.do_set_user_active(SYSTEM, second, True, "вернулся")
    assert await actions.do_set_user_roles(SYSTEM, s.users["admin"], {"teacher"})
    assert (await viewer_for_user(s.users["admin"])).roles == ("teacher",)


async def test_unknown_right_is_refused_and_the_role_keeps_its_rights(db):
    """Seen: posting an unknown right code to «Роли и права» cleared every right of the role."""
    await tiny_school()
    teacher = await Role.select(Role.id).where(Role.code == "teacher").first().run()
    before = await _role_rights("teacher")
    audit_before = await AuditEvent.count().run()
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        page = await c.get("/admin/roles")
        r = await c.post(f"/admin/roles/{teacher['id']}", data={
            "perm": ["wizard.fly"], "reason": "проверка", "_csrf_token": csrf_from(page.text)})
        assert r.status_code == 400 and "Неизвестное право: wizard.fly" in r.text
    assert await _role_rights("teacher") == before != set()
    assert await AuditEvent.count().run() == audit_before + 1  # only the login


async def test_the_last_right_to_edit_roles_is_kept(db):
    """The right to edit role rights must stay with some active account, whichever role holds it."""
    s = await tiny_school()
    await _give_role_right("deputy", "admin.roles")
    zavuch = await actions.do_create_user(SYSTEM, "zavuch", PASSWORD, ["deputy"])
    await actions.do_set_user_active(SYSTEM, s.users["admin"], False, "уволился")
    deputy = await Role.select(Role.id).where(Role.code == "deputy").first().run()
    with pytest.raises(Refused, match="изменять права ролей"):
        await actions.do_set_role_permissions(SYSTEM, deputy["id"], await _role_rights("deputy") - {"admin.roles"})
    assert "admin.roles" in await _role_rights("deputy")
    with pytest.raises(Refused, match="последн"):
        await actions.do_set_user_active(SYSTEM, zavuch, False)
    assert (await viewer_for_user(zavuch)).can("admin.roles")


async def test_own_account_page_offers_no_form_the_owner_cannot_use(db):
    """Issue 6 item 2, seen in the browser: the page said «меняет другой администратор» and
    still showed the roles form and the block button."""
    s = await tiny_school()
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        own = (await c.get(f"/admin/users/{s.users['admin']}")).text
        other = (await c.get(f"/admin/users/{s.users['klruk']}")).text
    assert "Это ваша учётная запись" in own
    assert f'action="/admin/users/{s.users["admin"]}/roles"' not in own
    assert f'action="/admin/users/{s.users["admin"]}/active"' not in own
    assert f'action="/admin/users/{s.users["klruk"]}/roles"' in other
    assert f'action="/admin/users/{s.users["klruk"]}/active"' in other
