"""Golden files (issue 11 item 12): the summary sheet and the performance report of the S demo
school's finished year, as text, must read exactly as the committed files in tests/reports/golden/
— a change in a form is a change someone looked at. The school day is fixed (the demo's current
year depends on it); the line with the moment a report was made is left out.

After a deliberate change of a form: UPDATE_GOLDEN=1 .venv/bin/pytest tests/reports/test_golden.py,
then read the diff of the golden files before committing them."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from service.journal import access
from service.reports import writers
from service.reports.performance import performance
from service.reports.queries import Scope
from service.reports.summary_sheet import summary_sheet
from service.timetable.tables import Lesson
from tests.factories import demo_school

pytestmark = pytest.mark.anyio
GOLDEN = Path(__file__).parent / "golden"
TODAY = date(2026, 11, 25)


def _text(report) -> str:
    report.school = "Школа № 1 (тест)"
    lines = writers.write(report, "txt").decode("utf-8").splitlines()
    return "\n".join(line.rstrip() for line in lines if not line.startswith("Сформирован")) + "\n"


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from the golden file"


async def test_the_forms_read_as_their_golden_files(sqlite_db, monkeypatch):
    monkeypatch.setattr(access, "school_today", lambda: TODAY)
    await demo_school("S", 2026)
    year = (await Lesson.raw("SELECT id, name, starts_on, ends_on, is_current FROM academic_year "
                             "WHERE is_current = {}", False).run())[0]
    cls = (await Lesson.raw("SELECT id, name, grade FROM school_class WHERE year = {} ORDER BY grade DESC LIMIT 1",
                            year["id"]).run())[0]
    scope = Scope("class", year, cls["grade"], cls["id"], cls["name"])
    _check("summary-sheet-S.txt", _text(await summary_sheet(scope, TODAY)))
    _check("performance-S.txt", _text(await performance(scope, None, TODAY)))
