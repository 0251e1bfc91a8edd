"""Writing a journal cell (R-ATT-1, R-GRADE-1, R-GRADE-4, R-SEC-3): what is typed is what is
stored, every rule refuses in Russian and writes nothing, and the cell's history is its audit
rows."""

import json
from datetime import date

import pytest

from service.accounts.viewer import Viewer
from service.audit.tables import AuditEvent
from service.errors import NotFound, Refused
from service.journal import cells
from service.journal.tables import AbsenceNote, Attendance, Correction, Grade, JournalSetting
from service.school.tables import Enrolment
from service.timetable.tables import Lesson
from tests.journal.factories import journal_school

pytestmark = pytest.mark.anyio


def teacher(s, key="uchitel", *rights) -> Viewer:
    return Viewer(s.users.get(key, 1), key, s.people[key], key, ("teacher",),
                  frozenset({"journal.teach", *rights}))


async def _audit_count() -> int:
    return await AuditEvent.count().run()


async def test_a_typed_cell_is_stored_and_read_back(db):
    s = await journal_school()
    t, p1 = teacher(s), s.people["pupil1"]
    lesson = s.lessons[date(2026, 11, 23)]
    saved = await cells.do_save_cell(t, lesson, p1, "н 5", was="")
    assert (saved.state, saved.text) == ("saved", "н 5")
    assert (await Lesson.select(Lesson.has_records).where(Lesson.id == lesson).first().run())["has_records"]
    saved = await cells.do_save_cell(t, lesson, p1, "4 5", was="н 5")
    assert saved.text == "4 5"
    assert await Attendance.count().run() == 0
    rows = await Grade.select(Grade.mark, Grade.removed_at).order_by(Grade.id).run()
    assert [(r["mark"], r["removed_at"] is None) for r in rows] == [("4", True), ("5", True)]
    assert (await cells.do_save_cell(t, lesson, p1, "4  5", was="4 5")).state == "same"
    history = await AuditEvent.select(AuditEvent.old, AuditEvent.new).where(
        AuditEvent.object_type == "cell").order_by(AuditEvent.seq).run()
    assert [h["old"] for h in history] == ['{"text":""}', '{"text":"н 5"}']


async def test_a_save_reads_its_cell_after_the_cells_lock_in_five_statements(db, monkeypatch):
    """Issue 9 item 12: a save is the journal's hottest write. The lesson's statement takes the
    cell's lock (PostgreSQL), the context's reads the cell after it; then the write, the audit
    chain's head and the audit row — five statements, and the cell read is the stored one."""
    from service.db import is_postgres
    from tests.test_query_counts import counting

    s = await journal_school()
    t, p1 = teacher(s), s.people["pupil1"]
    lesson = s.lessons[date(2026, 11, 23)]
    await cells.do_save_cell(t, lesson, p1, "н 5", was="")
    with counting(monkeypatch) as seen:
        saved = await cells.do_save_cell(t, lesson, p1, "н 4", was="н 5")
    assert saved.text == "н 4"
    assert len(seen) == 5, seen
    assert ("pg_advisory_xact_lock" in seen[0]) == is_postgres()  # the lesson's statement
    # the stored cell it compared with was the real one: a stale «was» is still a conflict
    with pytest.raises(cells.Conflict, match="сейчас в ней «н 4»"):
        await cells.do_save_cell(t, lesson, p1, "3", was="н 5")


async def test_the_later_of_two_writers_sees_the_conflict(db):
    s = await journal_school()
    t, p1 = teacher(s), s.people["pupil1"]
    lesson = s.lessons[date(2026, 11, 23)]
    await cells.do_save_cell(t, lesson, p1, "5", was="")
    before = await _audit_count()
    with pytest.raises(cells.Conflict, match="сейчас в ней «5»") as caught:
        await cells.do_save_cell(teacher(s, "klruk"), lesson, p1, "3", was="")
    assert caught.value.current == "5"
    assert await _audit_count() == before


@pytest.mark.parametrize(("typed", "day", "who", "message"), [
    ("6", date(2026, 11, 23), "pupil1", "не отметка системы «Пятибалльная»"),
    ("5", date(2026, 11, 27), "pupil1", "ещё не прошёл"),
    ("5", date(2026, 11, 23), "pupil3", "не учился"),
])
async def test_bad_input_is_refused_and_changes_nothing(db, typed, day, who, message):
    s = await journal_school()
    before = await _audit_count()
    with pytest.raises(Refused, match=message):
        await cells.do_save_cell(teacher(s), s.lessons[day], s.people[who], typed, was="")
    assert await _audit_count() == before and await Grade.count().run() == 0


async def test_a_pupil_who_left_gets_no_marks_after_the_order(db):
    s = await journal_school()
    p2 = s.people["pupil2"]
    await Enrolment.update({Enrolment.ends_on: date(2026, 11, 10)}).where(Enrolment.student == p2).run()
    await cells.do_save_cell(teacher(s), s.lessons[date(2026, 11, 9)], p2, "5", reason="Поздно внесено")
    with pytest.raises(Refused, match="не учился"):
        await cells.do_save_cell(teacher(s), s.lessons[date(2026, 11, 11)], p2, "5", reason="Поздно")


async def test_a_foreign_teacher_gets_not_found(db):
    s = await journal_school()
    with pytest.raises(NotFound):
        await cells.do_save_cell(teacher(s, "other"), s.lessons[date(2026, 11, 23)], s.people["pupil1"], "5")


async def test_a_locked_lesson_needs_a_reason_and_may_need_approval(db):
    s = await journal_school()
    t, p1 = teacher(s), s.people["pupil1"]
    old = s.lessons[date(2026, 11, 6)]  # 19 days before TODAY, the school allows 7
    with pytest.raises(cells.NeedReason) as caught:
        await cells.do_save_cell(t, old, p1, "5")
    assert caught.value.need == "reason"
    saved = await cells.do_save_cell(t, old, p1, "5", reason="Ответ у доски не был выставлен")
    assert saved.state == "saved"
    await JournalSetting.insert(JournalSetting(year=s.t.year, approval_required=True,
                                               plans_due=date(2026, 9, 10), updated_at=cells.access.now())).run()
    saved = await cells.do_save_cell(t, old, p1, "4", reason="Ошибся клеткой")
    assert (saved.state, saved.text) == ("pending", "5")
    correction = await Correction.select().first().run()
    assert (correction["old_text"], correction["new_text"], correction["status"]) == ("5", "4", "pending")
    with pytest.raises(Refused, match="уже ждёт утверждения"):
        await cells.do_save_cell(t, old, p1, "3", reason="ещё раз")
    deputy = Viewer(s.users["admin"], "admin", s.people["admin"], "admin", ("deputy",),
                    frozenset({"journal.approve", "journal.view"}))
    async with cells.atomic():
        done = await cells.apply_cell_correction(deputy, correction)
    assert done.text == "4"


async def test_a_note_gives_the_days_absences_their_reason(db):
    s = await journal_school()
    p1 = s.people["pupil1"]
    await AbsenceNote.insert(AbsenceNote(student=p1, starts_on=date(2026, 11, 23),
                                         ends_on=date(2026, 11, 24), kind="ill",
                                         created_at=cells.access.now())).run()
    saved = await cells.do_save_cell(teacher(s), s.lessons[date(2026, 11, 23)], p1, "н")
    assert saved.text == "б"


async def test_a_whole_lessons_attendance_keeps_the_marks(db):
    s = await journal_school()
    t, p1, p2 = teacher(s), s.people["pupil1"], s.people["pupil2"]
    lesson = s.lessons[date(2026, 11, 23)]
    await cells.do_save_cell(t, lesson, p1, "5")
    done = await cells.do_save_attendance(t, lesson, {p1: "late", p2: "absent"})
    assert (done[p1].text, done[p2].text) == ("оп 5", "н")
    with pytest.raises(Refused, match="не учился"):
        await cells.do_save_attendance(t, lesson, {p1: None, s.people["pupil3"]: "absent"})
    assert (await cells.current(lesson, p1))[0]["kind"] == "late"  # nothing of the refused list


async def test_a_grades_kind_and_comment_follow_the_cells_rules(db):
    """R-GRADE-3, R-GRADE-4: a kind of work brings its weight; a locked lesson needs a reason, and
    with approval the change waits as a correction that the deputy's approval applies."""
    from service.journal import grades
    from service.journal.tables import WorkKind

    s = await journal_school()
    t, p1 = teacher(s), s.people["pupil1"]
    test_kind = (await WorkKind.select(WorkKind.id).where(WorkKind.name == "Контрольная работа").first().run())["id"]
    await cells.do_save_cell(t, s.lessons[date(2026, 11, 23)], p1, "4")
    grade = (await Grade.select(Grade.id).first().run())["id"]
    done = await grades.do_change_grade(t, grade, test_kind, "Задача 3 не решена")
    assert done.state == "saved" and "Контрольная работа" in done.text
    assert float((await Grade.select(Grade.weight).first().run())["weight"]) == 3.0
    old = s.lessons[date(2026, 11, 6)]
    await cells.do_save_cell(t, old, p1, "5", reason="Поздно внесено")
    late = (await Grade.select(Grade.id).where(Grade.lesson == old).first().run())["id"]
    with pytest.raises(cells.NeedReason):
        await grades.do_change_grade(t, late, test_kind, "")
    await JournalSetting.insert(JournalSetting(year=s.t.year, approval_required=True,
                                               plans_due=date(2026, 9, 10), updated_at=cells.access.now())).run()
    asked = await grades.do_change_grade(t, late, test_kind, "", reason="Это была контрольная")
    assert asked.state == "pending"
    correction = await Correction.select().where(Correction.id == asked.correction).first().run()
    deputy = Viewer(s.users["admin"], "admin", s.people["admin"], "admin", ("deputy",),
                    frozenset({"journal.approve", "journal.view"}))
    async with cells.atomic():
        await cells.apply_cell_correction(deputy, correction)
    row = await Grade.select(Grade.work_kind, Grade.weight).where(Grade.id == late).first().run()
    assert row["work_kind"] == test_kind and float(row["weight"]) == 3.0
    with pytest.raises(NotFound):
        await grades.do_change_grade(teacher(s, "other"), grade, test_kind, "чужой")


async def test_entries_carried_over_from_the_paper_journal_are_audited_as_such(db):
    """R-OPS-5: what was written on the paper sheet while the journal was down is entered later
    on the real lesson dates; a locked lesson takes it with the paper reason, an approval-only
    school still approves it, and the cell's history says «с бумаги»."""
    s = await journal_school()
    t, p1, p2 = teacher(s), s.people["pupil1"], s.people["pupil2"]
    old = s.lessons[date(2026, 11, 6)]  # past the school's 7 free days
    saved = await cells.do_save_cell(t, old, p1, "н", from_paper=True)
    assert saved.state == "saved"
    done = await cells.do_save_attendance(t, old, {p2: "late"}, from_paper=True)
    assert done[p2].text == "оп"
    rows = await AuditEvent.select(AuditEvent.new, AuditEvent.reason).where(
        AuditEvent.action == "journal.cell_saved").order_by(AuditEvent.seq).run()
    assert [(json.loads(r["new"]).get("from_paper"), r["reason"]) for r in rows] == [(True, cells.PAPER_REASON)] * 2
    history = await cells_history(old, p1)
    assert history[0]["from_paper"] and history[0]["reason"] == cells.PAPER_REASON
    # an ordinary save of a free lesson is not marked
    await cells.do_save_cell(t, s.lessons[date(2026, 11, 23)], p1, "5")
    assert not (await cells_history(s.lessons[date(2026, 11, 23)], p1))[0]["from_paper"]
    # where corrections need approval, a paper entry waits like any other and keeps its mark
    await JournalSetting.insert(JournalSetting(year=s.t.year, approval_required=True,
                                               plans_due=date(2026, 9, 10), updated_at=cells.access.now())).run()
    saved = await cells.do_save_cell(t, old, p1, "н 4", from_paper=True, reason="С бланка 6 ноября")
    assert saved.state == "pending"
    correction = await Correction.select().first().run()
    deputy = Viewer(s.users["admin"], "admin", s.people["admin"], "admin", ("deputy",),
                    frozenset({"journal.approve", "journal.view"}))
    async with cells.atomic():
        await cells.apply_cell_correction(deputy, correction)
    top = (await cells_history(old, p1))[0]
    assert (top["new"], top["from_paper"], top["reason"]) == ("н 4", True, "С бланка 6 ноября")


async def cells_history(lesson: int, student: int) -> list[dict]:
    from service.journal.cell_queries import history

    return await history(lesson, student)
