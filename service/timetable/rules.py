"""Pure rules of the timetable: the A/B week of a date, bell times, which dates a weekly slot
becomes a lesson on, and when two lessons meet (a teacher, a room or a class in two places at
once). No I/O: tested without a database (tests/timetable/test_rules.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from service.errors import Refused
from service.school.rules import Day, is_school_day

WEEKDAYS = {1: "понедельник", 2: "вторник", 3: "среда", 4: "четверг", 5: "пятница", 6: "суббота",
            7: "воскресенье"}
WEEKDAYS_SHORT = {1: "Пн", 2: "Вт", 3: "Ср", 4: "Чт", 5: "Пт", 6: "Сб", 7: "Вс"}
# «по понедельникам» — the dative plural a slot's weekday reads in
WEEKDAYS_PLURAL = {1: "по понедельникам", 2: "по вторникам", 3: "по средам", 4: "по четвергам",
                   5: "по пятницам", 6: "по субботам", 7: "по воскресеньям"}
# «на понедельник», «на среду» — the accusative after «на»
WEEKDAYS_ON = {1: "понедельник", 2: "вторник", 3: "среду", 4: "четверг", 5: "пятницу", 6: "субботу",
               7: "воскресенье"}
WEEKS = {0: "каждую неделю", 1: "неделя A", 2: "неделя B"}
WEEK_LETTERS = {0: "", 1: "A", 2: "B"}
CYCLES = (1, 2)
NUMBER_MIN, NUMBER_MAX = 0, 12  # «нулевой урок» … a long day of a senior class
DAY_START, DAY_END = 7 * 60, 21 * 60  # lessons happen between 07:00 and 21:00
TIME = re.compile(r"^([01]?[0-9]|2[0-3])[:.]([0-5][0-9])$")


# --- weeks A and B ------------------------------------------------------------------------------


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_type(day: date, cycle: int, anchor: date | None, skipped: Iterable[date] = ()) -> int:
    """0 for a one-week timetable; otherwise 1 (week A) or 2 (week B). Week A is the week
    holding ``anchor``; the weeks alternate from there, forwards and backwards. ``skipped``
    are the Mondays of weeks that do not count (weeks without school days, when the school keeps
    the alternation going after the holidays); such a week shares the type of its neighbour
    toward the anchor week (it has no lessons anyway)."""
    if cycle == 1 or anchor is None:
        return 0
    start, this = monday(anchor), monday(day)
    weeks = abs((this - start).days) // 7
    if this > start:  # weeks (start, this]
        weeks -= sum(1 for m in set(skipped) if start < m <= this)
    elif this < start:  # weeks [this, start)
        weeks -= sum(1 for m in set(skipped) if this <= m < start)
    return 1 if weeks % 2 == 0 else 2


def weeks_without_school(year_start: date, year_end: date, calendar: Iterable[Day]) -> list[date]:
    """Mondays of the weeks of a year with no school day for any grade (a week of holidays):
    the weeks a timetable with ``skip_holiday_weeks`` does not count. Pages ask it for every
    week letter they show, so the answer is kept per calendar."""
    return list(_weeks_without_school(year_start, year_end, tuple(calendar)))


@lru_cache(maxsize=64)
def _weeks_without_school(year_start: date, year_end: date, calendar: tuple[Day, ...]) -> tuple[date, ...]:
    mondays, week = [], monday(year_start)
    while week <= year_end:
        days = [week + timedelta(days=i) for i in range(7)]
        if not any(is_school_day(d, grade, 6, year_start, year_end, list(calendar))
                   for d in days for grade in range(1, 12)):
            mondays.append(week)
        week += timedelta(days=7)
    return tuple(mondays)


def check_anchor(cycle: int, anchor: date | None, year_start: date, year_end: date) -> None:
    if cycle not in CYCLES:
        raise Refused("Цикл расписания: одна неделя или две недели (A и B)", field="cycle")
    if cycle == 2 and anchor is None:
        raise Refused("Для двухнедельного расписания укажите дату, с недели которой считается "
                      "неделя A", field="anchor")
    if anchor is not None and not year_start <= anchor <= year_end:
        raise Refused(f"Дата недели A {anchor:%d.%m.%Y} — вне учебного года "
                      f"({year_start:%d.%m.%Y}–{year_end:%d.%m.%Y})", field="anchor")


# --- bells ----------------------------------------------------------------------------------


def parse_time(text: str, field: str = "starts_at") -> int:
    """«08:30» or «8.30» → minutes after midnight (510)."""
    found = TIME.match(text.strip())
    if not found:
        raise Refused(f"Время «{text.strip()[:10]}»: введите часы и минуты, например 08:30", field=field)
    return int(found.group(1)) * 60 + int(found.group(2))


def time_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def lesson_name(number: int) -> str:
    """«3-й урок», «нулевой урок»."""
    return "нулевой урок" if number == 0 else f"{number}-й урок"


@dataclass(frozen=True)
class Bell:
    number: int
    starts_at: int
    ends_at: int

    def text(self) -> str:
        return f"{lesson_name(self.number)} ({time_text(self.starts_at)}–{time_text(self.ends_at)})"


def check_bells(bells: list[Bell]) -> None:
    """A bell schedule: each lesson once, starting before it ends, between 07:00 and 21:00, in
    the order of their numbers, none overlapping the next. The message names the lessons."""
    if not bells:
        raise Refused("В расписании звонков нет ни одного урока", field="bells")
    seen: set[int] = set()
    for bell in bells:
        if not NUMBER_MIN <= bell.number <= NUMBER_MAX:
            raise Refused(f"Номер урока {bell.number}: от {NUMBER_MIN} до {NUMBER_MAX}", field="bells")
        if bell.number in seen:
            raise Refused(f"{lesson_name(bell.number).capitalize()} указан дважды", field="bells")
        seen.add(bell.number)
        if bell.starts_at >= bell.ends_at:
            raise Refused(f"{bell.text().capitalize()}: урок должен начинаться раньше, чем "
                          "заканчивается", field="bells")
        if bell.starts_at < DAY_START or bell.ends_at > DAY_END:
            raise Refused(f"{bell.text().capitalize()}: уроки идут с 07:00 до 21:00", field="bells")
    ordered = sorted(bells, key=lambda b: b.number)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.starts_at < before.ends_at:
            raise Refused(f"{before.text().capitalize()} пересекается с уроком "
                          f"{after.text()}", field="bells")


def check_weekdays(weekdays: str, taken: dict[int, str]) -> str:
    """The weekdays a bell schedule is for ("135"), each in one schedule only; ``taken`` maps a
    weekday to the name of the schedule that has it."""
    days = sorted({int(c) for c in weekdays if c in "0123456789"})
    if any(not 1 <= d <= 6 for d in days) or len(days) != len([c for c in weekdays if c.strip()]):
        raise Refused("Дни недели: от понедельника до субботы, каждый один раз", field="weekdays")
    for day in days:
        if day in taken:
            raise Refused(f"На {WEEKDAYS_ON[day]} уже действует расписание звонков «{taken[day]}»",
                          field="weekdays")
    return "".join(str(d) for d in days)


# --- which dates a slot is a lesson on -----------------------------------------------------


def school_day(day: date, grade: int | None, week_days: int, year_start: date, year_end: date,
               calendar: list[Day]) -> bool:
    """Whether lessons happen on ``day`` for a class of ``grade`` (``None``: a cross-class group,
    off only on holidays and days off of the whole school)."""
    if grade is not None:
        return is_school_day(day, grade, week_days, year_start, year_end, calendar)
    if not year_start <= day <= year_end:
        return False
    mine = [d for d in calendar if d.starts_on <= day <= d.ends_on]
    if any(d.kind in ("holidays", "day_off") and d.grade_from <= 1 and d.grade_to >= 11 for d in mine):
        return False
    if any(d.kind == "workday" for d in mine):
        return True
    return day.weekday() < week_days


@dataclass(frozen=True)
class Pattern:
    """What the lesson dates of one class (or group) depend on."""

    grade: int | None
    week_days: int


@dataclass(frozen=True)
class Version:
    """A timetable version as a value: where it is in force and how its weeks alternate."""

    starts_on: date
    ends_on: date | None
    cycle: int
    anchor: date | None
    skipped: tuple[date, ...] = ()


def lesson_days(version: Version, pattern: Pattern, start: date, end: date, year_start: date,
                year_end: date, calendar: list[Day],
                as_weekday: dict[date, int] | None = None) -> Iterator[tuple[date, int, int]]:
    """The school days of ``start``–``end`` inside the version's dates, each with the weekday
    whose slots apply (1–6: its own, or the one a moved working day follows, ``as_weekday``)
    and its week type (0, 1 = A, 2 = B)."""
    as_weekday = as_weekday or {}
    first = max(start, version.starts_on, year_start)
    last = min(end, version.ends_on or year_end, year_end)
    day = first
    while day <= last:
        if school_day(day, pattern.grade, pattern.week_days, year_start, year_end, calendar):
            weekday = as_weekday.get(day, day.isoweekday())
            if weekday <= 6:
                yield day, weekday, week_type(day, version.cycle, version.anchor, version.skipped)
        day += timedelta(days=1)


def weeks_meet(a: int, b: int) -> bool:
    """Two slots' weeks share a week: "every week" meets both A and B."""
    return a == 0 or b == 0 or a == b


# --- two places at once ---------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a lesson puts its people at one time: for conflict checks of slots (weekday,
    number, week) and of dated lessons (the same, with the date's weekday and week 0).
    ``group_class`` is the class of a subgroup; ``label`` names the lesson in messages
    («5А, математика, Попова М. С., каб. 12, понедельник, 2-й урок»)."""

    weekday: int
    number: int
    week: int
    teacher: int
    label: str
    school_class: int | None = None
    study_group: int | None = None
    group_class: int | None = None
    student: int | None = None
    room: int | None = None
    id: int | None = None


def _class_of(place: Place) -> int | None:
    return place.school_class if place.school_class is not None else place.group_class


def clash(new: Place, other: Place) -> str | None:
    """What ``new`` and ``other`` would share at once: "teacher", "room", "class", "group",
    "student" — or None when they may run in parallel (two subgroups of a class, two classes
    in two rooms)."""
    if (new.weekday, new.number) != (other.weekday, other.number) or not weeks_meet(new.week, other.week):
        return None
    if new.id is not None and new.id == other.id:
        return None
    if new.teacher == other.teacher:
        return "teacher"
    if new.room is not None and new.room == other.room:
        return "room"
    if new.student is not None and new.student == other.student:
        return "student"
    if new.study_group is not None and new.study_group == other.study_group:
        return "group"
    mine, theirs = _class_of(new), _class_of(other)
    if mine is not None and mine == theirs and (new.study_group is None or other.study_group is None):
        return "class"  # a whole-class lesson meets any lesson of the class
    return None


CLASH_WORDS = {
    "teacher": "учитель уже ведёт урок",
    "room": "кабинет уже занят",
    "class": "у класса уже есть урок",
    "group": "у группы уже есть урок",
    "student": "у ученика уже есть урок",
}


def check_places(new: Place, others: Iterable[Place]) -> None:
    """Refuse ``new`` when it meets one of ``others``, naming both lessons."""
    for other in others:
        kind = clash(new, other)
        if kind is not None:
            raise Refused(f"Не получится: {CLASH_WORDS[kind]} в это время. Новый урок: {new.label}; "
                          f"уже есть: {other.label}", field=_FIELDS[kind])


_FIELDS = {"teacher": "teacher", "room": "room", "class": "number", "group": "number",
           "student": "number"}


# --- rooms ----------------------------------------------------------------------------------

ROOM_NAME = re.compile(r"^[0-9А-Яа-яЁё][0-9А-Яа-яЁё .№]*$")


def check_room_name(name: str) -> str:
    """A room's name as a school writes it on the door: «101», «12а», «Спортзал», «Каб. 5» —
    Russian letters, digits, spaces, dots and «№»; a bare number has at most 5 digits."""
    name = " ".join(name.split())
    if not ROOM_NAME.match(name) or (name.isdigit() and (len(name) > 5 or name.startswith("0"))):
        raise Refused(f"Кабинет «{name[:30]}»: номер или название по-русски, например 101, 12а, "
                      "Спортзал", field="name")
    return name
