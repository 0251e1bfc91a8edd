"""Journal data arranged directly for tests of the parts that read and write it: the tiny
school with its timetable (tests/timetable/factories.py), the year's study periods (quarters
for grades 1–9, half-years for 10–11), dated lessons of 5А mathematics taught by «uchitel»
and of an English subgroup of 5А (pupil1 only) taught by «other".

``TODAY`` is the school day tests act on (tests/journal/conftest.py makes it
``access.school_today()``): Wednesday 25 November 2026, in the second quarter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from service.journal.access import JournalRef
from service.school.tables import GroupMember, StudyGroup, StudyPeriod, Subject, TeachingLoad
from tests.snapshots import snapshotted
from tests.timetable.factories import TimetableSchool, add_lesson, timetable_school

TODAY = date(2026, 11, 25)
QUARTERS = [(1, "1 четверть", date(2026, 9, 1), date(2026, 10, 25)),
            (2, "2 четверть", date(2026, 11, 5), date(2026, 12, 29)),
            (3, "3 четверть", date(2027, 1, 12), date(2027, 3, 21)),
            (4, "4 четверть", date(2027, 4, 1), date(2027, 5, 31))]
HALVES = [(1, "1 полугодие", date(2026, 9, 1), date(2026, 12, 29)),
          (2, "2 полугодие", date(2027, 1, 12), date(2027, 5, 31))]


@dataclass
class JournalSchool:
    t: TimetableSchool
    math: JournalRef  # 5А × Математика
    english: JournalRef  # subgroup «5А англ. 1» × Английский язык
    periods: dict[int, int] = field(default_factory=dict)  # quarter number → study_period id
    lessons: dict[date, int] = field(default_factory=dict)  # 5А maths, lesson 2 of the day
    english_lessons: dict[date, int] = field(default_factory=dict)

    @property
    def people(self) -> dict[str, int]:
        return self.t.school.people

    @property
    def users(self) -> dict[str, int]:
        return self.t.school.users

    @property
    def classes(self) -> dict[str, int]:
        return self.t.school.classes


def school_days(start: date, end: date, weekdays: tuple[int, ...] = (0, 2, 4)) -> list[date]:
    """Monday/Wednesday/Friday (by default) from ``start`` to ``end``."""
    days, d = [], start
    while d <= end:
        if d.weekday() in weekdays:
            days.append(d)
        d += timedelta(days=1)
    return days


@snapshotted
async def journal_school(start: date = date(2026, 11, 2), end: date = date(2026, 12, 4)) -> JournalSchool:
    t = await timetable_school()
    now = datetime.now(UTC)
    periods = {}
    for number, name, a, b in QUARTERS:
        periods[number] = (await StudyPeriod.insert(StudyPeriod(
            year=t.year, scheme="quarters", number=number, name=name, grade_from=1, grade_to=9,
            starts_on=a, ends_on=b)).returning(StudyPeriod.id).run())[0]["id"]
    await StudyPeriod.insert(*[StudyPeriod(year=t.year, scheme="halves", number=n, name=name,
                                           grade_from=10, grade_to=11, starts_on=a, ends_on=b)
                               for n, name, a, b in HALVES]).run()
    english = (await Subject.insert(Subject(name="Английский язык", short_name="Англ. яз."))
               .returning(Subject.id).run())[0]["id"]
    t.subjects["Английский язык"] = english
    group = (await StudyGroup.insert(StudyGroup(
        year=t.year, name="5А англ. 1", kind="subgroup", school_class=t.school.classes["5А"],
        subject=english, created_at=now)).returning(StudyGroup.id).run())[0]["id"]
    await GroupMember.insert(GroupMember(study_group=group, student=t.school.people["pupil1"],
                                         starts_on=date(2026, 9, 1))).run()
    await TeachingLoad.insert(TeachingLoad(teacher=t.school.people["other"], subject=english,
                                           study_group=group, hours_per_week=3,
                                           starts_on=date(2026, 9, 1))).run()
    s = JournalSchool(t=t, math=JournalRef("c", t.school.classes["5А"], t.subjects["Математика"]),
                      english=JournalRef("g", group, english), periods=periods)
    for day in school_days(start, end):
        s.lessons[day] = await add_lesson(t, day, 2, "uchitel")
    for day in school_days(start, end, (1, 3)):
        s.english_lessons[day] = await add_lesson(t, day, 3, "other", school_class=None,
                                                  subject="Английский язык", study_group=group,
                                                  room="14")
    return s
