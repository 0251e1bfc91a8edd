"""Reports over HTTP (issue 11, R-SEC-3): the deputy head opens any scope, on screen and as a
file in every format; a class teacher only their own class (another one, a grade level or the
school is 404); a teacher or a parent has no reports (403); nonsense is 404; the pupils named
go to the access log."""

from __future__ import annotations

import csv
import io

import pytest

from service.audit.tables import AccessLog
from service.demo import DEMO_PASSWORD
from service.timetable.tables import Lesson
from tests.factories import demo_school
from tests.routes import client, sign_in

pytestmark = pytest.mark.anyio


async def _school() -> dict:
    await demo_school("S", 2026)
    rows = await Lesson.raw("SELECT c.id, c.name, c.class_teacher, y.id AS year FROM school_class c JOIN academic_year y "
                            "ON y.id = c.year WHERE y.is_current = {}", False).run()
    last = rows[0]
    current = (await Lesson.raw("SELECT c.id, c.name, c.class_teacher FROM school_class c JOIN academic_year y "
                                "ON y.id = c.year WHERE y.is_current = {}", True).run())[0]
    klruk = (await Lesson.raw("SELECT person FROM account WHERE login = 'klruk'").run())[0]["person"]
    assert klruk == current["class_teacher"]
    return {"last": last, "current": current}


async def test_the_deputy_opens_every_report_and_downloads_every_format(db):
    s = await _school()
    last = s["last"]
    async with client() as c:
        await sign_in(c, "zavuch", DEMO_PASSWORD)
        index = (await c.get("/reports")).text
        assert "Сводная ведомость итоговых отметок" in index and "Успеваемость и качество знаний" in index
        page = (await c.get(f"/reports/performance?year={last['year']}&period=year")).text
        assert "Успеваемость, %" in page
        assert page.count("<svg") >= 2 and ">Итоговые отметки</title>" in page  # the charts, inline
        assert ">Успеваемость и качество по периодам, %</title>" in page  # over time
        assert "вся школа" in page
        sheet = await c.get(f"/reports/summary-sheet?year={last['year']}&class={last['id']}")
        assert sheet.status_code == 200 and "Решение педагогического совета" in sheet.text
        assert "приказ №" in sheet.text and "М. П." in sheet.text
        for fmt, start in (("pdf", b"%PDF"), ("xlsx", b"PK"), ("ods", b"PK"), ("html", b"<!"), ("txt", "Сводная".encode()),
                           ("csv", "\ufeff".encode())):
            r = await c.get(f"/reports/summary-sheet?year={last['year']}&class={last['id']}&format={fmt}")
            assert r.status_code == 200, fmt
            assert r.content.lstrip().startswith(start), (fmt, r.content[:20])
            assert "attachment" in r.headers["content-disposition"]
        r = await c.get(f"/reports/performance?year={last['year']}&class={last['id']}&period=year&format=csv"
                        "&delimiter=comma")
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=","))
        assert any(row and row[0] == last["name"] for row in rows)
        page = (await c.get("/reports/attendance?month=2026-11")).text
        assert "Посещаемость: ноябрь 2026" in page and "По болезни" in page and "Дней пропущено" in page
        r = await c.get(f"/reports/attendance?class={s['current']['id']}&period=year&format=xlsx")
        assert r.status_code == 200 and r.content.startswith(b"PK")
        subject = (await Lesson.raw("SELECT subject FROM final_grade WHERE year = {} LIMIT 1", last["year"]).run())[0]
        page = (await c.get(f"/reports/performance?year={last['year']}&subject={subject['subject']}")).text
        assert "По журналам" in page and "предмет «" in page
        assert (await c.get(f"/reports/performance?year={last['year']}&subject=999999")).status_code == 404
        page = (await c.get("/reports/completion")).text
        assert "Выполнение программы на" in page and "Часов по КТП" in page
        teacher = (await Lesson.raw("SELECT teacher FROM teaching_load LIMIT 1").run())[0]["teacher"]
        assert (await c.get(f"/reports/completion?teacher={teacher}")).status_code == 200
        for bad in ("/reports/completion?teacher=999999", "/reports/attendance?month=2026-13", "/reports/attendance?month=1999-01",
                    "/reports/performance?period=abc", "/reports/performance?class=999999",
                    "/reports/performance?year=999999", "/reports/performance?format=exe",
                    "/reports/summary-sheet?class=-1"):
            assert (await c.get(bad)).status_code == 404, bad
    seen = await AccessLog.select(AccessLog.what).run()
    assert any("Сводная ведомость" in r["what"] for r in seen)


async def test_a_class_teacher_reports_on_their_own_class_only(sqlite_db):
    s = await _school()
    current = s["current"]
    async with client() as c:
        await sign_in(c, "klruk", DEMO_PASSWORD)
        assert (await c.get(f"/reports/summary-sheet?class={current['id']}")).status_code == 200
        page = (await c.get("/reports/performance")).text  # defaults to their class, not the school
        assert current["name"] in page and "вся школа" not in page
        assert (await c.get(f"/reports/summary-sheet?class={s['last']['id']}")).status_code == 404
        assert "вся школа" not in (await c.get("/reports/performance?grade=5")).text
        assert (await c.get("/reports/completion?teacher=1")).status_code == 404  # teachers: the administration's
        assert (await c.get("/reports/performance?subject=1")).status_code == 404
    for login in ("uchitel", "roditel"):
        async with client() as c:
            await sign_in(c, login, DEMO_PASSWORD)
            assert (await c.get("/reports")).status_code == 403
            assert (await c.get(f"/reports/summary-sheet?class={current['id']}")).status_code == 403


async def test_the_observer_sees_figures_without_names(db):
    """The education authority's observer (right «Сводные показатели… без персональных
    данных»): performance and attendance of the school as figures per class — no section that
    names a pupil, nothing in the access log; the summary sheet and the reports page are closed."""
    await _school()
    before = await AccessLog.count().run()
    async with client() as c:
        await sign_in(c, "nablyudatel", DEMO_PASSWORD)
        page = (await c.get("/reports/performance?period=year")).text
        assert "Итоги по классам" in page and "без имён учеников" in page
        assert "Отличники" not in page and "Неуспевающие:" not in page
        page = (await c.get("/reports/attendance")).text
        assert "По классам" in page and "Больше всего пропусков" not in page
        data = (await c.get("/reports/performance?period=year&format=json")).json()
        assert [s["title"] for s in data["sections"]] == ["Итоги по классам"]
        assert (await c.get("/reports/summary-sheet")).status_code == 403
        assert (await c.get("/reports")).status_code == 403
        assert (await c.get("/reports/performance?subject=1")).status_code == 404
    assert await AccessLog.count().run() == before
