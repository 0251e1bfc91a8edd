"""КТП pages (R-LESSON-2, issue item 8): the overview with completion and missing plans, a
journal's plan page, the upload (file → preview with line errors → confirm), the sample file,
and privacy: another teacher's journal is 404 for reading and for uploading."""

from __future__ import annotations

import re

import pytest

from service.journal.tables import PlanItem, ThematicPlan
from tests.factories import PASSWORD
from tests.journal.factories import journal_school
from tests.journal.test_plans import GOOD, SAMPLE, csv
from tests.routes import client, csrf_from, sign_in
from tests.test_query_counts import counting

pytestmark = pytest.mark.anyio


async def _upload(c, key: str, data: bytes, name: str = "ктп.csv"):
    token = csrf_from((await c.get("/home")).text)
    return await c.post(f"/journal/plans/{key}/preview", data={"_csrf_token": token},
                        files={"file": (name, data, "text/csv")})


def _token(html: str) -> str:
    return re.search(r'name="token" value="([^"]*)"', html).group(1)


async def test_upload_preview_then_confirm(db):
    """R-LESSON-2: the preview shows lines and totals and writes nothing; the confirmation loads
    the plan, which the page then lists."""
    s = await journal_school()
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        page = await c.get(f"/journal/plans/{s.math.key}")
        assert page.status_code == 200 and "КТП не загружено" in page.text and "Проверить файл" in page.text
        preview = await _upload(c, s.math.key, csv(*GOOD, encoding="cp1251"))
        assert preview.status_code == 200, preview.text
        assert "Ошибок нет" in preview.text and "Windows-1251" in preview.text
        assert "Строк с темами: 3, часов: 4" in preview.text
        assert "Загрузить КТП: 3 темы, 4 ч" in preview.text
        assert await ThematicPlan.count().run() == 0
        form = {"token": _token(preview.text), "_csrf_token": csrf_from(preview.text)}
        done = await c.post(f"/journal/plans/{s.math.key}/apply", data=form)
        assert done.status_code == 303 and done.headers["location"] == f"/journal/plans/{s.math.key}?loaded=1"
        assert await PlanItem.count().run() == 3
        page = await c.get(done.headers["location"])
        assert "КТП загружено." in page.text and "Сложение и вычитание" in page.text
        assert "Заменить КТП" in page.text and "ктп.csv" in page.text
        again = await c.post(f"/journal/plans/{s.math.key}/apply", data=form)  # the kept file is gone
        assert again.status_code == 400 and "больше не хранится" in again.text
        assert await ThematicPlan.count().run() == 1
        overview = await c.get("/journal/plans")
        assert overview.status_code == 200 and "5А · Математика" in overview.text and "загружено" in overview.text


async def test_errors_named_by_line_and_nothing_written(db):
    """R-LESSON-2: a bad line is named with its column; no confirm button; nothing written."""
    s = await journal_school()
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        page = await _upload(c, s.math.key, csv(["№", "Тема", "Часы"], ["1", "Дроби", "1"], ["2", "Проценты", "12"]))
        assert page.status_code == 400
        assert "Строка 3: часы — целое число от 1 до 10" in page.text
        assert "/apply" not in page.text and await ThematicPlan.count().run() == 0
        many = [["№", "Тема", "Часы"]] + [[str(n), f"Тема {n}", "10"] for n in range(1, 40)]
        page = await _upload(c, s.math.key, csv(*many))
        assert page.status_code == 400 and "В файле 390 ч, а по нагрузке 5 ч в неделю × 39 недель = 195 ч" in page.text
        page = await _upload(c, s.math.key, b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, name="photo.png")
        assert page.status_code == 400 and "Файл не прочитан" in page.text
        empty = await c.post(f"/journal/plans/{s.math.key}/preview", data={"_csrf_token": csrf_from(page.text)})
        assert empty.status_code == 400 and "Выберите файл КТП" in empty.text
        assert await ThematicPlan.count().run() == 0


async def test_a_foreign_journal_is_404_for_reading_and_uploading(db):
    """R-LESSON-2 / privacy: another teacher's journal answers exactly as a missing one."""
    s = await journal_school()
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        assert (await c.get(f"/journal/plans/{s.english.key}")).status_code == 404
        assert (await c.get("/journal/plans/c999999-s1")).status_code == 404
        assert (await c.get("/journal/plans/nonsense")).status_code == 404
        assert (await _upload(c, s.english.key, csv(*GOOD))).status_code == 404
        html = (await c.get("/home")).text
        other = await c.post(f"/journal/plans/{s.english.key}/apply",
                             data={"token": "x" * 43, "_csrf_token": csrf_from(html)})
        assert other.status_code == 404
        mine = await _upload(c, s.math.key, csv(*GOOD))
        token = _token(mine.text)
    async with client() as c:  # another teacher with the uploader's token
        await sign_in(c, "klruk", PASSWORD)
        html = (await c.get("/home")).text
        stolen = await c.post(f"/journal/plans/{s.math.key}/apply", data={"token": token, "_csrf_token": csrf_from(html)})
        assert stolen.status_code == 404
    assert await ThematicPlan.count().run() == 0


async def test_admin_sees_every_journal_and_missing_plans_but_may_not_upload(db):
    """Issue item 8: after the due date (10 September by default) journals without a plan are
    flagged; journal.view alone sees plans but cannot load one (a direct POST is refused)."""
    s = await journal_school()
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        page = await c.get("/journal/plans")
        assert page.status_code == 200
        assert page.text.count("КТП не загружено") == 3  # the notice and both journals
        assert "Срок загрузки КТП прошёл 10.09.2026" in page.text
        plan = await c.get(f"/journal/plans/{s.math.key}")
        assert plan.status_code == 200 and "Проверить файл" not in plan.text
        refused = await _upload(c, s.math.key, csv(*GOOD))
        assert refused.status_code == 400 and "КТП загружает учитель" in refused.text
    assert await ThematicPlan.count().run() == 0


async def test_sample_file_downloads(db):
    await journal_school()
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        response = await c.get("/journal/plans/sample.csv")
        assert response.status_code == 200 and response.content == SAMPLE.read_bytes()
        assert "attachment" in response.headers["content-disposition"]


async def test_pages_cost_constant_queries(db, monkeypatch):
    """The overview and the plan page: the same number of queries with a longer plan."""
    s = await journal_school()
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        await c.get("/home")
        counts = []
        for rows in (GOOD, [["№", "Тема"]] + [[str(n), f"Тема {n}"] for n in range(1, 60)]):
            preview = await _upload(c, s.math.key, csv(*rows))
            await c.post(f"/journal/plans/{s.math.key}/apply",
                         data={"token": _token(preview.text), "_csrf_token": csrf_from(preview.text)})
            with counting(monkeypatch) as seen:
                assert (await c.get(f"/journal/plans/{s.math.key}")).status_code == 200
                assert (await c.get("/journal/plans")).status_code == 200
            counts.append(len(seen))
        assert counts[0] == counts[1]
