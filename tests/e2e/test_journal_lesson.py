"""The lesson page in a real browser (R-LESSON-1, R-ATT-1): the demo teacher opens «Мои уроки
сегодня», opens a lesson, marks one student absent, sets a topic and homework, saves, and sees
them after a reload."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from service.demo import DEMO_PASSWORD
from tests.e2e.conftest import LIVE

pytestmark = pytest.mark.e2e


def _lesson() -> dict:
    """From the live server's database: the teacher's latest lesson that has taken place (the
    demo is generated for the real date), not cancelled, of a class or a group."""
    db = sqlite3.connect(LIVE["database"])
    person = db.execute("SELECT person FROM account WHERE login = 'uchitel'").fetchone()[0]
    row = db.execute(
        "SELECT id, on_date FROM lesson WHERE taught_by = ? AND NOT cancelled AND student IS NULL "
        "AND on_date <= ? ORDER BY on_date DESC, number LIMIT 1", (person, date.today().isoformat())).fetchone()
    assert row, "the demo teacher has no lesson that has taken place"
    return {"id": row[0], "day": row[1]}


def test_a_teacher_fills_a_lesson(live_server, page):
    lesson = _lesson()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(live_server + "/login")
    page.get_by_label("Логин").fill("uchitel")
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url("**/home")
    page.goto(f"{live_server}/journal/today?day={lesson['day']}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Мои уроки")
    page.locator(f'a[href="/journal/lesson/{lesson["id"]}"]').first.click()
    page.wait_for_url(f"**/journal/lesson/{lesson['id']}")

    selects = page.locator("table.attendance-list select")
    first = next(selects.nth(i) for i in range(selects.count()) if selects.nth(i).input_value() == "")
    name = first.get_attribute("name")
    first.select_option("absent")
    page.get_by_role("button", name="Сохранить посещаемость").click()
    page.wait_for_url("**saved=attendance**")
    page.get_by_text("Посещаемость сохранена").wait_for()

    page.get_by_label("Тема урока").fill("Проверка: решение задач на движение")
    page.get_by_label("Домашнее задание для всех").fill("№ 245, 247 (проверка)")
    page.get_by_role("button", name="Сохранить запись урока").click()
    page.wait_for_url("**saved=entry**")
    page.get_by_text("Запись урока сохранена").wait_for()

    page.reload()
    assert page.get_by_label("Тема урока").input_value() == "Проверка: решение задач на движение"
    assert page.get_by_label("Домашнее задание для всех").input_value() == "№ 245, 247 (проверка)"
    assert page.locator(f'select[name="{name}"]').input_value() == "absent"
    assert not problems
