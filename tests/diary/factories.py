"""A diary's week arranged through the journal's real actions: the journal tests' school
(tests/journal/factories.py) with, in the week of Monday 23 November 2026, a topic and homework
for everyone, an individual homework and a file for pupil1, grades, an absence, a substitution;
a confirmed final of the first quarter (whose finals families see on ``TODAY``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from service.accounts.viewer import Viewer
from service.journal import cells, lessons
from service.journal.tables import FinalGrade, GradingSystem
from service.people.tables import ParentLink
from service.timetable.tables import Lesson
from tests.journal.factories import JournalSchool, journal_school
from tests.snapshots import snapshotted

MONDAY = date(2026, 11, 23)
PDF = b"%PDF-1.4\n% homework\n"


def teacher(s: JournalSchool, key: str = "uchitel") -> Viewer:
    return Viewer(s.users.get(key, 1), key, s.people[key], key, ("teacher",), frozenset({"journal.teach"}))


@dataclass
class DiarySchool:
    j: JournalSchool
    file_id: int

    @property
    def people(self) -> dict[str, int]:
        return self.j.people


async def give_second_child(s: JournalSchool) -> None:
    """roditel is also the mother of pupil3 (6Б): a parent with two children."""
    await ParentLink.insert(ParentLink(parent=s.people["roditel"], child=s.people["pupil3"], kind="мать",
                                       created_at=datetime.now(UTC))).run()


async def final(s: JournalSchool, student: str, quarter: int, mark: str) -> None:
    five = (await GradingSystem.select(GradingSystem.id).where(GradingSystem.code == "5").first().run())["id"]
    await FinalGrade.insert(FinalGrade(
        year=s.t.year, student=s.people[student], subject=s.math.subject, school_class=s.math.owner,
        kind="period", period=s.periods[quarter], system=five, mark=mark, value=Decimal(mark),
        suggested=mark, confirmed_at=datetime.now(UTC), confirmed_by=s.people["uchitel"])).run()


@snapshotted
async def diary_school() -> DiarySchool:
    s = await journal_school()
    me = teacher(s)
    p1, p2 = s.people["pupil1"], s.people["pupil2"]
    monday, wednesday, friday = s.lessons[date(2026, 11, 23)], s.lessons[date(2026, 11, 25)], \
        s.lessons[date(2026, 11, 27)]
    await lessons.do_save_entry(me, monday, "Сложение дробей", None, "", "№ 245, 247", "", None)
    await lessons.do_set_individual_homework(me, monday, p1, "Повторить таблицу умножения на 7")
    await lessons.do_set_individual_homework(me, monday, p2, "Задание только для Софьи")
    file_id = await lessons.do_attach_file(me, monday, None, "Карточка.pdf", PDF)
    await cells.do_save_cell(me, monday, p1, "5")
    await cells.do_save_cell(me, s.lessons[date(2026, 11, 18)], p1, "4")
    await cells.do_save_cell(me, wednesday, p1, "н")
    await cells.do_save_cell(me, monday, p2, "2")
    # a substitute for Friday's lesson: a change for the date
    await Lesson.update({Lesson.taught_by: s.people["other"], Lesson.changed_at: datetime.now(UTC)}).where(
        Lesson.id == friday).run()
    await final(s, "pupil1", 1, "5")
    return DiarySchool(s, file_id)
