"""A year's seal that outlasts its request (issue 12 item 6): the deputy head's button answers at
once, the archive page shows the work going on and then how it ended — done, or refused with
the action's own reason — and a job whose process stopped is shown as interrupted, not as
running for ever. Here the request waits for nothing (``jobs.WAIT`` 0), as for the L school."""

from __future__ import annotations

import asyncio
import json
import os
import time

import pytest

from service.accounts.viewer import Viewer
from service.demo import DEMO_PASSWORD
from service.records import issue, jobs
from service.records.tables import SealedYear
from tests.records.test_export import last_year_class
from tests.records.test_seal import DEPUTY, school_seal  # noqa: F401 — the fixture
from tests.routes import client, post_form, sign_in

pytestmark = pytest.mark.anyio


async def _followed(c, seconds: float = 280) -> str:
    """Follow the page's job block as the browser does (every few seconds) until nothing runs;
    the block as it ends."""
    ends = time.monotonic() + seconds
    while True:
        block = (await c.get("/archive/jobs")).text
        if 'hx-get="/archive/jobs"' not in block or time.monotonic() > ends:
            return block
        await asyncio.sleep(0.5)


async def test_a_long_seal_goes_on_after_the_answer_and_the_page_says_how_it_ended(sqlite_db, school_seal,  # noqa: F811
                                                                                    monkeypatch):
    from tests.factories import demo_school

    monkeypatch.setattr(jobs, "WAIT", 0.0)
    await demo_school("S", 2026)
    year, _ = await last_year_class()
    async with client() as c:
        await sign_in(c, "zavuch", DEMO_PASSWORD)
        r = await post_form(c, "/archive/seal", {"year": str(year["id"])}, page="/archive")
        assert r.status_code in (302, 303) and r.headers["location"].endswith("/archive#jobs")
        running = (await c.get("/archive")).text
        assert f"Запечатывание учебного года {year['name']}" in running and "Идёт" in running
        assert 'hx-get="/archive/jobs"' in running  # the block refreshes itself while it runs
        ended = await _followed(c)
        sealed = await SealedYear.select().where(SealedYear.year == year["id"]).first()
        assert sealed is not None
        assert "Готово" in ended and sealed["name"] in ended and "hx-get" not in ended

        # the same button again: refused in the background, the action's reason on the page
        r = await post_form(c, "/archive/seal", {"year": str(year["id"])}, page="/archive")
        assert r.status_code in (302, 303)
        ended = await _followed(c)
        assert "Не выполнено" in ended and "уже запечатан" in ended
    assert await SealedYear.count().where(SealedYear.year == year["id"]) == 1

    # its messages may name classes and pupils: the archivist sees a seal's job, a class teacher
    # (who may open the archive page for her own class) does not
    async with client() as c:
        await sign_in(c, "arhivist", DEMO_PASSWORD)
        assert "Запечатывание учебного года" in (await c.get("/archive/jobs")).text
    async with client() as c:
        await sign_in(c, "klruk", DEMO_PASSWORD)
        assert "Запечатывание учебного года" not in (await c.get("/archive")).text


async def test_a_job_whose_process_stopped_is_shown_interrupted(sqlite_db, school_seal):  # noqa: F811
    folder = issue.archive_dir() / jobs.FOLDER
    folder.mkdir(parents=True)
    path = folder / "seal-1-abc.json"
    path.write_text(json.dumps({"kind": "seal", "title": "Запечатывание учебного года", "by": "Орлова Г. П.", "user_id": 1,
                                "started_at": "2026-06-30T10:00:00+03:00", "stage": "журналы",
                                "state": "running", "message": ""}, ensure_ascii=False), encoding="utf-8")
    os.utime(path, (time.time() - 120, time.time() - 120))
    shown = await asyncio.to_thread(jobs.recent, DEPUTY)
    assert [j.state for j in shown] == ["interrupted"] and "прервана" in shown[0].message
    teacher = Viewer(7, "klruk", None, "Классный руководитель", ("class_teacher",), frozenset({"records.issue_own"}))
    assert await asyncio.to_thread(jobs.recent, teacher) == []  # someone else's, of a kind not hers
    # while its action holds the lock, it is running, whatever the age of its file
    with issue.alone(issue.archive_dir(), ".seal.lock"):
        assert [j.state for j in await asyncio.to_thread(jobs.recent, DEPUTY)] == ["running"]
