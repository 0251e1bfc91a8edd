"""Who belongs to a journal on which day (from the order book), who may see and write it, its
grading system and its locks — the questions every part of the journal asks first."""

from datetime import date

import pytest

from service.accounts.viewer import Viewer
from service.errors import NotFound
from service.journal import access, rules
from service.journal.tables import GradingRule, GradingSystem, JournalSetting, PeriodClosing
from service.school.tables import Enrolment
from service.timetable.tables import HomeSchooling
from tests.journal.factories import TODAY, journal_school

pytestmark = pytest.mark.anyio


def viewer(person: int, *rights: str) -> Viewer:
    return Viewer(1, "x", person, "X", ("teacher",), frozenset(rights))


async def test_members_follow_the_order_book_and_home_schooling(db):
    s = await journal_school()
    p1, p2 = s.people["pupil1"], s.people["pupil2"]
    # pupil2 leaves 5А on 10 November; pupil1 is taught at home 16–20 November (every subject)
    await Enrolment.update({Enrolment.ends_on: date(2026, 11, 10)}).where(Enrolment.student == p2).run()
    await HomeSchooling.insert(HomeSchooling(student=p1, kind="home", starts_on=date(2026, 11, 16),
                                             ends_on=date(2026, 11, 20), order_ref="12-у",
                                             created_at=access.now())).run()
    spans = await access.members(s.math, date(2026, 11, 5), date(2026, 12, 29))
    assert spans[p2] == [(date(2026, 9, 1), date(2026, 11, 10))]
    assert spans[p1] == [(date(2026, 9, 1), date(2026, 11, 15)), (date(2026, 11, 21), None)]
    assert not await access.member_on(s.math, p2, date(2026, 11, 11))
    assert await access.member_on(s.math, p1, date(2026, 11, 23))
    assert not await access.member_on(s.math, s.people["pupil3"], TODAY)  # 6Б
    group = await access.members(s.english, date(2026, 11, 5), date(2026, 12, 29))
    assert list(group) == [p1]


async def test_who_may_see_and_write_a_journal(db):
    s = await journal_school()
    info = await access.journal(s.math)
    assert info["title"] == "5А · Математика" and info["grade"] == 5
    lesson = await access.lesson(s.lessons[date(2026, 11, 23)])
    teacher, klruk, other = s.people["uchitel"], s.people["klruk"], s.people["other"]
    assert await access.may_view(viewer(teacher, "journal.teach"), info)
    assert await access.may_write(viewer(teacher, "journal.teach"), lesson)
    assert await access.may_view(viewer(klruk, "journal.class"), info)  # class teacher of 5А
    assert await access.may_write(viewer(klruk, "journal.teach"), lesson)  # has a 5А maths load
    assert not await access.may_view(viewer(other, "journal.teach", "journal.class"), info)
    assert not await access.may_write(viewer(other, "journal.teach"), lesson)
    assert await access.may_write(viewer(other, "journal.edit"), lesson)
    assert (await access.journal(s.english))["grade"] == 5  # a subgroup: its class's grade
    with pytest.raises(NotFound):
        access.parse_ref("c1-s")
    with pytest.raises(NotFound):
        await access.lesson(10**9)
    assert access.parse_ref(s.math.key) == s.math


async def test_a_lesson_reads_with_its_class_or_group_subject_and_year(db):
    """Every cell save starts by reading its lesson (``access.lesson``, a plain tuple made into
    a dict): each name holds its own value, on both databases."""
    s = await journal_school()
    day = date(2026, 11, 23)
    lesson = await access.lesson(s.lessons[day])
    assert list(lesson) == list(access._LESSON_COLUMNS)
    assert (lesson["id"], lesson["on_date"], lesson["number"]) == (s.lessons[day], day, 2)
    assert (lesson["class_name"], lesson["grade"], lesson["subject_name"]) == ("5А", 5, "Математика")
    assert (lesson["school_class"], lesson["subject"]) == (s.math.owner, s.math.subject)
    assert lesson["study_group"] is None and lesson["group_name"] is None and lesson["student"] is None
    assert lesson["teacher"] == lesson["taught_by"] == s.people["uchitel"]
    assert not lesson["cancelled"] and lesson["year_closed_at"] is None and lesson["year_name"]
    assert lesson["class_teacher"] == s.people["klruk"]
    group_day = date(2026, 11, 24)
    english = await access.lesson(s.english_lessons[group_day])
    assert (english["on_date"], english["number"], english["room"]) == (group_day, 3, s.t.rooms["14"])
    assert (english["group_name"], english["group_kind"], english["study_group"]) == ("5А англ. 1", "subgroup",
                                                                                     s.english.owner)
    # a subgroup's lesson takes its class's name, grade and class teacher
    assert (english["class_name"], english["grade"], english["class_teacher"]) == ("5А", 5, s.people["klruk"])
    assert english["year"] == lesson["year"] and english["teacher"] == s.people["other"]


async def test_the_grading_system_is_the_most_specific_rule_or_five_points(db):
    s = await journal_school()
    systems = {r["code"]: r["id"] for r in await GradingSystem.select(GradingSystem.code, GradingSystem.id).run()}
    math = s.t.subjects["Математика"]
    assert (await access.system_for(s.t.year, 5, math, None)).code == "5"
    await GradingRule.insert(GradingRule(year=s.t.year, system=systems["10"], grade_from=5, grade_to=9),
                             GradingRule(year=s.t.year, system=systems["100"], subject=math,
                                         grade_from=1, grade_to=11),
                             GradingRule(year=s.t.year, system=systems["none"], group_kinds="club gpd")).run()
    assert (await access.system_for(s.t.year, 5, math, None)).code == "100"
    assert (await access.system_for(s.t.year, 5, s.t.subjects["Русский язык"], None)).code == "10"
    assert (await access.system_for(s.t.year, 5, math, "club")).code == "none"


async def test_lessons_lock_after_the_schools_days_and_when_the_period_closes(db):
    s = await journal_school()
    recent = await access.lesson(s.lessons[date(2026, 11, 23)])
    old = await access.lesson(s.lessons[date(2026, 11, 6)])
    assert await access.lock_state(recent) == rules.FREE
    assert await access.lock_state(old) == rules.REASON
    await JournalSetting.insert(JournalSetting(year=s.t.year, edit_days=30, approval_required=True,
                                               plans_due=date(2026, 9, 10), updated_at=access.now())).run()
    assert await access.lock_state(old) == rules.FREE
    await PeriodClosing.insert(PeriodClosing(period=s.periods[2], closed_at=access.now())).run()
    assert await access.lock_state(recent) == rules.APPROVAL
    assert (await access.period_of(s.t.year, 5, TODAY))["closed"] is True
