"""The deputy head sets up a year in the browser (R-YEAR-1, R-YEAR-2, R-ORG-1, R-ORG-2,
R-JOURNAL-1): the pages, their Russian form errors, who may open them (R-SEC-1: a teacher or a
parent is refused, a foreign id answers 404) and that a POST sent without the page meets the
action's own refusals."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from service.accounts.actions import do_create_user
from service.audit.tables import AuditEvent
from service.school import actions
from service.school.tables import AcademicYear, SchoolClass, StudyGroup, Subject, TeachingLoad
from tests.factories import PASSWORD, SYSTEM
from tests.routes import client, csrf_from, post_form, sign_in
from tests.school.test_actions import school
from tests.snapshots import snapshotted

pytestmark = pytest.mark.anyio


@snapshotted
async def deputy_school():
    s = await school()
    await do_create_user(SYSTEM, "zavuch", PASSWORD, ["deputy"], None)
    return s


async def test_the_deputy_sets_up_a_year_in_the_browser(db):
    s = await deputy_school()
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        home = await c.get("/home")
        assert 'href="/school/years"' in home.text
        years = await c.get("/school/years")
        assert "2026/2027" in years.text and 'value="2027/2028"' in years.text  # the next one offered
        r = await post_form(c, "/school/years", {"name": "2027/2028", "starts_on": "2027-09-01",
                                                 "ends_on": "2028-05-26", "junior": "trimesters"})
        assert r.status_code == 303
        year_page = await c.get(r.headers["location"])
        assert "Учебный год 2027/2028" in year_page.text
        assert "1 триместр" in year_page.text and "2 полугодие" in year_page.text
        assert "Зимние каникулы" in year_page.text and "5-дневка / 6-дневка" in year_page.text
        year = (await AcademicYear.select(AcademicYear.id).where(AcademicYear.name == "2027/2028")
                .first().run())["id"]

        r = await post_form(c, f"/school/years/{year}/classes", {"grade": "7", "letter": "б", "week_days": "6",
                                                                 "class_teacher": str(s.people["uchitel"])},
                            page=f"/school/years/{year}/classes")
        assert r.status_code == 303
        classes = await c.get(f"/school/years/{year}/classes")
        assert "7Б" in classes.text and "6-дневная" in classes.text and "Попова" in classes.text
        assert "data-print" in classes.text  # the class list prints

        r = await post_form(c, "/school/subjects", {"name": "Иностранный язык (английский)",
                                                    "short_name": "Англ. яз."})
        assert r.status_code == 303
        english = (await Subject.select(Subject.id).where(Subject.short_name == "Англ. яз.").first().run())["id"]
        seven_b = (await SchoolClass.select(SchoolClass.id).where(SchoolClass.year == year).first().run())["id"]
        r = await post_form(c, f"/school/years/{year}/groups",
                            {"kind": "subgroup", "name": "7Б англ. 1 группа", "school_class": str(seven_b),
                             "subject": str(english)}, page=f"/school/years/{year}/groups")
        assert r.status_code == 303
        groups = await c.get(f"/school/years/{year}/groups")
        assert "7Б англ. 1 группа" in groups.text and "подгруппа класса" in groups.text

        r = await post_form(c, f"/school/years/{year}/load",
                            {"teacher": str(s.people["uchitel"]), "subject": str(english),
                             "target": f"c{seven_b}", "hours": "3", "starts_on": "2027-09-01"},
                            page=f"/school/years/{year}/load")
        assert r.status_code == 303, r.text
        load = (await TeachingLoad.select(TeachingLoad.id).where(TeachingLoad.school_class == seven_b)
                .first().run())["id"]
        r = await post_form(c, f"/school/load/{load}/change",
                            {"teacher": str(s.people["other"]), "hours": "3", "from_date": "2028-01-09"},
                            page=f"/school/load/{load}")
        assert r.status_code == 303
        history = await c.get(r.headers["location"])
        assert "Кузнецов" in history.text and "Попова" in history.text
        assert "по 8 января 2028" in history.text and "с 9 января 2028" in history.text
        by_class = await c.get(f"/school/years/{year}/load?class_id={seven_b}")
        assert by_class.text.count("/school/load/") >= 2


async def test_form_errors_are_russian_and_keep_what_was_typed(db):
    s = await deputy_school()
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        r = await post_form(c, "/school/years", {"name": "2027/2028", "starts_on": "2027-09-01",
                                                 "ends_on": "2027-13-40"})
        assert r.status_code == 400 and "Окончание учебного года: такой даты нет" in r.text
        assert 'value="2027/2028"' in r.text
        r = await post_form(c, f"/school/years/{s.year}/periods",
                            {"scheme": "quarters", "number": "4", "grade_from": "1", "grade_to": "9",
                             "starts_on": "2027-03-30", "ends_on": "2027-06-30"}, page=f"/school/years/{s.year}")
        assert r.status_code == 400 and "Период выходит за пределы учебного года" in r.text
        r = await post_form(c, f"/school/years/{s.year}/load",
                            {"teacher": str(s.people["uchitel"]), "subject": str(s.subject),
                             "target": f"c{s.classes['6Б']}", "hours": "41", "starts_on": "2026-10-01"},
                            page=f"/school/years/{s.year}/load")
        assert r.status_code == 400 and "Часов в неделю: число от 1 до 40" in r.text


async def test_a_teacher_or_a_parent_cannot_open_or_post(db):
    s = await deputy_school()
    before = await AuditEvent.count().run()
    for login in ("uchitel", "roditel"):
        async with client() as c:
            await sign_in(c, login, PASSWORD)
            home = await c.get("/home")
            assert 'href="/school/years"' not in home.text
            for path in ("/school/years", f"/school/years/{s.year}", f"/school/years/{s.year}/load",
                         "/school/subjects", f"/school/classes/{s.classes['5А']}"):
                assert (await c.get(path)).status_code == 403, path
            token = csrf_from(home.text)
            r = await c.post("/school/subjects", data={"name": "Астрономия", "_csrf_token": token})
            assert r.status_code == 403
            r = await c.post(f"/school/years/{s.year}/classes",
                             data={"grade": "9", "letter": "В", "_csrf_token": token})
            assert r.status_code == 403
    assert await Subject.count().where(Subject.name == "Астрономия").run() == 0
    assert await SchoolClass.count().run() == 2
    # signing in wrote audit rows; nothing else did
    assert {r["action"] for r in await AuditEvent.select(AuditEvent.action).where(AuditEvent.seq > before).run()} \
        <= {"accounts.login"}


async def test_foreign_ids_answer_404(db):
    await deputy_school()
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        for path in ("/school/years/999999", "/school/years/999999/classes", "/school/years/999999/load",
                     "/school/years/999999/groups", "/school/groups/999999", "/school/load/999999",
                     "/school/classes/999999"):
            r = await c.get(path)
            assert r.status_code == 404 and "Страница не найдена" in r.text, path
        token = csrf_from((await c.get("/school/years")).text)
        for path in ("/school/periods/999999", "/school/days/999999", "/school/load/999999/end",
                     "/school/subjects/999999"):
            r = await c.post(path, data={"_csrf_token": token, "name": "Физика", "starts_on": "2026-10-01",
                                         "ends_on": "2026-10-02", "last_day": "2026-10-01"})
            assert r.status_code == 404, path


async def test_a_direct_post_meets_the_action_s_refusals(db):
    """A POST that skipped the page (a teacher who left, a closed year, a doubled class) is
    refused by the action itself, with a Russian message; nothing is written."""
    s = await deputy_school()
    gid = await actions.do_create_group(SYSTEM, s.year, "gpd", "ГПД 1 класс")
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        token = csrf_from((await c.get("/school/years")).text)
        before = await AuditEvent.count().run()
        r = await c.post(f"/school/years/{s.year}/load", data={
            "_csrf_token": token, "teacher": str(s.people["admin"]), "subject": str(s.subject),
            "target": f"g{gid}", "hours": "2", "starts_on": "2026-10-01"})
        assert r.status_code == 400 and "уволен" in r.text
        r = await c.post(f"/school/years/{s.year}/classes", data={
            "_csrf_token": token, "grade": "5", "letter": "А", "week_days": "5"})
        assert r.status_code == 400 and "Класс 5А в этом году уже есть" in r.text
        r = await c.post(f"/school/years/{s.year}/groups", data={
            "_csrf_token": token, "kind": "subgroup", "name": "5А подгруппа", "school_class": str(s.classes["5А"])})
        assert r.status_code == 400 and "выберите предмет" in r.text
        await AcademicYear.update({AcademicYear.closed_at: datetime(2027, 6, 30, tzinfo=UTC)}).where(AcademicYear.id == s.year).run()
        r = await c.post(f"/school/years/{s.year}/classes", data={
            "_csrf_token": token, "grade": "9", "letter": "В", "week_days": "5"})
        assert r.status_code == 400 and "закрыт" in r.text
        page = await c.get(f"/school/years/{s.year}/classes")
        assert "закрыт" in page.text and f'action="/school/years/{s.year}/classes"' not in page.text
        assert await AuditEvent.count().run() == before
    assert await StudyGroup.count().run() == 1 and await SchoolClass.count().run() == 2
    assert await TeachingLoad.count().run() == 2


async def test_the_group_page_lists_members_read_only_and_logs_the_read(db):
    """R-JOURNAL-1: a group's page shows who is in it on this day; the list is personal data,
    so the read is logged like a class list."""
    from service.audit.tables import AccessLog
    from service.school.tables import GroupMember

    s = await deputy_school()
    gid = await actions.do_create_group(SYSTEM, s.year, "club", "Кружок «Шахматы»")
    await GroupMember.insert(GroupMember(study_group=gid, student=s.people["pupil1"], starts_on=date(2026, 9, 1)),
                             GroupMember(study_group=gid, student=s.people["pupil3"], starts_on=date(2026, 9, 1),
                                         ends_on=date(2026, 9, 30))).run()
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        page = await c.get(f"/school/groups/{gid}")
        assert page.status_code == 200 and "Морозов" in page.text and "Соколов" not in page.text
        assert "<form" not in re.sub(r'<form class="logout-form".*?</form>', "", page.text, flags=re.S)
    assert [r["person_id"] for r in await AccessLog.select().run()] == [s.people["pupil1"]]


async def test_sections_without_a_year_lead_to_the_current_year(db):
    """The readiness check-list links to /school/load, /school/classes, /school/groups."""
    s = await deputy_school()
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        for section in ("load", "classes", "groups"):
            r = await c.get(f"/school/{section}")
            assert r.status_code == 303 and r.headers["location"] == f"/school/years/{s.year}/{section}"
        await AcademicYear.update({AcademicYear.is_current: False}).where(AcademicYear.id == s.year).run()
        assert (await c.get("/school/load")).headers["location"] == "/school/years"
