"""Issuing transcripts and checking them (issue 12 items 3–5, R-ARC-4, R-SEC-3) on the demo
school's finished year, with the school's real seal key, real PDF/A and PAdES signatures:
what is issued is in the register and verifies by file and by code; a re-issue makes a new
version and the old one says «заменён»; a changed byte is «изменён»; scope and bad input are
refused in Russian with nothing written."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime

import pytest

from service.accounts.rights import PERMISSION_CODES
from service.accounts.viewer import Viewer
from service.audit.tables import AuditEvent
from service.errors import NotFound, Refused
from service.records import issue, rules, verify
from service.records.tables import IssuedDocument
from service.timetable.tables import Lesson
from tests.factories import demo_school
from tests.records.test_export import last_year_class

pytestmark = pytest.mark.anyio
TODAY = date(2026, 11, 25)
DEPUTY = Viewer(1, "zavuch", None, "Завуч", ("deputy",), PERMISSION_CODES)


def _tool(*argv: str, data: bytes) -> str:
    """A poppler tool on the bytes (quick; the test's loop has nothing else to do meanwhile)."""
    return subprocess.run(list(argv), input=data, capture_output=True, check=True).stdout.decode()


@pytest.fixture
def seal(tmp_path, monkeypatch):
    """The school's seal, made by the real key store in a folder of this test."""
    from archive import keys

    folder = tmp_path / "keys" / "school"
    keys.init_school_keys(folder, school_name="Школа № 1 (тест)")
    monkeypatch.setattr(issue, "seal_dir", lambda: folder)
    monkeypatch.setattr(verify, "seal_dir", lambda: folder)
    monkeypatch.setattr(issue, "archive_dir", lambda: tmp_path / "archive")
    return folder


async def _issue_class(viewer=DEPUTY, **kw):
    year, cls = await last_year_class()
    done = await issue.do_issue_transcripts(viewer, year["id"], class_ids=[cls["id"]], today=TODAY, **kw)
    return year, cls, done


async def test_a_class_s_year_transcripts_are_issued_sealed_and_registered(db, seal, tmp_path):
    await demo_school("S", 2026)
    year, cls, done = await _issue_class()
    pupils = await IssuedDocument.count().run()
    assert done.count == pupils > 0 and not done.skipped
    row = await IssuedDocument.select().order_by(IssuedDocument.id).first().run()
    pdf = (tmp_path / "archive" / row["file"]).read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) == row["size"]
    text = _tool("pdftotext", "-", "-", data=pdf)
    assert rules.shown_code(row["short_code"]) in text and "электронной печатью системы" in text
    answer = await verify.by_file(pdf)
    assert answer.status == "valid", answer.headline
    assert ("Код", rules.shown_code(row["short_code"])) in answer.details
    by_code = await verify.by_code(rules.shown_code(row["short_code"]).lower().replace("-", " "))
    assert by_code.status == "valid"
    # the machine-readable grades ride inside the PDF/A
    listing = _tool("pdfdetach", "-list", str(tmp_path / "archive" / row["file"]), data=b"")
    assert ".json" in listing
    audit = await AuditEvent.select().where(AuditEvent.action == "records.transcripts_issued").run()
    assert len(audit) == 1 and json.loads(audit[0]["new"])["count"] == done.count


async def test_a_re_issue_is_a_new_version_and_the_old_one_says_superseded(db, seal, tmp_path):
    await demo_school("S", 2026)
    _, _, first = await _issue_class()
    _, _, second = await _issue_class()
    assert {d["version"] for d in second.documents} == {2}
    old = await IssuedDocument.select().where(IssuedDocument.version == 1).first().run()
    assert old["superseded_at"] is not None and old["superseded_by"] is not None
    answer = await verify.by_file((tmp_path / "archive" / old["file"]).read_bytes())
    assert answer.status == "superseded" and "заменён" in answer.headline
    assert any(label == "Заменён" for label, _ in answer.details)
    new = await IssuedDocument.select().where(IssuedDocument.id == old["superseded_by"]).first().run()
    assert (await verify.by_code(new["short_code"])).status == "valid"


async def test_a_changed_byte_an_unknown_code_and_garbage(db, seal, tmp_path):
    await demo_school("S", 2026)
    await _issue_class()
    row = await IssuedDocument.select().first().run()
    pdf = bytearray((tmp_path / "archive" / row["file"]).read_bytes())
    at = pdf.index(b"/Type /Page") + 3 if b"/Type /Page" in pdf else len(pdf) // 3
    pdf[at] ^= 0x01
    assert (await verify.by_file(bytes(pdf))).status in ("modified", "not_pdf")
    assert (await verify.by_code("ZZZZ-ZZZZ")).status == "unknown"
    assert (await verify.by_code("что-то")).status == "bad_code"
    assert (await verify.by_file(b"not a pdf at all")).status == "not_pdf"
    assert (await verify.by_file(b"")).status == "not_pdf"


async def test_scope_refusals_and_a_missing_seal_write_nothing(db, seal, tmp_path, monkeypatch):
    await demo_school("S", 2026)
    year, cls = await last_year_class()
    teacher = Viewer(7, "klruk", 999_999, "Чужой классный руководитель", ("class_teacher",),
                     frozenset({"records.issue_own"}))
    with pytest.raises(NotFound):
        await issue.do_issue_transcripts(teacher, year["id"], class_ids=[cls["id"]], today=TODAY)
    parent = Viewer(8, "roditel", 5, "Родитель", ("parent",), frozenset())
    with pytest.raises(NotFound):
        await issue.do_issue_transcripts(parent, year["id"], today=TODAY)
    with pytest.raises(NotFound):
        await issue.do_issue_transcripts(DEPUTY, 10**6, today=TODAY)
    monkeypatch.setattr(issue, "seal_dir", lambda: tmp_path / "no-keys")
    with pytest.raises(Refused, match="ezh keys init"):
        await issue.do_issue_transcripts(DEPUTY, year["id"], class_ids=[cls["id"]], today=TODAY)
    assert await IssuedDocument.count().run() == 0
    assert not list((tmp_path / "archive").glob("documents/**/*.pdf"))


async def test_nobody_with_finals_is_refused_naming_the_period(db, seal):
    """A period of the current year that has not ended: no finals, nothing issued."""
    await demo_school("S", 2026)
    from service.timetable.tables import Lesson

    year = (await Lesson.raw("SELECT id, name FROM academic_year WHERE is_current = {}", True).run())[0]
    period = (await Lesson.raw("SELECT id, name FROM study_period WHERE year = {} ORDER BY starts_on DESC LIMIT 1",
                               year["id"]).run())[0]
    cls = (await Lesson.raw("SELECT id FROM school_class WHERE year = {} AND grade <= 9 LIMIT 1", year["id"]).run())[0]
    with pytest.raises(Refused, match="нет итоговых отметок"):
        await issue.do_issue_transcripts(DEPUTY, year["id"], period_id=period["id"], class_ids=[cls["id"]],
                                         today=TODAY)
    assert await IssuedDocument.count().run() == 0


@pytest.mark.pg_only
async def test_two_batches_at_once_one_waits_for_nothing_and_is_refused(pg_db, seal):
    """Two deputies pressing «Выпустить» at once: one batch runs, the other is refused in
    Russian (versions and short codes are decided before rendering), and no pupil gets two
    version-1 transcripts."""
    import asyncio

    await demo_school("S", 2026)
    year, cls = await last_year_class()
    results = await asyncio.gather(
        *(issue.do_issue_transcripts(DEPUTY, year["id"], class_ids=[cls["id"]], today=TODAY) for _ in range(2)),
        return_exceptions=True)
    refused = [r for r in results if isinstance(r, Refused)]
    done = [r for r in results if isinstance(r, issue.Issued)]
    assert len(done) == 1 and len(refused) == 1 and "уже выпускаются" in refused[0].message
    rows = await IssuedDocument.select(IssuedDocument.student, IssuedDocument.version).run()
    assert len(rows) == done[0].count and len({r["student"] for r in rows}) == len(rows)


async def test_a_pupil_moved_to_another_class_gets_one_transcript_with_all_their_finals(db, seal, tmp_path):
    """A pupil moved from one class to another of the same grade in January (R-ARC-2): the whole
    school's batch issues one year transcript for them, with the new class and every final of the
    year, the ones confirmed in the old class included; the old class alone names them as moved."""
    from service.school.tables import Enrolment, SchoolClass

    await demo_school("S", 2026)
    year, cls = await last_year_class()
    # a parallel class of the same grade that the pupil moves into
    name = f"{cls['grade']}Я"
    made = await SchoolClass.insert(SchoolClass(year=year["id"], grade=cls["grade"], letter="Я", name=name,
                                                created_at=datetime.now(UTC))).returning(SchoolClass.id).run()
    other = {"id": made[0]["id"], "name": name}
    moved_on = date(year["starts_on"].year + 1, 1, 12)
    pupil = (await Lesson.raw("SELECT e.id, e.student FROM enrolment e WHERE e.school_class = {} "
                              "ORDER BY e.student LIMIT 1", cls["id"]).run())[0]
    await Enrolment.update({Enrolment.ends_on: moved_on}).where(Enrolment.id == pupil["id"]).run()
    await Enrolment.insert(Enrolment(student=pupil["student"], school_class=other["id"], starts_on=moved_on,
                                     order_ref="перевод")).run()
    finals = await Lesson.raw("SELECT COUNT(*) AS n FROM final_grade WHERE year = {} AND student = {}",
                              year["id"], pupil["student"]).run()

    alone = await issue.do_issue_transcripts(DEPUTY, year["id"], class_ids=[cls["id"]], today=TODAY)
    assert pupil["student"] not in {d["student"] for d in alone.documents}
    assert len(alone.moved) == 1 and f"{cls['name']} → {other['name']}" in alone.moved[0]

    both = await issue.do_issue_transcripts(DEPUTY, year["id"], class_ids=[cls["id"], other["id"]], today=TODAY)
    theirs = [d for d in both.documents if d["student"] == pupil["student"]]
    assert len(theirs) == 1 and theirs[0]["class"] == other["name"] and not both.moved
    row = await IssuedDocument.select().where(IssuedDocument.id == theirs[0]["id"]).first().run()
    _tool("pdfdetach", "-save", "1", "-o", str(tmp_path / "data.json"), str(issue.archive_dir() / row["file"]),
          data=b"")
    data = json.loads((tmp_path / "data.json").read_text(encoding="utf-8"))
    assert data["student"]["class"] == other["name"]
    shown = sum(len(r["finals"]) + bool(r["year"]) + bool(r["exam"]) for r in data["rows"])
    assert shown == finals[0]["n"] > 0
