"""The documented export the archive reads (issue 12 item 1, R-ARC-2): each pupil's year
transcript and the class's summary sheet carry exactly the finals stored for them, the
council's decision, and nothing of another pupil."""

from __future__ import annotations

from datetime import date

import pytest

from service.records import export
from service.timetable.tables import Lesson
from tests.factories import demo_school

pytestmark = pytest.mark.anyio
TODAY = date(2026, 11, 25)


async def _rows(sql: str, *args) -> list[dict]:
    return await Lesson.raw(sql, *args).run()


async def last_year_class() -> tuple[dict, dict]:
    year = (await _rows("SELECT id, name, starts_on, ends_on FROM academic_year WHERE is_current = {} "
                        "ORDER BY starts_on DESC", False))[0]
    cls = (await _rows("SELECT id, name, grade FROM school_class WHERE year = {} ORDER BY grade DESC, id LIMIT 1",
                       year["id"]))[0]
    return year, cls


async def test_year_transcripts_hold_each_pupils_own_finals(db):
    await demo_school("S", 2026)
    year, cls = await last_year_class()
    pupils, skipped, _ = await export.class_transcripts(year, cls["id"], None, TODAY)
    assert pupils and not skipped
    finals = await _rows(
        "SELECT f.student, s.name AS subject, f.kind, f.period, f.mark FROM final_grade f "
        "JOIN subject s ON s.id = f.subject WHERE f.year = {} AND f.student IN "
        "(SELECT student FROM enrolment WHERE school_class = {})", year["id"], cls["id"])
    for pupil in pupils:
        doc = pupil.doc
        assert (doc["format"], doc["version"], doc["kind"]) == ("ezh-transcript", 1, "year")
        assert doc["student"]["class"] == cls["name"] and doc["year"]["name"] == year["name"]
        mine = {(f["subject"], f["kind"], f["period"]): f["mark"] for f in finals if f["student"] == pupil.student}
        shown = {}
        for row in doc["rows"]:
            for code, mark in row["finals"].items():
                shown[(row["subject"], "period", int(code[1:]))] = mark
            if row["year"]:
                shown[(row["subject"], "year", None)] = row["year"]
            if row["exam"]:
                shown[(row["subject"], "exam", None)] = row["exam"]
        assert shown == mine
        assert doc.get("decision"), "a finished year's pupil has the council's decision"
        assert isinstance(doc["attendance"]["lessons_missed"], int)
    assert len({p.student for p in pupils}) == len(pupils)


async def test_a_period_transcript_and_the_summary_sheet(db):
    await demo_school("S", 2026)
    year, cls = await last_year_class()
    period = (await _rows("SELECT id, name, number, grade_from, grade_to, starts_on, ends_on FROM study_period "
                          "WHERE year = {} AND grade_from <= {} AND grade_to >= {} ORDER BY starts_on LIMIT 1",
                          year["id"], cls["grade"], cls["grade"]))[0]
    pupils, _, _ = await export.class_transcripts(year, cls["id"], period, TODAY)
    doc = pupils[0].doc
    assert doc["kind"] == "period" and doc["period"]["name"] == period["name"] and "decision" not in doc
    assert all(set(r["finals"]) == {f"p{period['id']}"} and r["year"] is None for r in doc["rows"])
    other = (await _rows("SELECT id, name, number, grade_from, grade_to, starts_on, ends_on FROM study_period "
                         "WHERE year = {} AND NOT (grade_from <= {} AND grade_to >= {}) LIMIT 1",
                         year["id"], cls["grade"], cls["grade"]))
    if other:
        with pytest.raises(export.ExportError, match="не учебный период"):
            await export.class_transcripts(year, cls["id"], other[0], TODAY)
    sheet = await export.summary_sheet_doc(year, cls["id"], TODAY)
    assert sheet["format"] == "ezh-summary-sheet" and sheet["class"]["name"] == cls["name"]
    year_marks = sum(1 for s in sheet["students"] for cell in s["finals"].values() if "year" in cell)
    stored = (await _rows("SELECT COUNT(*) AS n FROM final_grade WHERE year = {} AND kind = 'year' AND student IN "
                          "(SELECT student FROM enrolment WHERE school_class = {})", year["id"], cls["id"]))[0]["n"]
    assert year_marks == stored
