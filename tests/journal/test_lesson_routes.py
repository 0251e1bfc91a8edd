"""The lesson pages through the real app (R-LESSON-1, R-ATT-1, R-SEC-3): a teacher fills a
lesson on its page, a foreign teacher gets 404, families do not open staff pages, oversized and
executable attachments are refused with the Russian message and nothing is stored, a stale entry
form is refused, and the pages cost a constant number of queries."""

from __future__ import annotations

from datetime import date

import pytest

from service.accounts.actions import do_create_person
from service.journal.tables import Attendance, HomeworkFile, LessonEntry
from service.school.tables import Enrolment
from tests.factories import PASSWORD, SYSTEM, YEAR_START
from tests.journal.factories import TODAY, journal_school
from tests.routes import client, csrf_from, post_form, sign_in
from tests.test_query_counts import counting

pytestmark = pytest.mark.anyio
MONDAY = date(2026, 11, 23)


async def test_a_teacher_fills_a_lesson_on_its_page(db):
    """R-LESSON-1, R-ATT-1: topic and homework saved, one student absent, shown after reload."""
    s = await journal_school()
    lesson = s.lessons[MONDAY]
    page = f"/journal/lesson/{lesson}"
    p1, p2 = s.people["pupil1"], s.people["pupil2"]
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        today = await c.get("/journal/today?day=2026-11-23")
        assert today.status_code == 200 and f'href="/journal/lesson/{lesson}"' in today.text
        assert "не записана" in today.text
        html = (await c.get(page)).text
        assert "Математика · 5А" in html and "Морозов Артём" in html and "9:25–10:10" in html
        r = await post_form(c, f"{page}/entry", {"topic": "Сложение дробей", "homework": "№ 101, 102",
                                                "material": "", "comment": "", "version": "0"}, page=page)
        assert r.status_code == 303 and r.headers["location"] == f"{page}?saved=entry#entry"
        r = await post_form(c, f"{page}/attendance", {f"att-{p1}": "absent", f"att-{p2}": ""}, page=page)
        assert r.status_code == 303
        html = (await c.get(page + "?saved=attendance")).text
        assert 'value="Сложение дробей"' in html and "№ 101, 102" in html and "Посещаемость сохранена" in html
        assert '<option value="absent" selected>' in html
        today = (await c.get("/journal/today?day=2026-11-23")).text
        assert "отмечена" in today and "задано" in today
    assert [r["kind"] for r in await Attendance.select(Attendance.kind).run()] == ["absent"]
    assert (await LessonEntry.select(LessonEntry.topic).first().run())["topic"] == "Сложение дробей"


async def test_all_present_and_a_stale_form(db):
    """R-ATT-1, R-SEC-3: «Все присутствуют» clears the marks; an entry form of an old version is
    refused (400, the message shown) and the newer text stays."""
    s = await journal_school()
    lesson = s.lessons[MONDAY]
    page = f"/journal/lesson/{lesson}"
    p1 = s.people["pupil1"]
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        await post_form(c, f"{page}/attendance", {f"att-{p1}": "late"}, page=page)
        r = await post_form(c, f"{page}/attendance", {f"att-{p1}": "late", "all_present": "1"}, page=page)
        assert r.status_code == 303 and await Attendance.count().run() == 0
        await post_form(c, f"{page}/entry", {"topic": "Первая", "version": "0"}, page=page)
        r = await post_form(c, f"{page}/entry", {"topic": "Вторая", "version": "0"}, page=page)
        assert r.status_code == 400 and "не сохранены" in r.text and "тема" in r.text
    assert (await LessonEntry.select(LessonEntry.topic).first().run())["topic"] == "Первая"


async def test_strangers_get_404_and_families_no_staff_pages(db):
    """R-SEC-3: a teacher without the class finds no lesson; a pupil and a parent get 403 on
    «Мои уроки» and notes, 404 on the lesson."""
    s = await journal_school()
    page = f"/journal/lesson/{s.lessons[MONDAY]}"
    async with client() as c:
        await sign_in(c, "other", PASSWORD)
        assert (await c.get(page)).status_code == 404
        assert (await c.get("/journal/lesson/999999")).status_code == 404
        html = (await c.get("/journal/notes")).text
        r = await c.post(f"{page}/entry", data={"topic": "x", "version": "0", "_csrf_token": csrf_from(html)})
        assert r.status_code == 404
        assert (await c.get(f"/journal/notes?class={s.classes['5А']}")).status_code == 404
    for login in ("pupil1", "roditel"):
        async with client() as c:
            await sign_in(c, login, PASSWORD)
            assert (await c.get("/journal/today")).status_code == 403
            assert (await c.get("/journal/notes")).status_code == 403
            assert (await c.get(page)).status_code == 404
    assert await LessonEntry.count().run() == 0


async def _upload(c, page, name, data):
    html = (await c.get(page)).text
    return await c.post(f"{page}/files", data={"_csrf_token": csrf_from(html), "student": ""},
                        files={"file": (name, data, "application/octet-stream")})


async def test_attachments_bad_ones_are_refused_and_good_ones_download(db):
    """R-LESSON-1: an executable and an oversized file are refused with the Russian message and
    nothing is stored; a PDF is attached and its family downloads it as an attachment."""
    s = await journal_school()
    page = f"/journal/lesson/{s.lessons[MONDAY]}"
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        r = await _upload(c, page, "игра.exe", b"MZ\x90\x00rest")
        assert r.status_code == 400 and "программы и скрипты прикладывать нельзя" in r.text
        r = await _upload(c, page, "big.pdf", b"%PDF" + b"0" * (10240 * 1024 + 10))
        assert r.status_code == 400 and "больше 10 МБ" in r.text
        r = await _upload(c, page, "huge.pdf", b"%PDF" + b"0" * (51 * 1024 * 1024))
        assert r.status_code == 413 and "больше 50 МБ" in r.text
        assert await HomeworkFile.count().run() == 0
        r = await _upload(c, page, "Задание.pdf", b"%PDF-1.4 test")
        assert r.status_code == 303
    file_id = (await HomeworkFile.select(HomeworkFile.id).first().run())["id"]
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        r = await c.get(f"/journal/file/{file_id}")
        assert r.status_code == 200 and r.content == b"%PDF-1.4 test"
        assert r.headers["content-type"].startswith("application/pdf")
        assert r.headers["content-disposition"].startswith("attachment")
    async with client() as c:
        await sign_in(c, "other", PASSWORD)
        assert (await c.get(f"/journal/file/{file_id}")).status_code == 404


async def test_a_class_teacher_records_a_note_on_the_page(db):
    """R-ATT-1: the class teacher's page shows the class's absences; a note is recorded."""
    s = await journal_school()
    p1 = s.people["pupil1"]
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        page = f"/journal/lesson/{s.lessons[MONDAY]}"
        await post_form(c, f"{page}/attendance", {f"att-{p1}": "absent"}, page=page)
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        html = (await c.get("/journal/notes")).text
        assert "Пропуски и справки · 5А" in html and "есть «н»" in html
        r = await post_form(c, "/journal/notes", {"class": str(s.classes["5А"]), "student": str(p1),
                                                  "starts_on": "2026-11-23", "ends_on": "", "kind": "ill",
                                                  "note": "справка"}, page="/journal/notes")
        assert r.status_code == 303
        r = await post_form(c, "/journal/notes", {"class": str(s.classes["5А"]), "student": str(p1),
                                                  "starts_on": "2026-11-23", "ends_on": "2026-11-20",
                                                  "kind": "ill"}, page="/journal/notes")
        assert r.status_code == 400 and "не раньше первого дня" in r.text
    assert [r["kind"] for r in await Attendance.select(Attendance.kind).run()] == ["ill"]


async def test_lesson_and_today_pages_cost_constant_queries(db, monkeypatch):
    """Speed: the lesson page and «Мои уроки» cost the same queries for two students or seven."""
    s = await journal_school()
    page = f"/journal/lesson/{s.lessons[TODAY]}"
    counts: list[tuple[int, int]] = []
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        for extra in (0, 5):
            for i in range(extra):
                pid = await do_create_person(SYSTEM, "Новиков", f"Ученик{i}", "")
                await Enrolment.insert(Enrolment(student=pid, school_class=s.classes["5А"],
                                                 starts_on=YEAR_START)).run()
            with counting(monkeypatch) as seen:
                assert (await c.get(page)).status_code == 200
                lesson_page = len(seen)
                assert (await c.get("/journal/today")).status_code == 200
                counts.append((lesson_page, len(seen) - lesson_page))
    assert counts[0] == counts[1] and counts[0][0] < 40
