"""The weekly printout of a class's diaries (R-DIARY-2, issue 10 item 3): the class teacher
downloads one A4 PDF with a page per pupil — each page that pupil's week only (their own
homework, grades and absences, nobody else's); a constant number of queries whatever the
size of the class; nobody but the class's class teacher and the administration gets it; every
pupil printed is in the access log."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from service.audit.tables import AccessLog
from tests.diary.factories import MONDAY, diary_school
from tests.factories import PASSWORD
from tests.journal.test_grid import add_pupils
from tests.routes import client, sign_in
from tests.test_query_counts import counting

pytestmark = pytest.mark.anyio


def pages_of(pdf: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages]


async def test_the_class_teacher_prints_a_page_per_pupil_with_their_own_week(db):
    """R-DIARY-2: one PDF, a page per pupil of 5А; each page the pupil's lessons with topic and
    homework, their individual homework, their grades with kind and weight, their absence."""
    d = await diary_school()
    cls = d.j.math.owner
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        r = await c.get(f"/classes/{cls}/diary.pdf?week={MONDAY.isoformat()}")
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert "attachment" in r.headers["content-disposition"]
        class_page = (await c.get(f"/classes/{cls}")).text
        assert f'href="/classes/{cls}/diary.pdf"' in class_page
    first, second = pages_of(r.content)
    assert "Дневник: Морозов Артём" in first and "Дневник: Павлова Софья" in second
    for page in (first, second):
        assert "Неделя 23.11 – 29.11.2026" in page and "Сложение дробей" in page and "№ 245, 247" in page
    assert "Повторить таблицу умножения на 7" in first and "Повторить таблицу" not in second
    assert "Задание только для Софьи" in second and "Софьи" not in first
    assert "Карточка.pdf" in first
    assert "5 Ответ на уроке, вес 1" in first and "2 Ответ на уроке, вес 1" in second
    assert "Английский язык Кузнецов О. И. · 5А англ. 1" in first and "Английский язык" not in second  # pupil1 only
    assert "Ср 25.11" in first and "н отсутствовал (причина не указана)" in first
    assert "отсутствовал (причина" not in second
    assert "Изменение: замена: Кузнецов О. И." in first  # Friday's substitute
    assert first.endswith("лист 1 из 2") and second.endswith("лист 2 из 2")  # one A4 page each


async def test_the_printout_costs_the_same_queries_for_2_or_12_pupils(db, monkeypatch):
    """Fast: the pupils, their lessons and what they got there are read for the whole class at
    once."""
    d = await diary_school()
    cls = d.j.math.owner
    path = f"/classes/{cls}/diary.pdf?week={MONDAY.isoformat()}"
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        await c.get("/home")
        with counting(monkeypatch) as seen:
            assert (await c.get(path)).status_code == 200
            small = len(seen)
        await add_pupils(d.j, 10)
        with counting(monkeypatch) as seen:
            r = await c.get(path)
            assert r.status_code == 200
            big = len(seen)
    assert small == big <= 8, (small, big)
    assert len(pages_of(r.content)) == 12


async def test_only_the_class_teacher_and_the_administration_print(db):
    """R-SEC-3: another class's class teacher finds no such class (404), a teacher and a parent
    may not (403), nonsense is 404; the printed pupils are in the access log (152-ФЗ)."""
    d = await diary_school()
    cls = d.j.math.owner
    async with client() as c:
        await sign_in(c, "other", PASSWORD)  # class teacher of 6Б
        assert (await c.get(f"/classes/{cls}/diary.pdf")).status_code == 404
    for login in ("uchitel", "roditel"):
        async with client() as c:
            await sign_in(c, login, PASSWORD)
            assert (await c.get(f"/classes/{cls}/diary.pdf")).status_code == 403
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        for path in ("/classes/99999999/diary.pdf", "/classes/99999999999/diary.pdf",
                     f"/classes/{cls}/diary.pdf?week=вчера", f"/classes/{cls}/diary.pdf?week=2026-13-40"):
            assert (await c.get(path)).status_code in (400, 404), path
    assert await AccessLog.count().run() == 0
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        assert (await c.get(f"/classes/{cls}/diary.pdf?week={MONDAY.isoformat()}")).status_code == 200
    rows = await AccessLog.select(AccessLog.person_id, AccessLog.what).run()
    assert sorted(r["person_id"] for r in rows) == sorted([d.people["pupil1"], d.people["pupil2"]])
    assert all("печать недели" in r["what"] for r in rows)
