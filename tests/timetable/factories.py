"""Timetable data arranged directly for tests of the parts that read it (the actions that
write it have their own tests): the tiny school plus rooms, a Monday–Friday bell schedule, a
two-week timetable anchored on 1 September 2026 and a helper to place dated lessons."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from service.school.tables import AcademicYear, Subject
from service.timetable.tables import Bell, BellSchedule, Lesson, Room, Timetable
from tests.factories import TinySchool, tiny_school
from tests.snapshots import snapshotted

# 08:30–09:15, 09:25–10:10, … : 45 minutes and 10-minute breaks
BELLS = [(n, 510 + (n - 1) * 55, 555 + (n - 1) * 55) for n in range(1, 8)]
MONDAY = date(2026, 11, 23)  # week A of a cycle anchored on 1 September 2026 (12 weeks on)


@dataclass
class TimetableSchool:
    school: TinySchool
    year: int
    version: int
    schedule: int
    rooms: dict[str, int] = field(default_factory=dict)
    subjects: dict[str, int] = field(default_factory=dict)


@snapshotted
async def timetable_school() -> TimetableSchool:
    s = await tiny_school()
    now = datetime.now(UTC)
    year = (await AcademicYear.select(AcademicYear.id).first().run())["id"]
    schedule = (await BellSchedule.insert(BellSchedule(year=year, name="Основное", weekdays="12345",
                                                       created_at=now))
                .returning(BellSchedule.id).run())[0]["id"]
    await Bell.insert(*[Bell(schedule=schedule, number=n, starts_at=a, ends_at=b) for n, a, b in BELLS]).run()
    version = (await Timetable.insert(Timetable(year=year, name="Основное расписание",
                                                starts_on=date(2026, 9, 1), cycle=2,
                                                anchor=date(2026, 9, 1), created_at=now))
               .returning(Timetable.id).run())[0]["id"]
    t = TimetableSchool(s, year, version, schedule)
    for name in ("12", "14", "Спортзал"):
        t.rooms[name] = (await Room.insert(Room(name=name)).returning(Room.id).run())[0]["id"]
    for row in await Subject.select(Subject.id, Subject.name).run():
        t.subjects[row["name"]] = row["id"]
    t.subjects["Русский язык"] = (await Subject.insert(Subject(name="Русский язык", short_name="Рус. яз."))
                                  .returning(Subject.id).run())[0]["id"]
    return t


async def add_lesson(t: TimetableSchool, on_date: date, number: int, teacher: str, *,
                     school_class: str | None = "5А", subject: str = "Математика",
                     room: str | None = "12", study_group: int | None = None,
                     student: str | None = None, has_records: bool = False) -> int:
    """A dated lesson as the timetable would have made it (no slot behind it)."""
    people, classes = t.school.people, t.school.classes
    return (await Lesson.insert(Lesson(
        on_date=on_date, number=number,
        school_class=classes[school_class] if school_class else None, study_group=study_group,
        student=people[student] if student else None, subject=t.subjects[subject],
        teacher=people[teacher], taught_by=people[teacher], room=t.rooms[room] if room else None,
        has_records=has_records,
    )).returning(Lesson.id).run())[0]["id"]
