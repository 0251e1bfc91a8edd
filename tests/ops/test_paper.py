"""Paper fallback (R-OPS-5): a printable blank journal page for a class's current week, its
pupils from the current enrolments; only for a class the viewer may see."""

from __future__ import annotations

import pytest

from service.audit.tables import AccessLog
from tests.factories import PASSWORD, tiny_school
from tests.routes import client, sign_in

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
        assert "Расписание — в разработке" in page and "Понедельник" in page
        assert "data-print" in page and "@page" in page
        assert (await c.get(f"/paper/{school.classes['6Б']}")).status_code == 404
    logged = await AccessLog.select(AccessLog.what).run()
    assert len(logged) == 2 and logged[0]["what"] == "бумажный журнал 5А"


async def test_a_parent_has_no_paper_journal(db):
    await tiny_school()
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        assert (await c.get("/paper")).status_code == 403
