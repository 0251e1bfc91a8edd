"""Paper fallback (R-OPS-5): a printable blank journal page for a class's current week, its
pupils from the current enrolments; only for a class the viewer may see."""

from __future__ import annotations

from datetime import timedelta

import pytest

from service.audit.tables import AccessLog
from service.timetable.tables import Lesson
from service.web import today
from tests.factories import PASSWORD, tiny_school
from tests.routes import client, sign_in
from tests.timetable.factories import add_lesson, timetable_school

pytestmark = pytest.mark.anyio


async def test_a_teacher_prints_the_week_of_a_class_they_teach(db):
    school = await tiny_school()
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        listing = (await c.get("/paper")).text
        assert f'href="/paper/{school.classes["5А"]}"' in listing
        assert f'href="/paper/{school.classes["6Б"]}"' not in listing
        page = (await c.get(f"/paper/{school.classes['5А']}")).text
        assert "Морозов Артём Дмитриевич" in page and "Павлова Софья Алексеевна" in page
        assert "Соколов" not in page  # a pupil of 6Б
        assert "Расписания на эту неделю нет" in page and "Понедельник" in page
        assert "data-print" in page and "@page" in page
        assert (await c.get(f"/paper/{school.classes['6Б']}")).status_code == 404
    logged = await AccessLog.select(AccessLog.what).run()
    assert len(logged) == 2 and logged[0]["what"] == "бумажный журнал 5А"


async def test_the_sheet_names_the_lessons_of_the_week_from_the_timetable(db):
    """With a timetable, each day's columns are the class's lessons with their subjects, changes
    for the dates included: a cancelled lesson has no column (R-OPS-5, R-TT-3)."""
    t = await timetable_school()
    monday = today() - timedelta(days=today().weekday())
    await add_lesson(t, monday, 1, "uchitel", subject="Русский язык")
    cancelled = await add_lesson(t, monday + timedelta(days=1), 2, "uchitel")
    await Lesson.update({Lesson.cancelled: True}).where(Lesson.id == cancelled).run()
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        page = (await c.get(f"/paper/{t.school.classes['5А']}")).text
    assert "Уроки — по расписанию на эту неделю" in page
    assert "Рус. яз." in page and "Матем." not in page


async def test_a_parent_has_no_paper_journal(db):
    await tiny_school()
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        assert (await c.get("/paper")).status_code == 403
