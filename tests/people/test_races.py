"""Two requests at once never beat the health sheet's rule (R-SEC-2), on PostgreSQL with real
concurrent connections: new lines from one date for one pupil leave exactly one open line."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from service import db as dbmod
from service.audit.verify import verify_chain
from service.errors import Refused
from service.people import actions
from service.people.tables import HealthRecord
from tests.people.helpers import TODAY, people_school, viewer

pytestmark = pytest.mark.anyio


async def test_new_health_lines_from_one_date_at_once_leave_one_open_line(pg_db):
    s = await people_school()
    nurse = await viewer(s, "medsestra")
    pupils = [s.people[k] for k in ("pupil1", "pupil2", "pupil3")]
    for pupil in pupils:  # a line in force already, which each new one would close
        await actions.do_add_health_record(nurse, pupil, "II", "основная", "", date(2026, 9, 1), TODAY)
    await dbmod.start_pool(12)
    try:
        for pupil in pupils:
            results = await asyncio.gather(*[
                actions.do_add_health_record(nurse, pupil, group, "подготовительная", f"попытка {i}",
                                             date(2026, 11, 1), TODAY)
                for i, group in enumerate(["I", "III", "IV", "I", "II", "V", "III", "I"])],
                return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException) and not isinstance(result, Refused):
                    raise result
            assert sum(isinstance(r, int) for r in results) == 1, results
    finally:
        await dbmod.close_pool()
    for pupil in pupils:
        lines = await HealthRecord.select().where(HealthRecord.student == pupil).run()
        assert len(lines) == 2
        assert [line["valid_from"] for line in lines if line["valid_to"] is None] == [date(2026, 11, 1)]
    assert (await verify_chain()).ok
