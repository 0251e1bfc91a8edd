"""The timetable in a real browser (R-TT-2, issue 8 item 5): the deputy head adds a lesson to a
class's grid through the htmx form — a teacher busy at that time is refused with both lessons
named and nothing is saved; a free teacher is saved and the class's dated week shows the lesson.
A parent reads the children's week day by day on a phone."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pytest

from service.demo import DEMO_PASSWORD
from tests.e2e.conftest import LIVE

pytestmark = pytest.mark.e2e
WEEKDAYS = {1: "понедельник", 2: "вторник", 3: "среда", 4: "четверг", 5: "пятница"}


def _sign_in(page, server: str, login: str) -> None:
    page.goto(server + "/login")
    page.get_by_label("Логин").fill(login)
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url("**/home")


def _cells() -> dict:
    """From the live server's database: a class, a teacher, a time when the class has a lesson
    and the teacher none (the clash to try), and a time when both are free (the lesson to add)."""
    db = sqlite3.connect(LIVE["database"])
    version = db.execute("SELECT id FROM timetable ORDER BY starts_on DESC LIMIT 1").fetchone()[0]
    slots = db.execute("SELECT s.weekday, s.number, COALESCE(s.school_class, g.school_class), s.teacher "
                       "FROM timetable_slot s LEFT JOIN study_group g ON g.id = s.study_group "
                       "WHERE s.timetable = ?", (version,)).fetchall()
    class_id, name = db.execute(  # this year's classes: the demo also has last year's, closed
        "SELECT c.id, c.name FROM school_class c JOIN academic_year y ON y.id = c.year "
        "WHERE y.is_current ORDER BY c.grade DESC, c.name").fetchone()
    class_busy = {(w, n) for w, n, c, _ in slots if c == class_id}
    subject = db.execute("SELECT id FROM subject ORDER BY id LIMIT 1").fetchone()[0]
    for teacher in sorted({t for _, _, _, t in slots}):
        teacher_busy = {(w, n) for w, n, _, t in slots if t == teacher}
        clash = sorted(class_busy - teacher_busy)
        free = sorted((w, n) for w in range(1, 6) for n in range(1, 8)
                      if (w, n) not in class_busy | teacher_busy)
        if clash and free:
            return {"version": version, "class_id": class_id, "class_name": name, "teacher": teacher,
                    "clash": clash[0], "free": free[0], "subject": subject}
    raise AssertionError("the demo timetable has no free cell to try")


def _fill_new_lesson(page, target: str, subject: int, teacher: int) -> None:
    page.wait_for_selector("#grid-form select#f-teacher")
    page.select_option("#f-week", "0")
    page.select_option("#f-target", target)
    page.select_option("#f-subject", str(subject))
    page.select_option("#f-teacher", str(teacher))
    page.select_option("#f-room", index=0)
    with page.expect_response(lambda r: r.request.method == "POST" and "/slots" in r.url, timeout=60_000):
        page.get_by_role("button", name="Добавить урок").click()


def _plus(page, weekday: int, number: int):
    return page.get_by_label(f"Добавить урок: {WEEKDAYS[weekday]}, {number}-й урок")


def test_deputy_adds_a_lesson_and_a_clash_is_refused(live_server, browser):
    cell = _cells()
    page = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900}).new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    _sign_in(page, live_server, "zavuch")
    database = sqlite3.connect(LIVE["database"])

    def count() -> int:
        return database.execute("SELECT COUNT(*) FROM timetable_slot").fetchone()[0]

    # the teacher's grid: a lesson for the class at a time the class already has one
    before = count()
    page.goto(f"{live_server}/timetable/grid/{cell['version']}/teacher/{cell['teacher']}")
    _plus(page, *cell["clash"]).click()
    _fill_new_lesson(page, f"c{cell['class_id']}", cell["subject"], cell["teacher"])
    page.locator("#grid-panel").get_by_text("у класса уже есть урок").wait_for()
    assert "уже есть:" in page.locator("#grid-panel").inner_text()
    assert count() == before, "a refused lesson is not saved"

    # the class's grid: the same lesson at a free time is saved and shown in the cell
    page.goto(f"{live_server}/timetable/grid/{cell['version']}/class/{cell['class_id']}")
    _plus(page, *cell["free"]).click()
    # saved, the answer sends the browser (htmx's HX-Redirect) to the grid again: wait for that
    # page, or the next goto collides with it
    with page.expect_navigation(timeout=60_000):
        _fill_new_lesson(page, f"c{cell['class_id']}", cell["subject"], cell["teacher"])
    slot = database.execute("SELECT id FROM timetable_slot WHERE school_class = ? AND weekday = ? "
                            "AND number = ?", (cell["class_id"], *cell["free"])).fetchone()
    assert slot is not None and count() == before + 1
    page.goto(f"{live_server}/timetable/grid/{cell['version']}/class/{cell['class_id']}")
    assert page.locator(f"a[href*='slot={slot[0]}']").count() == 1

    # the class's dated week shows it from now on
    first = database.execute("SELECT MIN(on_date) FROM lesson WHERE slot = ?", (slot[0],)).fetchone()[0]
    assert first is not None and date.fromisoformat(first) >= date.today() - timedelta(days=1)
    page.goto(f"{live_server}/timetable/class/{cell['class_id']}?week={first}")
    assert cell["class_name"] in page.content()
    assert problems == [], problems
    page.context.close()


def test_a_parent_reads_the_week_day_by_day_on_a_phone(live_server, browser):
    page = browser.new_context(locale="ru-RU", viewport={"width": 390, "height": 800}).new_page()
    _sign_in(page, live_server, "roditel")
    page.goto(live_server + "/timetable")
    assert page.locator("table.tt-grid").is_hidden()
    days = page.locator(".tt-days .tt-day")
    assert days.count() >= 5 and days.first.is_visible()
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.locator("table.tt-grid").is_visible()
    page.context.close()
