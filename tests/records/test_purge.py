"""Retention (issue 12 item 8, 001 section 10): after 5 years the archivist removes a sealed
year's detailed journal data with `ezh archive purge` — never before the time, never a year
whose package is missing, reopened or damaged; `--dry-run` changes nothing and drafts the act;
the real run removes lessons, topics, grades, attendance, notes and homework files nobody else
uses in one audited transaction, keeps the finals, the orders and the package, and writes the
act of destruction with its event-log extract, sealed and registered."""

from __future__ import annotations

import json
import subprocess
from datetime import date, datetime

import pytest

from archive import package_verify
from service.accounts.viewer import Viewer
from service.audit.tables import AuditEvent
from service.db import atomic
from service.errors import NotFound, Refused
from service.journal import files
from service.journal.tables import AbsenceNote, Attendance, Grade, HomeworkFile, LessonEntry
from service.records import purge, seal, verify
from service.records.tables import IssuedDocument
from service.timetable.tables import Lesson
from tests.factories import demo_school
from tests.records.test_export import last_year_class
from tests.records.test_seal import DEPUTY, school_seal  # noqa: F401  (the fixture)

pytestmark = pytest.mark.anyio
LATER = date(2031, 6, 30)
ARCHIVIST = Viewer(2, "arhivist", None, "Берёзова А. А.", ("archivist",), frozenset({"archive.view", "records.purge"}))
COMMISSION = {"act_number": "7", "chair": "Заместитель директора: Орлова Г. П.",
              "members": ["Ответственный за архив: Берёзова А. А."]}


def _text(pdf) -> str:
    """The PDF's words on one line (pdftotext wraps and hyphenates)."""
    return " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.split())


async def _rows(sql: str, *args):
    return await Lesson.raw(sql, *args).run()


async def _a_journal_of_last_year(year: dict, cls: dict) -> dict:
    """Two lessons of the finished year with a topic, grades, attendance, a note and a homework
    file — and a lesson of this year sharing that file (it must survive)."""
    pupils = [r["student"] for r in await _rows("SELECT student FROM enrolment WHERE school_class = {} LIMIT 2",
                                                cls["id"])]
    any_lesson = (await _rows("SELECT subject, teacher FROM lesson LIMIT 1"))[0]
    system = (await _rows("SELECT id FROM grading_system LIMIT 1"))[0]["id"]
    kind = (await _rows("SELECT id FROM work_kind LIMIT 1"))[0]["id"]
    current = (await _rows("SELECT id FROM lesson WHERE on_date > {} LIMIT 1", year["ends_on"]))[0]["id"]
    now = datetime.now().astimezone()
    sha = files.store(b"%PDF-1.4 homework of 2026\n")
    async with atomic():
        ids = []
        for n, day in enumerate((date(2026, 3, 10), date(2026, 3, 11)), start=1):
            ids.append((await Lesson.insert(Lesson(
                on_date=day, number=n, school_class=cls["id"], subject=any_lesson["subject"],
                teacher=any_lesson["teacher"], taught_by=any_lesson["teacher"], has_records=True))
                .returning(Lesson.id).run())[0]["id"])
        for lesson in ids:
            await LessonEntry.insert(LessonEntry(lesson=lesson, topic="Квадратные уравнения", homework="№ 12",
                                                 updated_at=now)).run()
            await Grade.insert(Grade(lesson=lesson, student=pupils[0], system=system, work_kind=kind, mark="5",
                                     value=5, weight=1, created_at=now, updated_at=now)).run()
            await Attendance.insert(Attendance(lesson=lesson, student=pupils[1], kind="ill", updated_at=now)).run()
        for lesson in (ids[0], current):
            await HomeworkFile.insert(HomeworkFile(lesson=lesson, name="zadanie.pdf", content_type="application/pdf",
                                                   size=26, sha256=sha, uploaded_at=now)).run()
        only_old = files.store(b"%PDF-1.4 only last year\n")
        await HomeworkFile.insert(HomeworkFile(lesson=ids[1], name="old.pdf", content_type="application/pdf",
                                               size=24, sha256=only_old, uploaded_at=now)).run()
        await AbsenceNote.insert(AbsenceNote(student=pupils[1], starts_on=date(2026, 3, 10), ends_on=date(2026, 3, 11),
                                             kind="ill", created_at=now)).run()
    return {"lessons": ids, "shared": sha, "only_old": only_old}


async def _counts(year: dict) -> dict:
    span = (year["starts_on"], year["ends_on"])
    return {t: (await _rows(f"SELECT COUNT(*) AS n FROM {t} WHERE {c} IN ({purge._LESSONS})", *span))[0]["n"]
            for t, c, _ in purge.TABLES} | {"lesson": (await _rows(
                "SELECT COUNT(*) AS n FROM lesson WHERE on_date >= {} AND on_date <= {}", *span))[0]["n"]}


async def test_a_sealed_year_is_purged_after_five_years_with_its_act(db, school_seal, tmp_path):  # noqa: F811
    await demo_school("S", 2026)
    year, cls = await last_year_class()
    made = await _a_journal_of_last_year(year, cls)
    finals = (await _rows("SELECT COUNT(*) AS n FROM final_grade WHERE year = {}", year["id"]))[0]["n"]

    # not sealed yet: refused, whatever the date
    with pytest.raises(Refused, match="не запечатан"):
        await purge.do_purge(ARCHIVIST, year["id"], dry_run=True, today=LATER, **COMMISSION)
    sealed = await seal.do_seal_year(DEPUTY, year["id"])
    log = (sealed.folder / "data" / "journals" / f"{cls['name']}-uroki.csv").read_text(encoding="utf-8")
    assert "Квадратные уравнения" in log and "№ 12" in log  # what goes is inside the package
    before = await _counts(year)
    assert before["grade"] == 2 and before["lesson"] == 2 and before["homework_file"] == 2

    with pytest.raises(Refused, match="хранятся 5 лет"):
        await purge.do_purge(ARCHIVIST, year["id"], dry_run=True, today=date(2026, 11, 28), **COMMISSION)
    with pytest.raises(NotFound):
        await purge.do_purge(DEPUTY.__class__(9, "uchitel", None, "У", ("teacher",), frozenset()), year["id"],
                             dry_run=True, today=LATER, **COMMISSION)
    with pytest.raises(Refused, match="Должность: Фамилия"):
        await purge.do_purge(ARCHIVIST, year["id"], dry_run=True, today=LATER,
                             **{**COMMISSION, "chair": "Орлова Г. П."})

    draft = await purge.do_purge(ARCHIVIST, year["id"], dry_run=True, today=LATER, **COMMISSION)
    assert not draft["removed"] and draft["plan"].counts["grade"] == 2 and draft["plan"].pupils == 2
    text = _text(draft["act"])
    assert "выделении к уничтожению" in text and sealed.root_digest[:16] in text
    assert await _counts(year) == before

    # a damaged package: nothing is removed until it is whole again
    whole = sealed.tar.read_bytes()
    sealed.tar.write_bytes(whole[:-1024])
    with pytest.raises(Refused, match="не прошёл проверку"):
        await purge.do_purge(ARCHIVIST, year["id"], dry_run=False, today=LATER, **COMMISSION)
    assert await _counts(year) == before
    sealed.tar.write_bytes(whole)

    done = await purge.do_purge(ARCHIVIST, year["id"], dry_run=False, today=LATER, **COMMISSION)
    assert done["removed"] and done["files"] == 1
    assert all(n == 0 for n in (await _counts(year)).values())
    assert (await _rows("SELECT COUNT(*) AS n FROM absence_note WHERE starts_on >= {} AND ends_on <= {}",
                        year["starts_on"], year["ends_on"]))[0]["n"] == 0
    assert (await _rows("SELECT COUNT(*) AS n FROM final_grade WHERE year = {}", year["id"]))[0]["n"] == finals
    assert files.path_of(made["shared"]).is_file()  # this year's lesson still uses it
    assert not files.path_of(made["only_old"]).exists()
    assert package_verify.verify_package(sealed.folder).ok  # the 25-year package is untouched
    audit = await AuditEvent.select().where(AuditEvent.action == "records.purged").run()
    assert len(audit) == 1 and json.loads(audit[0]["old"])["rows"]["grade"] == 2
    act = await IssuedDocument.select().where(IssuedDocument.kind == purge.ACT).first().run()
    registered = await AuditEvent.select().where(AuditEvent.action == "records.act_registered").run()
    assert len(registered) == 1 and registered[0]["object_id"] == str(act["id"])
    assert json.loads(registered[0]["new"])["sha256"] == act["sha256"]  # the act's file, as registered
    assert (await verify.by_file(done["act"].read_bytes())).status == "valid" and act["title"].startswith("Акт № 7")
    text = _text(done["act"])
    assert "уничтожении персональных данных" in text.lower() and "журнала аудита №" in text
    # a second run finds nothing left and still refuses nothing silently: it removes zero rows
    again = await purge.do_purge(ARCHIVIST, year["id"], dry_run=True, today=LATER, **{**COMMISSION, "act_number": "8"})
    assert again["plan"].total == 0


async def test_a_reopened_year_is_not_purged(sqlite_db, school_seal):  # noqa: F811
    await demo_school("S", 2026)
    year, _ = await last_year_class()
    await seal.do_seal_year(DEPUTY, year["id"])
    await seal.do_reopen_year(DEPUTY, year["id"], "Исправление годовой отметки по протоколу № 10")
    with pytest.raises(Refused, match="открыт для исправления"):
        await purge.do_purge(ARCHIVIST, year["id"], dry_run=True, today=LATER, **COMMISSION)
