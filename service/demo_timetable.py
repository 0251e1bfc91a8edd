"""The demo school's timetable (issue 8 item 8): bells, rooms, one two-week (A/B) timetable
version for the current year built from the teaching load, the dated lessons of the whole year
and a few changes — absent teachers with their substitutes, a cancelled lesson, rooms changed —
in the current and the next week.

Like the rest of the demo it is decided in Python first, with ``random.Random`` seeded from the
demo's seed as the only source of chance, then written in bulk inside the generator's one
transaction (no audit row of its own: the generator's row counts what this made).

The timetable is built by a sweep over the week: lesson by lesson (Monday 1st, Monday 2nd, …),
each class that has a lesson then takes one of its remaining subjects whose teachers are free —
the one that is hardest to place later first. Subgroups (languages, IT) of a class have their
lessons at the same time with two teachers in two rooms. Weeks A and B then differ by swapping
two one-hour subjects of a class between two days where both teachers are free."""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from service.db import bulk_insert, reserve_ids
from service.school.rules import Day
from service.school.tables import AcademicYear, CalendarDay, SchoolClass, Subject, TeachingLoad
from service.settings import get_settings
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

START = 8 * 60 + 30  # the first lesson at 08:30
LESSON, SHORT_LESSON = 45, 30
BREAKS = {2: 20, 3: 20}  # minutes after the 2nd and the 3rd lesson (breakfast, lunch); else 10
NUMBERS = 8  # lessons in the bells of a weekday (the 8th: clubs and electives)
SATURDAY_NUMBERS = 6
CLUB_NUMBER = 8
PE = "Физическая культура"
GYMS = ("Спортзал", "Малый спортзал")
GYM_HOURS = 30  # PE lessons a week one gym takes (of the 35 lesson times from Monday to Friday)
HALL = "Актовый зал"
ABSENCE_REASONS = ("больничный лист", "курсы повышения квалификации", "командировка")
ATTEMPTS = 4  # the sweep is tried with this many orders; the best result is kept


def max_per_day(grade: int) -> int:
    """Lessons a day at most (СанПиН 1.2.3685-21): 4 in the 1st grade, 5 in 2–4, 6 in 5–6, 7
    from the 7th."""
    return 4 if grade == 1 else 5 if grade <= 4 else 6 if grade <= 6 else 7


def bells(numbers: int, length: int, breaks: dict[int, int] | None = None) -> list[rules.Bell]:
    """Bell times from 08:30: ``length``-minute lessons, 10-minute breaks except ``breaks``."""
    out, start = [], START
    for n in range(1, numbers + 1):
        out.append(rules.Bell(n, start, start + length))
        start += length + (breaks or {}).get(n, 10)
    return out


# --- the plan: pure Python --------------------------------------------------------------------


@dataclass
class Unit:
    """What a class (or a cross-class group) is taught in one lesson: a subject by its teacher,
    or by two teachers at once for the two subgroups (``groups``: None for the whole class)."""

    key: int
    school_class: int | None
    subject: int
    teachers: tuple[int, ...]
    groups: tuple[int | None, ...]
    hours: int
    gym: bool = False


@dataclass
class Placed:
    unit: Unit
    weekday: int
    number: int
    week: int = 0


@dataclass
class Week:
    """A weekly timetable being built: what is placed and who is busy when (per week A/B)."""

    placed: list[Placed] = field(default_factory=list)
    busy: set[tuple[int, int, int, int]] = field(default_factory=set)  # teacher, weekday, number, week
    unplaced: int = 0
    leftover: list[tuple[Unit, int]] = field(default_factory=list)
    swapped: int = 0
    gyms: int = 2  # PE lessons at one time at most: the school has this many gyms
    in_gym: Counter = field(default_factory=Counter)  # (weekday, number, week) → PE lessons

    def free(self, unit: Unit, weekday: int, number: int, weeks: tuple[int, ...] = (1, 2)) -> bool:
        if unit.gym and any(self.in_gym[(weekday, number, w)] >= self.gyms for w in weeks):
            return False
        return not any((t, weekday, number, w) in self.busy for t in unit.teachers for w in weeks)

    def take(self, unit: Unit, weekday: int, number: int, weeks: tuple[int, ...] = (1, 2)) -> None:
        for w in weeks:
            for t in unit.teachers:
                self.busy.add((t, weekday, number, w))
            if unit.gym:
                self.in_gym[(weekday, number, w)] += 1

    def release(self, unit: Unit, weekday: int, number: int, weeks: tuple[int, ...] = (1, 2)) -> None:
        for w in weeks:
            for t in unit.teachers:
                self.busy.discard((t, weekday, number, w))
            if unit.gym:
                self.in_gym[(weekday, number, w)] -= 1


def day_plan(hours: int, week_days: int, grade: int) -> dict[int, int]:
    """Lessons on each weekday: as even as possible, the extra ones mid-week (Tuesday to
    Thursday, when pupils work best), never more than a day allows."""
    base, extra = divmod(hours, week_days)
    order = [2, 3, 4, 1, 5, 6][:week_days]
    plan = {d: base for d in range(1, week_days + 1)}
    for d in order[:extra]:
        plan[d] += 1
    top = max_per_day(grade) if week_days == 5 or grade < 10 else 7
    spill = 0
    for d in plan:
        if plan[d] > top:
            spill += plan[d] - top
            plan[d] = top
    for d in order:  # a heavy load (never in the demo's curriculum) still finds its days
        while spill and plan[d] < NUMBERS - 1:
            plan[d] += 1
            spill -= 1
    return plan


def _sweep(classes: dict[int, dict], units: dict[int, list[Unit]], rng: random.Random) -> Week:
    """One pass over the week, lesson number by lesson number (see the module's docstring)."""
    pe = sum(u.hours for us in units.values() for u in us if u.gym)
    week = Week(gyms=max(1, math.ceil(pe / GYM_HOURS)))
    left = {u.key: u.hours for us in units.values() for u in us}
    teacher_left: dict[int, int] = defaultdict(int)
    for us in units.values():
        for u in us:
            for t in u.teachers:
                teacher_left[t] += u.hours
    plans = {c: day_plan(sum(u.hours for u in units[c]), info["week_days"], info["grade"])
             for c, info in classes.items()}
    on_day: set[tuple[int, int]] = set()  # (unit, weekday)
    ties = {c: rng.random() for c in classes}
    for weekday in range(1, 7):
        for number in range(1, NUMBERS):
            wanting = [c for c in classes if plans[c].get(weekday, 0) >= number]
            days_after = {c: sum(1 for d, n in plans[c].items() if d > weekday and n) for c in wanting}

            def candidates(c: int, relaxed: bool, wd: int = weekday, n: int = number,
                           after: dict = days_after) -> list[Unit]:
                return [u for u in units[c] if left[u.key] > 0 and week.free(u, wd, n)
                        and (relaxed or (u.key, wd) not in on_day or left[u.key] > after[c])]

            def score(u: Unit, c: int, after: dict = days_after) -> tuple:
                urgency = left[u.key] / (after[c] + 1)
                pressure = max(teacher_left[t] for t in u.teachers)
                return (urgency + len(u.teachers) * 0.3 + pressure / 30, rng.random())

            chosen: dict[int, Unit] = {}
            order = sorted(wanting, key=lambda c: (len(candidates(c, False)), ties[c]))
            for c in order:
                found = candidates(c, False) or candidates(c, True)
                if not found:
                    found = _free_a_teacher(c, units, left, chosen, week, weekday, number,
                                            on_day, candidates)
                if not found:
                    week.unplaced += 1
                    continue
                unit = max(found, key=lambda u, c=c: score(u, c))
                chosen[c] = unit
                week.take(unit, weekday, number)
            for unit in chosen.values():
                left[unit.key] -= 1
                for t in unit.teachers:
                    teacher_left[t] -= 1
                on_day.add((unit.key, weekday))
                week.placed.append(Placed(unit, weekday, number))
    week.unplaced = sum(left.values())
    week.leftover = [(u, left[u.key]) for us in units.values() for u in us if left[u.key] > 0]
    return week


def _free_a_teacher(c: int, units: dict[int, list[Unit]], left: dict[int, int],
                    chosen: dict[int, Unit], week: Week, weekday: int, number: int,
                    on_day: set, candidates) -> list[Unit]:
    """Class ``c`` has nothing to take: move another class of this lesson to another of its
    subjects so that a teacher ``c`` needs comes free (one step of an augmenting path)."""
    for unit in units[c]:
        if left[unit.key] <= 0:
            continue
        holders = [o for o, u in chosen.items() if set(u.teachers) & set(unit.teachers)]
        if len(holders) != 1:
            continue
        other = holders[0]
        week.release(chosen[other], weekday, number)
        if not week.free(unit, weekday, number):
            week.take(chosen[other], weekday, number)
            continue
        week.take(unit, weekday, number)
        alternatives = [u for u in candidates(other, True) if u is not chosen[other]]
        week.release(unit, weekday, number)
        if alternatives:
            replacement = alternatives[0]
            chosen[other] = replacement
            week.take(replacement, weekday, number)
            return [unit]
        week.take(chosen[other], weekday, number)
    return []


def _fill_leftovers(week: Week, classes: dict[int, dict]) -> None:
    """Hours the sweep could not place go to the end of a day of their class where the
    teachers are free (a day one lesson longer)."""
    last: dict[tuple[int, int], int] = defaultdict(int)  # (class, weekday) → last number
    for p in week.placed:
        key = (p.unit.school_class, p.weekday)
        last[key] = max(last[key], p.number)
    remaining = []
    for unit, hours in week.leftover:
        info = classes[unit.school_class]
        for _ in range(hours):
            days = sorted(range(1, info["week_days"] + 1),
                          key=lambda d, c=unit.school_class: (last[(c, d)], d))
            for d in days:
                n = last[(unit.school_class, d)] + 1
                top = SATURDAY_NUMBERS if d == 6 else NUMBERS - 1
                if n <= top and week.free(unit, d, n):
                    week.take(unit, d, n)
                    week.placed.append(Placed(unit, d, n))
                    last[(unit.school_class, d)] = n
                    break
            else:
                remaining.append(unit)
    week.unplaced = len(remaining)


def _alternate_weeks(week: Week, rng: random.Random, pairs_per_class: int = 1) -> int:
    """Weeks A and B: in some classes two one-hour subjects on two different days change
    places in week B (both keep their hour a week). Returns how many pairs were swapped."""
    by_class: dict[int, list[Placed]] = defaultdict(list)
    for p in week.placed:
        u = p.unit
        if u.hours == 1 and len(u.teachers) == 1 and u.groups == (None,) and not u.gym:
            by_class[u.school_class].append(p)
    swapped = 0
    for c in sorted(by_class):
        options = by_class[c]
        rng.shuffle(options)
        done = 0
        for i, x in enumerate(options):
            if done >= pairs_per_class:
                break
            for y in options[i + 1:]:
                if x.week or y.week or x.weekday == y.weekday:
                    continue
                if x.unit.teachers == y.unit.teachers:
                    continue
                week.release(x.unit, x.weekday, x.number, (2,))
                week.release(y.unit, y.weekday, y.number, (2,))
                if week.free(y.unit, x.weekday, x.number, (2,)) and week.free(
                        x.unit, y.weekday, y.number, (2,)):
                    week.take(y.unit, x.weekday, x.number, (2,))
                    week.take(x.unit, y.weekday, y.number, (2,))
                    x.week = y.week = 1
                    week.placed.append(Placed(y.unit, x.weekday, x.number, 2))
                    week.placed.append(Placed(x.unit, y.weekday, y.number, 2))
                    done += 1
                    swapped += 1
                    break
                week.take(x.unit, x.weekday, x.number, (2,))
                week.take(y.unit, y.weekday, y.number, (2,))
    return swapped


def build_week(classes: dict[int, dict], units: dict[int, list[Unit]], seed: int) -> Week:
    """The best of a few sweeps (fewest hours left over), with weeks A and B."""
    best = None
    for attempt in range(ATTEMPTS):
        week = _sweep(classes, units, random.Random(f"{seed}-timetable-{attempt}"))
        _fill_leftovers(week, classes)
        if best is None or week.unplaced < best.unplaced:
            best = week
        if best.unplaced == 0:
            break
    assert best is not None
    best.swapped = _alternate_weeks(best, random.Random(f"{seed}-weeks"))
    return best


# --- reading the generated school and writing its timetable ------------------------------------


async def _school(year_id: int) -> tuple[dict[int, dict], dict[int, list[Unit]], list[Unit], dict]:
    classes = {r["id"]: r for r in await SchoolClass.select(
        SchoolClass.id, SchoolClass.name, SchoolClass.grade, SchoolClass.week_days).where(
        SchoolClass.year == year_id).order_by(SchoolClass.id).run()}
    subjects = {r["id"]: r["name"] for r in await Subject.select(Subject.id, Subject.name).run()}
    loads = await TeachingLoad.raw(
        """SELECT t.teacher, t.subject, t.school_class, t.study_group, t.hours_per_week,
                  g.school_class AS group_class, g.kind
           FROM teaching_load t LEFT JOIN study_group g ON g.id = t.study_group
           LEFT JOIN school_class c ON c.id = COALESCE(t.school_class, g.school_class)
           WHERE t.ends_on IS NULL AND (c.year = {} OR g.year = {})
           ORDER BY t.id""", year_id, year_id).run()
    units: dict[int, list[Unit]] = defaultdict(list)
    cross: list[Unit] = []
    split: dict[tuple[int, int], list[dict]] = defaultdict(list)
    key = 0
    for r in loads:
        if r["school_class"] is not None:
            key += 1
            units[r["school_class"]].append(Unit(key, r["school_class"], r["subject"], (r["teacher"],),
                                                 (None,), r["hours_per_week"],
                                                 subjects[r["subject"]] == PE))
        elif r["group_class"] is not None:
            split[(r["group_class"], r["subject"])].append(r)
        else:
            key += 1
            cross.append(Unit(key, None, r["subject"], (r["teacher"],), (r["study_group"],),
                              r["hours_per_week"]))
    for (c, subject), rows in sorted(split.items()):
        key += 1
        units[c].append(Unit(key, c, subject, tuple(r["teacher"] for r in rows),
                             tuple(r["study_group"] for r in rows),
                             max(r["hours_per_week"] for r in rows)))
    for c in classes:
        units.setdefault(c, [])
    return classes, dict(units), cross, subjects


async def _calendar(year_id: int) -> list[Day]:
    rows = await CalendarDay.select().where(CalendarDay.year == year_id).run()
    return [Day(r["kind"], r["name"], r["grade_from"], r["grade_to"], r["starts_on"], r["ends_on"])
            for r in rows]


class _Rooms:
    """Rooms as they are needed: one home room per class, gyms and spare rooms from pools,
    each pool growing only when every room of it is taken at that time."""

    def __init__(self, classes: dict[int, dict]) -> None:
        self.names: list[str] = []
        self.home: dict[int, int] = {}
        per_floor: dict[int, int] = defaultdict(int)
        for c, info in sorted(classes.items(), key=lambda kv: (kv[1]["grade"], kv[1]["name"])):
            floor = 1 if info["grade"] <= 4 else 2 if info["grade"] <= 8 else 3
            per_floor[floor] += 1
            self.home[c] = self._add(f"{floor}{per_floor[floor]:02d}")
        self.hall = self._add(HALL)
        self.pools: dict[str, list[int]] = {"gym": [], "spare": []}
        self.busy: set[tuple[int, int, int, int]] = set()  # room, weekday, number, week

    def _add(self, name: str) -> int:
        self.names.append(name)
        return len(self.names) - 1

    def _pool_name(self, pool: str, n: int) -> str:
        if pool == "gym":
            return GYMS[n] if n < len(GYMS) else f"Спортзал {n + 1}"
        return f"4{n + 1:02d}"

    def take(self, room: int, weekday: int, number: int, weeks: tuple[int, ...]) -> int:
        for w in weeks:
            self.busy.add((room, weekday, number, w))
        return room

    def free(self, room: int, weekday: int, number: int, weeks: tuple[int, ...]) -> bool:
        return not any((room, weekday, number, w) in self.busy for w in weeks)

    def from_pool(self, pool: str, weekday: int, number: int, weeks: tuple[int, ...],
                  first: int | None = None) -> int:
        rooms = ([first] if first is not None else []) + self.pools[pool]
        for room in rooms:
            if self.free(room, weekday, number, weeks):
                return self.take(room, weekday, number, weeks)
        room = self._add(self._pool_name(pool, len(self.pools[pool])))
        self.pools[pool].append(room)
        return self.take(room, weekday, number, weeks)


def _weeks(week: int) -> tuple[int, ...]:
    return (1, 2) if week == 0 else (week,)


def _first_monday(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _shortened_day(year: dict, calendar: list[Day]) -> date:
    """The last weekday before the winter holidays (or before the first holidays of the year):
    a shortened day, as schools have before a long break."""
    starts = sorted(d.starts_on for d in calendar if d.kind == "holidays" and d.grade_from <= 5 <= d.grade_to)
    winter = [s for s in starts if s.month == 12] or starts or [year["ends_on"]]
    day = winter[0] - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return max(day, year["starts_on"])


async def write_demo_timetable(seed: int, moment: datetime, today: date | None = None) -> dict[str, int]:
    """Build and write the timetable of the current year of the just-generated school, inside
    the caller's transaction; returns what was made, for the generator's audit row."""
    year = await AcademicYear.select().where(AcademicYear.is_current.eq(True)).first().run()
    if year is None:
        return {}
    classes, units, cross, subjects = await _school(year["id"])
    calendar = await _calendar(year["id"])
    week = build_week(classes, units, seed)

    # cross-class groups (a club, an elective) after the lessons, on a day their teacher is free
    for unit in cross:
        for _ in range(unit.hours):
            for d in range(1, 6):
                if week.free(unit, d, CLUB_NUMBER):
                    week.take(unit, d, CLUB_NUMBER)
                    week.placed.append(Placed(unit, d, CLUB_NUMBER))
                    break

    # rooms: home rooms, then gyms and spare rooms as each time needs them
    rooms = _Rooms(classes)
    slots: list[tuple] = []  # weekday, number, week, class, group, subject, teacher, room index
    for p in sorted(week.placed, key=lambda p: (p.weekday, p.number, p.week, p.unit.key)):
        u, weeks = p.unit, _weeks(p.week)
        for i, (teacher, group) in enumerate(zip(u.teachers, u.groups, strict=True)):
            if u.school_class is None:
                room = rooms.from_pool("spare", p.weekday, p.number, weeks, first=rooms.hall)
            elif u.gym:
                room = rooms.from_pool("gym", p.weekday, p.number, weeks)
            elif i == 0:
                room = rooms.take(rooms.home[u.school_class], p.weekday, p.number, weeks)
            else:
                room = rooms.from_pool("spare", p.weekday, p.number, weeks)
            slots.append((p.weekday, p.number, p.week, u.school_class if group is None else None,
                          group, u.subject, teacher, room))

    room_ids = await reserve_ids(Room, len(rooms.names))
    await bulk_insert(Room, (Room.id, Room.name, Room.note),
                      [(room_ids[i], name, "") for i, name in enumerate(rooms.names)])

    six_days = any(c["week_days"] == 6 for c in classes.values())
    schedules = [("Основное", "12345", bells(NUMBERS, LESSON, BREAKS))]
    if six_days:
        schedules.append(("Суббота", "6", bells(SATURDAY_NUMBERS, LESSON, BREAKS)))
    schedules.append(("Сокращённый день", "", bells(NUMBERS, SHORT_LESSON, BREAKS)))
    schedule_ids = await reserve_ids(BellSchedule, len(schedules))
    await bulk_insert(BellSchedule, (BellSchedule.id, BellSchedule.year, BellSchedule.name,
                                     BellSchedule.weekdays, BellSchedule.created_at),
                      [(schedule_ids[i], year["id"], name, days, moment)
                       for i, (name, days, _) in enumerate(schedules)])
    await bulk_insert(Bell, (Bell.schedule, Bell.number, Bell.starts_at, Bell.ends_at),
                      [(schedule_ids[i], b.number, b.starts_at, b.ends_at)
                       for i, (_, _, times) in enumerate(schedules) for b in times])
    short_day = _shortened_day(year, calendar)
    await bulk_insert(DaySetting, (DaySetting.year, DaySetting.on_date, DaySetting.schedule,
                                   DaySetting.as_weekday, DaySetting.note),
                      [(year["id"], short_day, schedule_ids[-1], None,
                        "Сокращённые уроки перед каникулами")])

    anchor = _first_monday(year["starts_on"])
    [version] = await reserve_ids(Timetable, 1)
    await bulk_insert(Timetable, (Timetable.id, Timetable.year, Timetable.name, Timetable.starts_on,
                                  Timetable.ends_on, Timetable.cycle, Timetable.anchor,
                                  Timetable.skip_holiday_weeks, Timetable.created_at),
                      [(version, year["id"], "Основное расписание", year["starts_on"], None, 2,
                        anchor, True, moment)])
    slot_ids = await reserve_ids(Slot, len(slots))
    await bulk_insert(Slot, (Slot.id, Slot.timetable, Slot.weekday, Slot.number, Slot.week,
                             Slot.school_class, Slot.study_group, Slot.subject, Slot.teacher,
                             Slot.room),
                      [(slot_ids[i], version, wd, n, w, c, g, s, t, room_ids[r])
                       for i, (wd, n, w, c, g, s, t, r) in enumerate(slots)])

    # the dated lessons of the whole year
    skipped = tuple(rules.weeks_without_school(year["starts_on"], year["ends_on"], calendar))
    v = rules.Version(year["starts_on"], None, 2, anchor, skipped)
    group_class = {g: u.school_class for us in units.values() for u in us for g in u.groups if g}
    days_of: dict[tuple, dict[tuple[int, int], list[date]]] = {}
    lessons: list[list] = []
    for i, (wd, n, w, c, g, s, t, r) in enumerate(slots):
        owner = c if c is not None else group_class.get(g)
        pattern = rules.Pattern(classes[owner]["grade"] if owner else None,
                                classes[owner]["week_days"] if owner else 6)
        if pattern not in days_of:
            table: dict[tuple[int, int], list[date]] = defaultdict(list)
            for day, weekday, wtype in rules.lesson_days(v, pattern, year["starts_on"], year["ends_on"],
                                                         year["starts_on"], year["ends_on"], calendar):
                table[(weekday, wtype)].append(day)
            days_of[pattern] = table
        for wtype in ((1, 2) if w == 0 else (w,)):
            for day in days_of[pattern].get((wd, wtype), ()):
                lessons.append([day, n, c, g, s, t, t, room_ids[r], slot_ids[i], False, False,
                                "", 0, None])
    lessons.sort(key=lambda x: (x[0], x[1], x[8]))
    changes = _changes(lessons, units, cross, room_ids, year, seed, moment, today)
    lesson_ids = await reserve_ids(Lesson, len(lessons))
    await bulk_insert(Lesson, (Lesson.id, Lesson.on_date, Lesson.number, Lesson.school_class,
                               Lesson.study_group, Lesson.subject, Lesson.teacher, Lesson.taught_by,
                               Lesson.room, Lesson.slot, Lesson.cancelled, Lesson.room_changed,
                               Lesson.change_note, Lesson.revision, Lesson.changed_at,
                               Lesson.student, Lesson.combined, Lesson.extra, Lesson.has_records),
                      [(lesson_ids[i], *row, None, False, False, False)
                       for i, row in enumerate(lessons)])
    await bulk_insert(Absence, (Absence.teacher, Absence.starts_on, Absence.ends_on, Absence.reason,
                                Absence.created_at),
                      [(*a, moment) for a in changes["absences"]])
    return {"rooms": len(rooms.names), "bell_schedules": len(schedules), "slots": len(slots),
            "lessons": len(lessons), "hours_not_placed": week.unplaced,
            "ab_swaps": week.swapped,
            "absences": len(changes["absences"]), "substitutions": changes["replaced"],
            "cancelled": changes["cancelled"], "rooms_changed": changes["rooms_changed"]}


def _changes(lessons: list[list], units: dict[int, list[Unit]], cross: list[Unit],
             room_ids: list[int], year: dict, seed: int, moment: datetime,
             today: date | None) -> dict:
    """Absent teachers in the current and the next week, their lessons given to a free
    teacher of the same subject (or of the class, or cancelled), and a few rooms changed.
    Changes ``lessons`` in place (columns as written: see the caller)."""
    rng = random.Random(f"{seed}-changes")
    today = today or datetime.now(get_settings().tz).date()
    today = min(max(today, year["starts_on"]), year["ends_on"] - timedelta(days=13))
    first = rules.monday(today)
    last = first + timedelta(days=12)
    window = [x for x in lessons if first <= x[0] <= last]
    if not window:
        return {"absences": [], "replaced": 0, "cancelled": 0, "rooms_changed": 0}
    busy_teachers: dict[tuple[date, int], set[int]] = defaultdict(set)
    busy_rooms: dict[tuple[date, int], set[int]] = defaultdict(set)
    for x in window:
        busy_teachers[(x[0], x[1])].add(x[6])
        busy_rooms[(x[0], x[1])].add(x[7])
    same_subject: dict[int, set[int]] = defaultdict(set)
    of_class: dict[int, set[int]] = defaultdict(set)
    group_class: dict[int, int] = {}
    for us in units.values():
        for u in us:
            for t, g in zip(u.teachers, u.groups, strict=True):
                same_subject[u.subject].add(t)
                of_class[u.school_class].add(t)
                if g is not None:
                    group_class[g] = u.school_class
    teaching = sorted({x[5] for x in window})
    absent_count = max(1, len(teaching) // 25)
    absences, away = [], defaultdict(set)
    school_days = sorted({x[0] for x in window})
    for teacher in rng.sample(teaching, min(absent_count, len(teaching))):
        start = rng.randrange(len(school_days))
        span = school_days[start:start + rng.randint(1, 3)]
        absences.append((teacher, span[0], span[-1], rng.choice(ABSENCE_REASONS)))
        away[teacher] |= set(span)
    last_lesson: dict[tuple[date, int | None], int] = defaultdict(int)  # (day, class) → number
    for x in window:
        owner = x[2] if x[2] is not None else group_class.get(x[3])
        last_lesson[(x[0], owner)] = max(last_lesson[(x[0], owner)], x[1])
    replaced = cancelled = 0
    for x in window:
        teacher, day, number = x[5], x[0], x[1]
        if day not in away.get(teacher, ()):
            continue
        owner = x[2] if x[2] is not None else group_class.get(x[3])
        pools = [same_subject[x[4]], of_class.get(owner, set())]
        # the last lesson of a class's day is often simply cancelled: the pupils go home early
        if owner is not None and number == last_lesson[(day, owner)] and rng.random() < 0.5:
            pools = []
        substitute = None
        for pool in pools:
            free = sorted(t for t in pool if t != teacher and t not in busy_teachers[(day, number)]
                          and day not in away.get(t, ()))
            if free:
                substitute = rng.choice(free)
                break
        x[12], x[13] = 1, moment
        if substitute is None:
            x[9] = True
            x[11] = "Отменён: учитель отсутствует"
            cancelled += 1
        else:
            x[6] = substitute
            busy_teachers[(day, number)].add(substitute)
            x[11] = "Замена: учитель отсутствует"
            replaced += 1
    rooms_changed = 0
    ordinary = [x for x in window if not x[9] and x[6] == x[5] and x[0] >= today]
    for x in rng.sample(ordinary, min(len(ordinary), 4)):
        free = [r for r in room_ids if r not in busy_rooms[(x[0], x[1])]]
        if not free:
            continue
        busy_rooms[(x[0], x[1])].discard(x[7])
        x[7] = rng.choice(free)
        busy_rooms[(x[0], x[1])].add(x[7])
        x[10], x[11], x[12], x[13] = True, "Кабинет изменён", 1, moment
        rooms_changed += 1
    return {"absences": absences, "replaced": replaced, "cancelled": cancelled,
            "rooms_changed": rooms_changed}
