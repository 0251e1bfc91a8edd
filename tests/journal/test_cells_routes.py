"""Saving cells over HTTP as the grid's script does (R-ATT-1, R-GRADE-1, R-GRADE-3, R-GRADE-4,
R-SEC-3): JSON answers for a save, a conflict, a locked lesson and bad input, each refusal in
Russian with nothing written; a foreign lesson is exactly a missing one; a cell's fragment shows
its grades and history and changes a grade's kind of work and comment."""

from __future__ import annotations

import re
from datetime import date

import pytest

from service.audit.tables import AuditEvent
from service.journal import access
from service.journal.tables import Correction, Grade, JournalSetting, WorkKind
from tests.factories import PASSWORD
from tests.journal.factories import journal_school
from tests.routes import client, sign_in

pytestmark = pytest.mark.anyio

MONDAY = date(2026, 11, 23)  # two days before TODAY: free to edit
OLD = date(2026, 11, 6)  # 19 days before TODAY: locked (the school allows 7)
JSON = {"accept": "application/json"}


async def token(c) -> str:
    html = (await c.get("/home")).text
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


async def save(c, data: dict, headers: dict | None = None):
    """A cell as the grid's script posts it: form fields, the CSRF header, JSON wanted."""
    return await c.post("/journal/cell", data=data,
                        headers={"x-csrftoken": await token(c), **JSON, **(headers or {})})


async def counts() -> tuple[int, int]:
    return await AuditEvent.count().run(), await Grade.count().run()


async def test_a_teacher_saves_a_cell_and_sees_it_in_its_history(db):
    """R-GRADE-1, R-ATT-1: «н 5» typed into a cell is saved (JSON: state, text), and the cell's
    fragment shows it with its history (who, old → new)."""
    s = await journal_school()
    lesson, p1 = s.lessons[MONDAY], s.people["pupil1"]
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        r = await save(c, {"lesson": lesson, "student": p1, "value": "н 5", "was": ""})
        assert r.status_code == 200 and r.json() == {"state": "saved", "text": "н 5", "correction": None}
        r = await save(c, {"lesson": lesson, "student": p1, "value": "н  5", "was": "н 5"})
        assert r.json()["state"] == "same"
        html = (await c.get(f"/journal/cell/{lesson}/{p1}")).text
    assert "Морозов Артём" in html and "<strong>н 5</strong>" in html
    assert "«пусто» → «н 5»" in html and "Ответ на уроке" in html


@pytest.mark.parametrize(("data", "status", "field", "message"), [
    ({"value": "6", "day": MONDAY}, 400, "value", "не отметка системы «Пятибалльная»"),
    ({"value": "5", "day": MONDAY, "who": "pupil3"}, 400, "student", "не учился"),
    ({"value": "5", "day": date(2026, 11, 27)}, 400, "value", "ещё не прошёл"),
    ({"value": "5", "day": OLD}, 422, None, "укажите причину"),
    ({"value": "5" * 41, "day": MONDAY}, 400, "value", "не длиннее 40"),
    ({"value": "5\x00", "day": MONDAY}, 400, "value", "недопустимый символ"),
    ({"value": "5", "day": MONDAY, "reason": "я" * 1001}, 400, "reason", "не длиннее 1000"),
    ({"value": "5", "lesson": "abc"}, 400, "lesson", "ожидается целое число"),
    ({"value": "5", "lesson": ""}, 400, "lesson", "заполните поле"),
    ({"value": "5", "day": MONDAY, "student": "99999999999999"}, 400, "student", "число от 1"),
])
async def test_bad_input_is_answered_in_russian_and_changes_nothing(db, data, status, field, message):
    """The issue's bad-input list over HTTP: a grade outside the system, a student not in the
    class that day, a lesson that has not taken place, a locked lesson without a reason, and junk
    — each a JSON refusal naming the field, nothing written."""
    s = await journal_school()
    form = {"lesson": data.get("lesson", s.lessons.get(data.get("day"), "")),
            "student": data.get("student", s.people[data.get("who", "pupil1")]),
            "value": data["value"], "was": "", "reason": data.get("reason", "")}
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        before = await counts()
        r = await save(c, form)
        assert r.status_code == status, r.text
        body = r.json()
        assert message in body["error"]
        if status == 422:
            assert body["need"] == "reason"
        else:
            assert body["field"] == field
        assert await counts() == before


async def test_two_teachers_on_one_cell_the_later_sees_the_conflict(db):
    """R-SEC-3: both saw the cell empty; the later save answers 409 with what the cell holds now,
    and nothing of it is written."""
    s = await journal_school()
    lesson, p1 = s.lessons[MONDAY], s.people["pupil1"]
    async with client() as first, client() as second:
        await sign_in(first, "uchitel", PASSWORD)
        await sign_in(second, "klruk", PASSWORD)
        assert (await save(first, {"lesson": lesson, "student": p1, "value": "5", "was": ""})).status_code == 200
        before = await counts()
        r = await save(second, {"lesson": lesson, "student": p1, "value": "3", "was": ""})
        assert r.status_code == 409
        assert r.json()["current"] == "5" and "сейчас в ней «5»" in r.json()["error"]
        assert await counts() == before


async def test_a_locked_lesson_takes_a_reason_and_may_go_to_approval(db):
    """R-GRADE-4: a reason lets a late entry in; where the school asks for approval the answer
    is «pending» with the correction's number and the cell keeps its text."""
    s = await journal_school()
    lesson, p1 = s.lessons[OLD], s.people["pupil1"]
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        r = await save(c, {"lesson": lesson, "student": p1, "value": "5", "reason": "Забыл выставить"})
        assert r.json()["state"] == "saved"
        await JournalSetting.insert(JournalSetting(year=s.t.year, approval_required=True,
                                                   plans_due=date(2026, 9, 10), updated_at=access.now())).run()
        r = await save(c, {"lesson": lesson, "student": p1, "value": "4", "was": "5"})
        assert r.status_code == 422 and r.json()["need"] == "approval"
        r = await save(c, {"lesson": lesson, "student": p1, "value": "4", "was": "5", "reason": "Ошибся"})
        correction = (await Correction.select(Correction.id).first().run())["id"]
        assert r.json() == {"state": "pending", "text": "5", "correction": correction}


async def test_a_foreign_lesson_is_exactly_a_missing_one(db):
    """R-SEC-3: a teacher of another journal, a parent and a missing id all get the same 404."""
    s = await journal_school()
    lesson, p1 = s.lessons[MONDAY], s.people["pupil1"]
    answers = []
    for login, target in [("other", lesson), ("roditel", lesson), ("uchitel", 99999999), ("uchitel", 2**31 - 1)]:
        async with client() as c:
            await sign_in(c, login, PASSWORD)
            r = await save(c, {"lesson": target, "student": p1, "value": "5"})
            answers.append((r.status_code, r.json()))
            r = await c.get(f"/journal/cell/{target}/{p1}")
            assert r.status_code == 404
    assert answers == [(404, {"error": "Не найдено", "field": None})] * 4
    assert await Grade.count().run() == 0


async def test_without_the_script_a_save_goes_back_to_the_journal(db):
    """A browser without JavaScript posting the cell form: back to the journal after a save, a
    Russian page after a refusal; signed out: to the login page; no CSRF token: refused."""
    s = await journal_school()
    lesson, p1 = s.lessons[MONDAY], s.people["pupil1"]
    html = {"accept": "text/html,application/xhtml+xml"}
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        r = await save(c, {"lesson": lesson, "student": p1, "value": "4"}, headers=html)
        assert r.status_code == 303 and r.headers["location"] == s.math.path
        r = await save(c, {"lesson": lesson, "student": p1, "value": "7"}, headers=html)
        assert r.status_code == 400 and "не отметка системы" in r.text and "<html" in r.text
        r = await c.post("/journal/cell", data={"lesson": lesson, "student": p1, "value": "5"}, headers=JSON)
        assert r.status_code == 403
    async with client() as c:
        r = await c.post("/journal/cell", data={"lesson": lesson, "student": p1, "value": "5"})
        assert r.status_code in (302, 303, 401, 403)
    assert [g["mark"] for g in await Grade.select(Grade.mark).run()] == ["4"]


async def test_a_grade_gets_its_kind_of_work_and_a_comment(db):
    """R-GRADE-3: the fragment's form turns an answer into a test (weight 3) with a comment; the
    grade keeps its mark, takes the new weight, and the change is in the cell's history."""
    s = await journal_school()
    lesson, p1 = s.lessons[MONDAY], s.people["pupil1"]
    test_kind = (await WorkKind.select(WorkKind.id).where(WorkKind.name == "Контрольная работа").first().run())["id"]
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        await save(c, {"lesson": lesson, "student": p1, "value": "4"})
        grade = (await Grade.select(Grade.id).first().run())["id"]
        page = (await c.get(f"/journal/cell/{lesson}/{p1}")).text
        assert f'hx-post="/journal/grade/{grade}"' in page
        csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
        r = await c.post(f"/journal/grade/{grade}", headers={"hx-request": "true"},
                         data={"work_kind": test_kind, "comment": "Ошибка в задаче 3", "_csrf_token": csrf})
        assert r.status_code == 200 and "Сохранено" in r.text
        assert "Ошибка в задаче 3" in r.text and "«4 (Ответ на уроке)» → «4 (Контрольная работа): Ошибка в задаче 3»" in r.text
        row = await Grade.select(Grade.mark, Grade.weight, Grade.comment).first().run()
        assert (row["mark"], float(row["weight"]), row["comment"]) == ("4", 3.0, "Ошибка в задаче 3")
        r = await c.post(f"/journal/grade/{grade}", headers={"hx-request": "true"},
                         data={"work_kind": 999999, "comment": "", "_csrf_token": csrf})
        assert "Вид работы: выберите вид из списка" in r.text
    async with client() as c:  # a teacher who does not write the lesson: 404, nothing changed
        await sign_in(c, "other", PASSWORD)
        r = await c.post(f"/journal/grade/{grade}", data={"work_kind": test_kind, "comment": "x",
                                                          "_csrf_token": await token(c)})
        assert r.status_code == 404
    assert (await Grade.select(Grade.comment).first().run())["comment"] == "Ошибка в задаче 3"


async def test_a_locked_grade_change_needs_a_reason_in_the_fragment(db):
    """R-GRADE-4 for a grade's kind: the fragment says a reason is needed and nothing changes."""
    s = await journal_school()
    lesson, p1 = s.lessons[OLD], s.people["pupil1"]
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        await save(c, {"lesson": lesson, "student": p1, "value": "4", "reason": "Поздно внесено"})
        grade = (await Grade.select(Grade.id, Grade.work_kind).first().run())
        before = await counts()
        r = await c.post(f"/journal/grade/{grade['id']}", headers={"hx-request": "true"},
                         data={"work_kind": grade["work_kind"], "comment": "Молодец", "_csrf_token": await token(c)})
        assert "укажите причину" in r.text and await counts() == before


async def test_the_class_teacher_sees_a_cell_but_a_parent_does_not(db):
    """R-SEC-3: the fragment is for those who see the journal; it shows no forms to a viewer
    who does not write the lesson."""
    s = await journal_school()
    lesson, p1 = s.lessons[MONDAY], s.people["pupil1"]
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        await save(c, {"lesson": lesson, "student": p1, "value": "5"})
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        r = await c.get(f"/journal/cell/{lesson}/{p1}")
        assert r.status_code == 200 and "<strong>5</strong>" in r.text and "/journal/grade/" not in r.text
        assert (await c.get(f"/journal/cell/{lesson}/{s.people['pupil3']}")).status_code == 404
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        assert (await c.get(f"/journal/cell/{lesson}/{p1}")).status_code == 404


async def test_the_paper_journal_is_carried_over_on_the_real_dates(db):
    """R-OPS-5 (issue 13 item 11): the grid's «Перенос с бумаги» mode marks every save, so a
    locked lesson of the outage takes the paper entry without asking for a reason; the lesson
    page's attendance list does the same with its checkbox; the cell's history says «с бумаги»."""
    from service.journal import cells

    s = await journal_school()
    old, p1, p2 = s.lessons[OLD], s.people["pupil1"], s.people["pupil2"]
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        html = (await c.get(s.math.path)).text
        assert "Перенос с бумаги" in html and 'data-paper="1"' not in html
        html = (await c.get(f"{s.math.path}?paper=1")).text
        assert 'data-paper="1"' in html and "Перенос из бумажного журнала" in html
        assert "Закончить перенос" in html
        r = await save(c, {"lesson": old, "student": p1, "value": "5", "was": ""})
        assert r.status_code == 422 and r.json()["need"] == "reason"  # an ordinary late save asks
        r = await save(c, {"lesson": old, "student": p1, "value": "5", "was": "", "paper": "1"})
        assert r.status_code == 200 and r.json()["state"] == "saved"
        fragment = (await c.get(f"/journal/cell/{old}/{p1}")).text
        assert "с бумаги" in fragment and cells.PAPER_REASON in fragment
        page = f"/journal/lesson/{old}"
        assert 'name="from_paper" value="1" checked' in (await c.get(page + "?paper=1")).text
        r = await c.post(f"{page}/attendance", data={f"att-{p2}": "absent", "from_paper": "1",
                                                      "_csrf_token": await token(c)})
        assert r.status_code in (302, 303)
    history = [r for r in await AuditEvent.select(AuditEvent.object_id, AuditEvent.reason).where(
        AuditEvent.action == "journal.cell_saved").run()]
    assert {h["object_id"] for h in history} == {access.cell_id(old, p1), access.cell_id(old, p2)}
    assert {h["reason"] for h in history} == {cells.PAPER_REASON}
