"""The weeks people see, read through the queries (R-TT-2 class and teacher timetables with A/B
weeks, R-TT-3 changes for a date marked for the affected teachers, students and parents):
scoping by the viewer, the changes as a user reads them, the week's letter, home schooling
kept private."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from service.accounts.queries import viewer_for_user
from service.school.tables import GroupMember, StudyGroup
from service.timetable import views
from service.timetable.tables import (
    Bell,
    BellSchedule,
    DaySetting,
    HomeSchooling,
    HomeSchoolingSubject,
    Lesson,
    Timetable,
)
from tests.timetable.factories import MONDAY, add_lesson, timetable_school

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


async def _viewer(t, key: str):
    return await viewer_for_user(t.school.users[key])


async def _grid(viewer, whose, monday=MONDAY) -> dict:
    last = monday + timedelta(days=5)
    cal = await views.calendar(monday, last)
    lessons = await views.week_lessons(whose, monday, last)
    return views.build_week(whose, viewer, monday, lessons, cal, MONDAY)


def _cells(week: dict) -> list[dict]:
    return [lesson for row in week["rows"] for cell in row["cells"] for lesson in cell]


def _titles(week: dict) -> list[str]:
    return [c["title"] for c in _cells(week)]


async def test_week_shows_bell_times_and_the_letter_of_a_two_week_cycle(db):
    """R-TT-1, R-TT-2: a lesson carries its bell times; 23.11.2026 is week A of a cycle
    anchored on 1 September (twelve weeks on), the week before is B; a one-week version has no
    letter."""
    t = await timetable_school()
    await add_lesson(t, MONDAY, 2, "uchitel")
    whose = await views.whose_class(await _viewer(t, "admin"), t.school.classes["5А"])
    week = await _grid(await _viewer(t, "admin"), whose)
    assert week["letter"] == "A" and week["span"] == "23–27 ноября 2026"
    [cell] = _cells(week)
    assert cell["time"] == "09:25–10:10" and cell["title"] == "Математика"
    assert cell["lines"] == ["Попова М. С.", "каб. 12"]
    assert week["rows"][1]["cells"][0] == [cell]  # 2nd lesson, Monday
    assert [c["short"] for c in week["columns"]][:2] == ["Пн 23.11", "Вт 24.11"]
    assert len(week["columns"]) == 5  # no Saturday bells, no Saturday lessons
    earlier = await _grid(await _viewer(t, "admin"), whose, MONDAY - timedelta(days=7))
    assert earlier["letter"] == "B"
    await Timetable.update({Timetable.cycle: 1}).where(Timetable.id == t.version).run()
    assert (await _grid(await _viewer(t, "admin"), whose))["letter"] == ""


async def test_a_shortened_day_has_its_own_bells(db):
    """R-TT-1: a date with another bell schedule shows that schedule's times and its note."""
    t = await timetable_school()
    short = (await BellSchedule.insert(BellSchedule(year=t.year, name="Сокращённый", weekdays="",
                                                    created_at=NOW)).returning(BellSchedule.id).run())[0]["id"]
    await Bell.insert(Bell(schedule=short, number=1, starts_at=510, ends_at=540)).run()
    await DaySetting.insert(DaySetting(year=t.year, on_date=MONDAY + timedelta(days=1), schedule=short,
                                       note="сокращённый день")).run()
    await add_lesson(t, MONDAY, 1, "uchitel")
    await add_lesson(t, MONDAY + timedelta(days=1), 1, "uchitel")
    admin = await _viewer(t, "admin")
    week = await _grid(admin, await views.whose_class(admin, t.school.classes["5А"]))
    assert [c["time"] for c in _cells(week)] == ["08:30–09:15", "08:30–09:00"]
    assert week["columns"][1]["notes"] == ["сокращённый день"]


async def test_changes_read_as_the_affected_people_see_them(db):
    """R-TT-3, R-TT-4: a replacement names the substitute in the class's week and in the planned
    teacher's; the substitute sees the lesson in their own week «вместо» the planned teacher; a
    cancelled, moved, re-roomed and extra lesson are marked."""
    t = await timetable_school()
    replaced = await add_lesson(t, MONDAY, 1, "uchitel")
    cancelled = await add_lesson(t, MONDAY, 2, "uchitel")
    moved = await add_lesson(t, MONDAY + timedelta(days=2), 5, "uchitel", room="14")
    extra = await add_lesson(t, MONDAY + timedelta(days=3), 6, "uchitel")
    people = t.school.people
    await Lesson.update({Lesson.taught_by: people["other"], Lesson.revision: 1}).where(Lesson.id == replaced).run()
    await Lesson.update({Lesson.cancelled: True}).where(Lesson.id == cancelled).run()
    await Lesson.update({Lesson.moved_from: MONDAY + timedelta(days=1), Lesson.moved_from_number: 3,
                         Lesson.room_changed: True}).where(Lesson.id == moved).run()
    await Lesson.update({Lesson.extra: True}).where(Lesson.id == extra).run()
    admin = await _viewer(t, "admin")
    week = await _grid(admin, await views.whose_class(admin, t.school.classes["5А"]))
    marks = {c["id"]: c["marks"] for c in _cells(week)}  # a moved lesson: its new place last
    assert marks[replaced] == ["замена: Кузнецов О. И."]
    assert marks[cancelled] == ["отменён"]
    assert marks[extra] == ["дополнительный урок"]
    moved_cells = [c for c in _cells(week) if c["id"] == moved]
    assert moved_cells[0]["marks"] == ["перенесён на 25.11, 5-й урок"] and moved_cells[0]["cancelled"]
    assert moved_cells[1]["marks"] == ["кабинет изменён", "перенесён с 24.11, 3-й урок"]
    assert [c["cancelled"] for c in _cells(week) if c["id"] == cancelled] == [True]

    planned = await views.whose_teacher(admin, people["uchitel"])
    assert replaced in {c["id"] for c in _cells(await _grid(admin, planned))}
    substitute = await views.whose_teacher(admin, people["other"])
    [theirs] = _cells(await _grid(admin, substitute))
    assert theirs["id"] == replaced and theirs["marks"] == ["замена: вместо Попова М. С."]
    assert theirs["lines"] == ["5А", "каб. 12"]


async def test_a_student_s_week_follows_enrolment_groups_and_home_schooling(db):
    """R-TT-2, issue item 4: a student's week holds their class's lessons on the dates they are
    enrolled, their groups' lessons, their individual lessons; class lessons of subjects taken
    out by home schooling are left out for them."""
    t = await timetable_school()
    people = t.school.people
    group = (await StudyGroup.insert(StudyGroup(year=t.year, name="5А рус. 1 группа", kind="subgroup",
                                                school_class=t.school.classes["5А"], subject=t.subjects["Русский язык"],
                                                created_at=NOW)).returning(StudyGroup.id).run())[0]["id"]
    await GroupMember.insert(GroupMember(study_group=group, student=people["pupil1"],
                                         starts_on=date(2026, 9, 1))).run()
    maths = await add_lesson(t, MONDAY, 1, "uchitel")
    russian = await add_lesson(t, MONDAY, 2, "klruk", subject="Русский язык", study_group=group)
    other_class = await add_lesson(t, MONDAY, 3, "other", school_class="6Б")
    individual = await add_lesson(t, MONDAY, 6, "klruk", school_class=None, student="pupil1", room=None)
    mine = await _viewer(t, "pupil1")
    whose = await views.whose_student(mine, people["pupil1"], MONDAY)
    assert whose.private and whose.title == "Морозов Артём, 5А"
    ids = {c["id"] for c in _cells(await _grid(mine, whose))}
    assert ids == {maths, russian, individual} and other_class not in ids
    # pupil2 (5А, not in the group) has the class lesson only
    admin = await _viewer(t, "admin")
    two = await views.whose_student(admin, people["pupil2"], MONDAY)
    assert {c["id"] for c in _cells(await _grid(admin, two))} == {maths}

    # home schooling in maths from this Monday: the class's maths lesson is not theirs any more
    hs = (await HomeSchooling.insert(HomeSchooling(student=people["pupil1"], kind="home", starts_on=MONDAY,
                                                   order_ref="12-у", created_at=NOW))
          .returning(HomeSchooling.id).run())[0]["id"]
    await HomeSchoolingSubject.insert(HomeSchoolingSubject(home_schooling=hs, subject=t.subjects["Математика"])).run()
    assert {c["id"] for c in _cells(await _grid(mine, whose))} == {russian, individual}
    await HomeSchoolingSubject.delete().where(HomeSchoolingSubject.home_schooling == hs).run()
    assert {c["id"] for c in _cells(await _grid(mine, whose))} == {individual}  # none listed: all


async def test_individual_lessons_stay_private(db):
    """152-ФЗ: an individual (home schooling) lesson is seen by the student, the parents, its
    teacher and holders of timetable.home; in a room's or another teacher's week others see
    «занят», never in a class's week, and a student's week shown to other staff leaves it out."""
    t = await timetable_school()
    people = t.school.people
    individual = await add_lesson(t, MONDAY, 6, "klruk", school_class=None, student="pupil1")
    class_lesson = await add_lesson(t, MONDAY, 1, "uchitel")
    admin = await _viewer(t, "admin")  # timetable.view, not timetable.home
    assert not admin.can("timetable.home")
    klass = await views.whose_class(admin, t.school.classes["5А"])
    assert {c["id"] for c in _cells(await _grid(admin, klass))} == {class_lesson}
    room = await views.whose_room(admin, t.rooms["12"])
    busy = [c for c in _cells(await _grid(admin, room)) if c["id"] == individual]
    assert busy[0]["busy"] and busy[0]["title"] == "занят" and busy[0]["lines"] == []
    teacher = await views.whose_teacher(admin, people["klruk"])
    assert _titles(await _grid(admin, teacher)) == ["занят"]
    student = await views.whose_student(admin, people["pupil1"], MONDAY)
    assert not student.private
    assert {c["id"] for c in _cells(await _grid(admin, student))} == {class_lesson}

    own_teacher = await _viewer(t, "klruk")
    [cell] = _cells(await _grid(own_teacher, await views.whose_teacher(own_teacher, people["klruk"])))
    assert cell["title"] == "Математика" and cell["lines"][0] == "индивидуально: Морозов А. Д."
    deputy = replace(admin, permissions=admin.permissions | {"timetable.home"})
    assert not _cells(await _grid(deputy, room))[0]["busy"]
    parent = await _viewer(t, "roditel")
    child = await views.whose_student(parent, people["pupil1"], MONDAY)
    assert child.private and child.parent
    cells = {c["id"]: c for c in _cells(await _grid(parent, child))}
    assert cells[individual]["lines"][0] == "индивидуальное занятие"


async def test_who_may_open_which_week(db):
    """R-ROLE-3 scope: a parent their own child only, a student only self; without
    timetable.view a teacher only their own week, a class teacher only their class, no room.
    Anything else is None (the page answers 404)."""
    t = await timetable_school()
    people, classes = t.school.people, t.school.classes
    await add_lesson(t, MONDAY, 1, "uchitel")
    parent = await _viewer(t, "roditel")
    assert await views.whose_student(parent, people["pupil1"], MONDAY) is not None
    for foreign in ("pupil2", "pupil3"):
        assert await views.whose_student(parent, people[foreign], MONDAY) is None
    assert await views.whose_class(parent, classes["5А"]) is None
    assert await views.whose_teacher(parent, people["uchitel"]) is None
    pupil = await _viewer(t, "pupil1")
    assert await views.whose_student(pupil, people["pupil1"], MONDAY) is not None
    assert await views.whose_student(pupil, people["pupil2"], MONDAY) is None

    klruk = await _viewer(t, "klruk")
    assert klruk.can("timetable.view")  # by default teachers see the whole school's timetable
    bare = replace(klruk, permissions=klruk.permissions - {"timetable.view"})
    assert await views.whose_teacher(bare, people["klruk"]) is not None
    assert await views.whose_teacher(bare, people["uchitel"]) is None
    assert await views.whose_class(bare, classes["5А"]) is not None  # their own class
    assert await views.whose_class(bare, classes["6Б"]) is None
    assert await views.whose_room(bare, t.rooms["12"]) is None
    assert await views.whose_student(bare, people["pupil1"], MONDAY) is None
    # with the right: any class, teacher, room, student — but a parent is not a student
    assert await views.whose_class(klruk, classes["6Б"]) is not None
    assert await views.whose_teacher(klruk, people["uchitel"]) is not None
    assert await views.whose_student(klruk, people["pupil3"], MONDAY) is not None
    assert await views.whose_student(klruk, people["roditel"], MONDAY) is None
    assert await views.whose_teacher(klruk, people["pupil1"]) is None
    assert await views.whose_class(klruk, 999_999) is None


async def test_week_of_a_sunday_is_the_coming_week():
    assert views.week_of(date(2026, 11, 29)) == date(2026, 11, 30)
    assert views.week_of(date(2026, 11, 28)) == MONDAY
    assert views.short_name("Кузнецов", "Олег", "") == "Кузнецов О."
    assert views.room_text("Спортзал") == "Спортзал" and views.room_text("12") == "каб. 12"


def test_a_parent_with_two_children_switches_between_their_weeks():
    """A parent's entry page shows one child's week at a time with a tab per child; the
    child's individual lesson and changes are shown to the parent."""
    from service.web import jinja
    from tests.timetable.contexts_views import PARENT_INDEX

    viewer, context, phrase = PARENT_INDEX
    html = jinja().get_template("timetable/index.html").render(
        viewer=viewer, csrf_token="t0ken", school_name="Школа", request_path="/timetable",
        is_htmx=False, **context)
    assert phrase in html and 'href="/timetable/student/12"' in html
    assert 'href="/timetable/student/11" aria-current="page"' in html
    assert "Уроки: Морозов Артём, 5А" in html and "замена: Кузнецов О. И." in html


def test_a_moved_working_day_rings_the_bells_of_the_weekday_it_follows():
    """R-YEAR-2, R-TT-1: «суббота работает по расписанию понедельника» — Saturday gets Monday's
    bells and says so; a Saturday with lessons is a column of the week."""
    from tests.timetable.contexts_views import CALENDAR, CLASS, DEPUTY, LESSONS

    saturday = date(2026, 11, 28)
    cal = replace(CALENDAR, days={saturday: {"on_date": saturday, "schedule": None, "as_weekday": 1,
                                             "note": ""}})
    assert cal.bells_on(saturday)[1] == (510, 555) and CALENDAR.bells_on(saturday) == {}
    assert cal.notes_on(saturday, 5) == ["по расписанию: понедельник"]
    lesson = {**LESSONS[0], "id": 9, "on_date": saturday, "taught_by": 4}
    week = views.build_week(CLASS, DEPUTY, MONDAY, [lesson], cal, MONDAY)
    assert week["columns"][-1]["short"] == "Сб 28.11" and week["span"] == "23–28 ноября 2026"
    assert week["rows"][0]["cells"][5][0]["time"] == "08:30–09:15"
