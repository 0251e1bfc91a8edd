"""The timetable weeks as people open them (R-TT-2, R-TT-3, R-ROLE-3): the entry page of a
teacher, a student and a parent; foreign weeks answer 404; changes read on the page; the
printable week; a constant number of queries per week; the calendar feed opened without
signing in."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from service.accounts.actions import do_set_role_permissions, do_set_user_roles
from service.accounts.tables import Role, RolePermission
from service.audit.tables import AccessLog
from service.people.tables import ParentLink
from service.timetable.tables import CalendarFeed, Lesson
from tests.factories import PASSWORD, SYSTEM
from tests.routes import client, csrf_from, post_form, sign_in
from tests.test_query_counts import counting
from tests.timetable.factories import MONDAY, add_lesson, timetable_school

pytestmark = pytest.mark.anyio
WEEK = f"?week={MONDAY.isoformat()}"


async def _school_with_changes():
    t = await timetable_school()
    people = t.school.people
    replaced = await add_lesson(t, MONDAY, 1, "uchitel")
    cancelled = await add_lesson(t, MONDAY, 2, "uchitel", subject="Русский язык")
    await add_lesson(t, MONDAY, 1, "other", school_class="6Б", room="14")
    await Lesson.update({Lesson.taught_by: people["other"]}).where(Lesson.id == replaced).run()
    await Lesson.update({Lesson.cancelled: True}).where(Lesson.id == cancelled).run()
    return t


async def _drop_view_right(*roles: str) -> None:
    for code in roles:
        role = await Role.select(Role.id).where(Role.code == code).first().run()
        rows = await RolePermission.select(RolePermission.permission.code).where(
            RolePermission.role == role["id"]).run()
        codes = {r["permission.code"] for r in rows} - {"timetable.view"}
        await do_set_role_permissions(SYSTEM, role["id"], codes, "проверка")


async def test_a_teacher_opens_their_own_week_with_the_changes_marked(db):
    """R-TT-3: the planned teacher sees who replaces them; the cancelled lesson is struck
    through and marked; the substitute sees the lesson in their own week."""
    await _school_with_changes()
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        page = await c.get("/timetable" + WEEK)
        assert page.status_code == 200
        assert "Мои уроки" in page.text and "неделя <span class=\"tt-letter\"" in page.text
        assert "замена: Кузнецов О. И." in page.text
        assert "<s>Русский язык</s>" in page.text and ">отменён<" in page.text
        assert "Расписание класса, учителя, кабинета" in page.text  # pickers: timetable.view
    async with client() as c:
        await sign_in(c, "other", PASSWORD)
        page = await c.get("/timetable" + WEEK)
        assert "замена: вместо Попова М. С." in page.text and "6Б" in page.text


async def test_a_parent_sees_their_child_only(db):
    """R-ROLE-3: a parent's entry page is their child's week; another child's week is 404,
    and so are the class, teacher and room weeks; reading the child's week is logged."""
    t = await _school_with_changes()
    people = t.school.people
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        page = await c.get("/timetable" + WEEK)
        assert page.status_code == 200 and "Морозов Артём, 5А" in page.text
        assert "замена: Кузнецов О. И." in page.text
        own = await c.get(f"/timetable/student/{people['pupil1']}{WEEK}")
        assert own.status_code == 200 and "Математика" in own.text
        for path in (f"/timetable/student/{people['pupil2']}", f"/timetable/student/{people['pupil3']}",
                     f"/timetable/class/{t.school.classes['5А']}", f"/timetable/teacher/{people['uchitel']}",
                     f"/timetable/room/{t.rooms['12']}", "/timetable/student/99999999999"):
            assert (await c.get(path)).status_code == 404, path
    seen = {(r["person_id"], r["what"]) for r in await AccessLog.select().run()}
    assert seen == {(people["pupil1"], "расписание ученика")}


async def test_a_student_sees_only_self(db):
    t = await _school_with_changes()
    people = t.school.people
    async with client() as c:
        await sign_in(c, "pupil1", PASSWORD)
        page = await c.get("/timetable" + WEEK)
        assert page.status_code == 200 and "Мои уроки" in page.text and "Попова М. С." in page.text
        assert "Расписание класса, учителя, кабинета" not in page.text
        assert (await c.get(f"/timetable/student/{people['pupil1']}")).status_code == 200
        assert (await c.get(f"/timetable/student/{people['pupil2']}")).status_code == 404
        assert (await c.get(f"/timetable/class/{t.school.classes['5А']}")).status_code == 404
    assert await AccessLog.count().run() == 0  # one's own timetable is not someone else's data


async def test_without_timetable_view_a_teacher_has_only_their_own(db):
    """R-ROLE-3: with timetable.view taken from teachers, a teacher opens their own week and a
    class teacher their own class; another teacher's week, another class, any room answer 404."""
    t = await _school_with_changes()
    people, classes = t.school.people, t.school.classes
    await _drop_view_right("teacher", "class_teacher")
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        assert (await c.get(f"/timetable/teacher/{people['klruk']}")).status_code == 200
        assert (await c.get(f"/timetable/class/{classes['5А']}{WEEK}")).status_code == 200
        assert (await c.get(f"/timetable/teacher/{people['uchitel']}")).status_code == 404
        assert (await c.get(f"/timetable/class/{classes['6Б']}")).status_code == 404
        assert (await c.get(f"/timetable/room/{t.rooms['12']}")).status_code == 404
        assert "Расписание класса, учителя, кабинета" not in (await c.get("/timetable")).text
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)  # still holds it
        assert (await c.get(f"/timetable/teacher/{people['uchitel']}")).status_code == 200


async def test_class_week_hides_individual_lessons_and_room_says_busy(db):
    """152-ФЗ: an individual lesson is not in the class's week; the room's week shows the time as
    «занят» without the student's name."""
    t = await timetable_school()
    await add_lesson(t, MONDAY, 1, "uchitel")
    await add_lesson(t, MONDAY, 5, "klruk", school_class=None, student="pupil1", subject="Русский язык")
    async with client() as c:
        await sign_in(c, "other", PASSWORD)
        klass = await c.get(f"/timetable/class/{t.school.classes['5А']}{WEEK}")
        assert "Математика" in klass.text and "Русский язык" not in klass.text
        room = await c.get(f"/timetable/room/{t.rooms['12']}{WEEK}")
        assert '<span class="tt-title">занят</span>' in room.text and "Морозов" not in room.text and "Русский язык" not in room.text
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        child = await c.get(f"/timetable/student/{t.school.people['pupil1']}{WEEK}")
        assert "Русский язык" in child.text and "индивидуальное занятие" in child.text


async def test_week_switcher_and_printable_week(db):
    """The switcher moves by a week and back to today; the print layout is A4 landscape with
    no menu."""
    t = await _school_with_changes()
    path = f"/timetable/class/{t.school.classes['5А']}"
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        page = await c.get(path + WEEK)
        assert f'href="{path}?week={(MONDAY - timedelta(days=7)).isoformat()}"' in page.text
        assert f'href="{path}?week={(MONDAY + timedelta(days=7)).isoformat()}"' in page.text
        assert "23–27 ноября 2026" in page.text
        for printable in (path + WEEK + "&print=1", f"{path}/print{WEEK}"):
            sheet = await c.get(printable)
            assert sheet.status_code == 200
            assert "size: A4 landscape" in sheet.text and 'class="main-nav"' not in sheet.text
            assert "замена: Кузнецов О. И." in sheet.text
        assert (await c.get(path + "?week=2026-13-45")).status_code == 200  # nonsense: this week
        go = await c.get(f"/timetable/go?kind=room&id={t.rooms['14']}")
        assert go.headers["location"] == f"/timetable/room/{t.rooms['14']}"


async def _queries(c, monkeypatch, path: str) -> int:
    await c.get(path)  # the session's sliding expiry settles first
    with counting(monkeypatch) as seen:
        response = await c.get(path)
        assert response.status_code == 200
    return len(seen)


async def test_weeks_cost_the_same_queries_for_two_lessons_or_sixty(db, monkeypatch):
    """Fast (issue item 9): a class's, a teacher's, a student's week and the entry page cost a
    constant number of queries whatever the number of lessons, changes and groups."""
    t = await _school_with_changes()
    people, classes = t.school.people, t.school.classes
    paths = [f"/timetable/class/{classes['5А']}{WEEK}", f"/timetable/teacher/{people['uchitel']}{WEEK}",
             f"/timetable/student/{people['pupil1']}{WEEK}", f"/timetable/room/{t.rooms['12']}{WEEK}",
             f"/timetable{WEEK}"]
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        small = [await _queries(c, monkeypatch, p) for p in paths]
        for day in range(6):
            for number in range(3, 8):
                lesson = await add_lesson(t, MONDAY + timedelta(days=day), number, "uchitel")
                if number == 4:
                    await Lesson.update({Lesson.taught_by: people["klruk"], Lesson.room_changed: True}).where(
                        Lesson.id == lesson).run()
                await add_lesson(t, MONDAY + timedelta(days=day), number, "other", school_class="6Б", room="14")
        big = [await _queries(c, monkeypatch, p) for p in paths]
    assert small == big, (small, big)
    assert max(big) <= 12, big


async def test_feed_address_made_on_the_page_works_without_signing_in(db):
    """Issue item 7: a person makes an address on /timetable/feeds, sees it once, a calendar
    opens it without a session; the stored row holds no token; revoking makes it 404."""
    t = await timetable_school()
    lesson = await add_lesson(t, MONDAY, 1, "uchitel")
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        page = await c.get("/timetable/feeds")
        assert page.status_code == 200 and "Морозов Артём" in page.text
        made = await post_form(c, "/timetable/feeds", {"person": str(t.school.people["pupil1"])})
        assert made.status_code == 200 and "Ссылка создана" in made.text
        url = re.search(r'value="(http://ezh\.test/timetable/feed/[^"]+\.ics)"', made.text).group(1)
        again = await c.get("/timetable/feeds")
        assert url not in again.text and "действует" in again.text
        foreign = await post_form(c, "/timetable/feeds", {"person": str(t.school.people["pupil2"])})
        assert foreign.status_code == 404
        bad = await post_form(c, "/timetable/feeds", {"person": "abc"})
        assert bad.status_code == 400 and "ожидается целое число" in bad.text
    token = url.rsplit("/", 1)[1][:-4]
    assert all(token not in str(r) for r in await CalendarFeed.select().run())
    async with client() as anonymous:
        r = await anonymous.get(url.removeprefix("http://ezh.test"))
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
        assert r.headers["cache-control"] == "no-store"
        events = Calendar.from_ical(r.content).walk("VEVENT")
        assert [str(e["UID"]) for e in events] == [f"lesson-{lesson}@ezh"]
        assert str(events[0]["SUMMARY"]) == "Математика"
        assert (await anonymous.get("/timetable/feed/" + "x" * 43 + ".ics")).status_code == 404
        assert (await anonymous.get("/timetable/feed/" + token)).status_code == 404
        assert (await anonymous.get("/timetable")).status_code in (302, 303)
    [feed] = await CalendarFeed.select().run()
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        page = await c.get("/timetable/feeds")
        revoked = await c.post(f"/timetable/feeds/{feed['id']}/revoke", data={"_csrf_token": csrf_from(page.text)})
        assert revoked.status_code in (302, 303)
        assert "отозвана" in (await c.get("/timetable/feeds")).text
    async with client() as anonymous:
        assert (await anonymous.get(url.removeprefix("http://ezh.test"))).status_code == 404


async def test_a_teacher_who_is_also_a_parent_finds_the_child_s_week(db):
    """A teacher whose child is a pupil of the school: the entry page is the teacher's own week,
    with a link to the child's."""
    t = await timetable_school()
    await add_lesson(t, MONDAY, 1, "uchitel")
    await ParentLink.insert(ParentLink(parent=t.school.people["uchitel"], child=t.school.people["pupil3"],
                                       kind="мать", created_at=datetime.now(UTC))).run()
    await do_set_user_roles(SYSTEM, t.school.users["uchitel"], {"teacher", "parent"}, "проверка")
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        page = await c.get("/timetable/" + WEEK)
        assert page.status_code == 200 and "Мои уроки" in page.text
        assert f'href="/timetable/student/{t.school.people["pupil3"]}"' in page.text
        assert (await c.get(f"/timetable/student/{t.school.people['pupil3']}")).status_code == 200
