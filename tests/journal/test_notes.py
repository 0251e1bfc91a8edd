"""Absence notes of a class teacher (R-ATT-1): a reason recorded for whole days goes to every
«н» of those days, earlier and later; taking the note back restores «н»; only the class's own
class teacher (or a holder of journal.edit) records them, within sensible dates."""

from datetime import date

import pytest

from service.accounts.viewer import Viewer
from service.audit.tables import AuditEvent
from service.errors import NotFound, Refused
from service.journal import cells, finals, lesson_queries, notes
from service.journal.tables import AbsenceNote, Attendance
from tests.journal.factories import TODAY, journal_school

pytestmark = pytest.mark.anyio


def person(s, key, roles, *rights) -> Viewer:
    return Viewer(s.users.get(key, 1), key, s.people[key], key, roles, frozenset(rights))


def klruk(s):
    return person(s, "klruk", ("class_teacher", "teacher"), "journal.class", "journal.teach")


async def kinds() -> list[str]:
    return [r["kind"] for r in await Attendance.select(Attendance.kind).order_by(Attendance.id).run()]


async def test_a_note_gives_its_reason_to_every_absence_of_its_days(db):
    """R-ATT-1: «н» of the note's days becomes «б»; a later «н» takes it at once; other days stay."""
    s = await journal_school()
    t = person(s, "uchitel", ("teacher",), "journal.teach")
    p1 = s.people["pupil1"]
    await cells.do_save_cell(t, s.lessons[date(2026, 11, 20)], p1, "н")
    await cells.do_save_cell(t, s.lessons[date(2026, 11, 23)], p1, "н 4")
    note, changed, left = await notes.do_add_note(klruk(s), p1, date(2026, 11, 23), date(2026, 11, 25), "ill",
                                                  "справка № 17")
    assert (changed, left) == (1, 0)
    assert await kinds() == ["absent", "ill"]
    saved = await cells.do_save_cell(t, s.lessons[TODAY], p1, "н")
    assert saved.text == "б"
    history = await AuditEvent.select(AuditEvent.old, AuditEvent.new, AuditEvent.reason).where(
        (AuditEvent.action == "journal.cell_saved") & (AuditEvent.object_id == f"{s.lessons[date(2026, 11, 23)]}:{p1}")
    ).order_by(AuditEvent.seq).run()
    assert '"б 4"' in history[-1]["new"] and "справка № 17" in history[-1]["reason"]
    page = await lesson_queries.notes_page(klruk(s), None, TODAY)
    assert [n["id"] for n in page["notes"]] == [note] and page["may_add"]
    await notes.do_remove_note(klruk(s), note)
    assert await kinds() == ["absent", "absent", "absent"]
    assert await AuditEvent.count().where(AuditEvent.action == "journal.note_removed").run() == 1


async def test_only_the_class_teacher_records_notes(db):
    """R-SEC-3: another class's class teacher and a plain teacher find no such student."""
    s = await journal_school()
    p1 = s.people["pupil1"]
    other = person(s, "other", ("class_teacher", "teacher"), "journal.class", "journal.teach")
    for viewer in (other, person(s, "uchitel", ("teacher",), "journal.teach")):
        with pytest.raises(NotFound):
            await notes.do_add_note(viewer, p1, TODAY, TODAY, "ill")
    with pytest.raises(NotFound):
        await lesson_queries.notes_page(other, s.classes["5А"], TODAY)
    deputy = person(s, "admin", ("deputy",), "journal.edit", "journal.view")
    await notes.do_add_note(deputy, p1, TODAY, TODAY, "excused", "заявление родителей")
    assert await AbsenceNote.count().run() == 1


@pytest.mark.parametrize(("starts", "ends", "kind", "field"), [
    (date(2026, 11, 25), date(2026, 11, 24), "ill", "ends_on"),
    (date(2026, 11, 25), date(2027, 1, 10), "ill", "ends_on"),
    (date(2026, 8, 20), date(2026, 8, 25), "ill", "ends_on"),
    (date(2026, 11, 25), None, "late", "kind"),
])
async def test_bad_dates_and_kinds_are_refused(db, starts, ends, kind, field):
    """R-ATT-1: ends before it starts, more than 30 days ahead, outside the year, a kind that is
    not a day's reason — refused, nothing written."""
    s = await journal_school()
    with pytest.raises(Refused) as exc:
        await notes.do_add_note(klruk(s), s.people["pupil1"], starts, ends, kind)
    assert exc.value.field == field
    assert await AbsenceNote.count().run() == 0


async def test_a_note_leaves_a_closed_period_as_it_is(db):
    """R-GRADE-2, R-SEC-3: cells of a closed period change only as corrections: a note brought
    afterwards changes none of them and says how many it left; taking it back neither."""
    s = await journal_school()
    t = person(s, "uchitel", ("teacher",), "journal.teach")
    p1 = s.people["pupil1"]
    await cells.do_save_cell(t, s.lessons[date(2026, 11, 20)], p1, "н")
    deputy = person(s, "admin", ("deputy",), "journal.approve", "journal.edit", "journal.view")
    await finals.do_close_period(deputy, s.periods[2], "Четверть закрыта досрочно для проверки", force=True)
    note, changed, left = await notes.do_add_note(klruk(s), p1, date(2026, 11, 20), date(2026, 11, 20), "ill")
    assert (changed, left) == (0, 1)
    assert await kinds() == ["absent"]
    assert await notes.do_remove_note(klruk(s), note) == (p1, 0)
    assert await kinds() == ["absent"]
