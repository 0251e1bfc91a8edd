"""The demo school's timetable (issue 8 item 8; R-TT-1, R-TT-2, R-TT-3, R-YEAR-2): every class
gets a two-week timetable from its teaching load with nobody in two places at once, the dated
lessons fall on school days only, weeks A and B differ, and the current weeks hold some
substitutions — all inside the generator's one transaction and its one audit row."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from itertools import combinations

import pytest

from service.audit.log import Actor
from service.audit.tables import AuditEvent
from service.db import atomic
from service.demo import generate_demo_school
from service.demo_timetable import _school, build_week, day_plan, max_per_day
from service.school.rules import Day
from service.school.tables import AcademicYear, CalendarDay, SchoolClass, TeachingLoad
from service.timetable import lessons as lessons_mod
from service.timetable import rules
from service.timetable.tables import (
    Absence,
    Bell,
    BellSchedule,
    DaySetting,
    Lesson,
    Room,
    Slot,
    Timetable,
)

pytestmark = pytest.mark.anyio

_SLOTS_SQL = """
SELECT s.id, s.weekday, s.number, s.week, s.school_class, s.study_group, s.student, s.subject,
       s.teacher, s.room, g.school_class AS group_class
FROM timetable_slot s LEFT JOIN study_group g ON g.id = s.study_group
"""


async def _slots() -> list[dict]:
    return await Slot.raw(_SLOTS_SQL).run()


def _clashes(slots: list[dict]) -> list[tuple[str, dict, dict]]:
    cells: dict[tuple[int, int], list[rules.Place]] = defaultdict(list)
    for s in slots:
        cells[(s["weekday"], s["number"])].append(rules.Place(
            weekday=s["weekday"], number=s["number"], week=s["week"], teacher=s["teacher"],
            label=str(s["id"]), school_class=s["school_class"], study_group=s["study_group"],
            group_class=s["group_class"], student=s["student"], room=s["room"], id=s["id"]))
    found = []
    for places in cells.values():
        for a, b in combinations(places, 2):
            kind = rules.clash(a, b)
            if kind is not None:
                found.append((kind, a, b))
    return found


def _weekly_hours(slots: list[dict], week: int) -> Counter:
    """(teacher, subject, class, group) → lessons in week A (1) or B (2)."""
    return Counter((s["teacher"], s["subject"], s["school_class"], s["study_group"])
                   for s in slots if s["week"] in (0, week))


async def _check_the_school() -> dict:
    """What every size must satisfy; returns the generator's timetable counts."""
    slots = await _slots()
    assert _clashes(slots) == []
    # every load row is taught its hours a week, in week A and in week B alike
    loads = await TeachingLoad.select().run()
    wanted = Counter({(r["teacher"], r["subject"], r["school_class"], r["study_group"]):
                      r["hours_per_week"] for r in loads})
    assert _weekly_hours(slots, 1) == wanted
    assert _weekly_hours(slots, 2) == wanted
    # every class has lessons on each of its days, no more than a day allows
    classes = {r["id"]: r for r in await SchoolClass.select().where(SchoolClass.year.is_current.eq(True)).run()}
    per_day = Counter((s["school_class"], s["weekday"], s["week"] or 1) for s in slots
                      if s["school_class"] is not None)
    for c in classes.values():
        for d in range(1, c["week_days"] + 1):
            assert per_day[(c["id"], d, 1)] > 0, (c["name"], d)
    for (c, d, _), n in per_day.items():
        assert n <= max_per_day(classes[c]["grade"]) + 1, (classes[c]["name"], d)
    # one version, two weeks, anchored on the first Monday of the year
    [version] = await Timetable.select().run()
    year = await AcademicYear.select().where(AcademicYear.is_current.eq(True)).first().run()
    assert version["cycle"] == 2 and version["anchor"].weekday() == 0
    assert 0 <= (version["anchor"] - year["starts_on"]).days < 7
    assert any(s["week"] for s in slots)  # weeks A and B differ
    # bells: each schedule passes the rules; the shortened day is set on a school day
    schedules = await BellSchedule.select().run()
    for sch in schedules:
        times = await Bell.select().where(Bell.schedule == sch["id"]).run()
        rules.check_bells([rules.Bell(b["number"], b["starts_at"], b["ends_at"]) for b in times])
    [short] = await DaySetting.select().run()
    assert short["schedule"] == next(s["id"] for s in schedules if s["name"] == "Сокращённый день")
    assert {"Спортзал", "Актовый зал"} <= {r["name"] for r in await Room.select(Room.name).run()}

    # dated lessons: school days only (none in the holidays), the slot's weekday and week
    calendar = [Day(r["kind"], r["name"], r["grade_from"], r["grade_to"], r["starts_on"], r["ends_on"])
                for r in await CalendarDay.select().run()]
    holidays = [d for d in calendar if d.kind in ("holidays", "day_off")]
    by_slot = {s["id"]: s for s in slots}
    skipped = rules.weeks_without_school(year["starts_on"], year["ends_on"], calendar)
    rows = await Lesson.select(Lesson.on_date, Lesson.slot, Lesson.school_class, Lesson.study_group,
                               Lesson.teacher, Lesson.taught_by, Lesson.cancelled,
                               Lesson.room_changed).run()
    assert rows
    for r in rows:
        s = by_slot[r["slot"]]
        c = classes.get(s["school_class"] or s["group_class"])
        grade = c["grade"] if c else None
        assert rules.school_day(r["on_date"], grade, c["week_days"] if c else 6, year["starts_on"],
                                year["ends_on"], calendar), r
        # a cross-class group (a club) is off on the holidays of the whole school
        assert not any(h.starts_on <= r["on_date"] <= h.ends_on and
                       h.grade_from <= (grade or 1) and (grade or 11) <= h.grade_to for h in holidays)
        assert r["on_date"].isoweekday() == s["weekday"]
        if s["week"]:
            assert rules.week_type(r["on_date"], 2, version["anchor"], skipped) == s["week"]
    # the lessons are what the timetable's own sync would make: nothing to add or change
    async with atomic():
        done = await lessons_mod.sync_lessons(Actor.system("tests"), version["id"], year["starts_on"])
    assert not done, done
    # changes in the current weeks: absent teachers, substitutes or cancellations, rooms
    assert await Absence.count().run() > 0
    assert any(r["taught_by"] != r["teacher"] or r["cancelled"] for r in rows)
    assert any(r["room_changed"] for r in rows)
    # one audit row for the whole generation, naming what the timetable holds
    events = await AuditEvent.select(AuditEvent.action, AuditEvent.new).run()
    assert not [e for e in events if e["action"].startswith("timetable.")
                and e["action"] != "timetable.lessons_made"]
    [generated] = [json.loads(e["new"]) for e in events if e["action"] == "school.demo_generated"]
    made = generated["timetable"]
    assert made["lessons"] == len(rows) and made["slots"] == len(slots)
    assert made["hours_not_placed"] == 0
    return made


async def test_the_small_demo_school_has_a_complete_timetable(db):
    await generate_demo_school("S", 2026)
    made = await _check_the_school()
    assert made["substitutions"] + made["cancelled"] > 0


async def test_the_timetable_is_the_same_for_the_same_seed(sqlite_db):
    await generate_demo_school("M", 7)
    year = (await AcademicYear.select(AcademicYear.id).where(AcademicYear.is_current.eq(True)).first().run())["id"]
    classes, units, _, _ = await _school(year)
    first, second = build_week(classes, units, 7), build_week(classes, units, 7)
    key = [(p.unit.key, p.weekday, p.number, p.week) for p in first.placed]
    assert key == [(p.unit.key, p.weekday, p.number, p.week) for p in second.placed]
    assert key != [(p.unit.key, p.weekday, p.number, p.week) for p in build_week(classes, units, 8).placed]


def test_day_plan_spreads_the_week():
    assert day_plan(20, 5, 1) == {1: 4, 2: 4, 3: 4, 4: 4, 5: 4}
    plan = day_plan(33, 5, 9)
    assert sum(plan.values()) == 33 and max(plan.values()) - min(plan.values()) <= 1
    assert plan[3] == 7 and plan[1] == 6
    assert sum(day_plan(27, 6, 10).values()) == 27


async def test_the_large_demo_school_has_a_complete_timetable(sqlite_db):
    await generate_demo_school("L", 2026)
    made = await _check_the_school()
    assert made["ab_swaps"] >= 20 and made["absences"] >= 5
