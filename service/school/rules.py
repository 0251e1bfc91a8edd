"""Pure rules of the school's calendar and structure: default periods and holidays of a Russian
school year, overlaps, whether a date is a school day for a class, shifting a year's calendar
to the next year. No I/O: tested without a database (tests/school/test_rules.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from service.errors import Refused

GRADES = range(1, 12)
# scheme → (how many periods, the Russian name of one, e.g. «1 четверть»)
SCHEMES: dict[str, tuple[int, str]] = {
    "quarters": (4, "четверть"),
    "trimesters": (3, "триместр"),
    "halves": (2, "полугодие"),
}
SCHEME_LABELS = {"quarters": "четверти", "trimesters": "триместры", "halves": "полугодия"}
DAY_KINDS = {"holidays": "каникулы", "day_off": "праздник, выходной", "workday": "рабочий день (перенос)"}
GROUP_KINDS = {
    "subgroup": "подгруппа класса",
    "profile": "профильная группа",
    "elective": "элективный курс",
    "optional": "факультатив",
    "club": "кружок",
    "gpd": "группа продлённого дня (ГПД)",
    "extra": "дополнительное образование",
}
WEEK_DAYS = (5, 6)
HOURS_MIN, HOURS_MAX = 1, 40
YEAR_NAME = re.compile(r"^([0-9]{4})/([0-9]{4})$")
CLASS_LETTER = re.compile(r"^[А-ЯЁ]{1,2}$")
RUSSIAN_LETTER = re.compile(r"[А-Яа-яЁё]")


@dataclass(frozen=True)
class Period:
    """«Учебный период» as a value: a quarter, trimester or half-year of a grade range."""

    scheme: str
    number: int
    name: str
    grade_from: int
    grade_to: int
    starts_on: date
    ends_on: date
    id: int | None = None


@dataclass(frozen=True)
class Day:
    """A calendar entry: holidays (a span), a day off, or a moved working day, for grades."""

    kind: str
    name: str
    grade_from: int
    grade_to: int
    starts_on: date
    ends_on: date
    id: int | None = None


def overlaps(a_start: date, a_end: date, b_start: date, b_end: date) -> bool:
    """Two closed date spans share at least one day."""
    return a_start <= b_end and b_start <= a_end


def grades_meet(a_from: int, a_to: int, b_from: int, b_to: int) -> bool:
    return a_from <= b_to and b_from <= a_to


def period_name(scheme: str, number: int) -> str:
    return f"{number} {SCHEMES[scheme][1]}"


# --- the year -------------------------------------------------------------------------------


def check_year(name: str, starts_on: date, ends_on: date,
               others: list[tuple[str, date, date]]) -> None:
    """A new year: «2027/2028», starting before it ends, at most a year long, overlapping no
    other year (``others``: name, start, end)."""
    match = YEAR_NAME.match(name)
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise Refused("Название года: в виде 2027/2028 (два года подряд)", field="name")
    if starts_on >= ends_on:
        raise Refused("Начало учебного года должно быть раньше его окончания", field="ends_on")
    if starts_on.year != int(match.group(1)):
        raise Refused(f"Учебный год {name} начинается в {match.group(1)} году", field="starts_on")
    if (ends_on - starts_on).days > 366:
        raise Refused("Учебный год не может быть длиннее календарного года", field="ends_on")
    for other, start, end in others:
        if other == name:
            raise Refused(f"Учебный год {name} уже есть", field="name")
        if overlaps(starts_on, ends_on, start, end):
            raise Refused(f"Даты пересекаются с учебным годом {other} "
                          f"({start:%d.%m.%Y}–{end:%d.%m.%Y})", field="starts_on")


def _clamp(start: date, end: date, lo: date, hi: date) -> tuple[date, date] | None:
    start, end = max(start, lo), min(end, hi)
    return (start, end) if start <= end else None


def _feb_end(year: int) -> date:
    return date(year, 3, 1) - timedelta(days=1)


def _default_spans(scheme: str, y: int, year_end: date) -> list[tuple[date, date]]:
    """Usual dates of a Russian school year starting in September of ``y``: quarters around
    the autumn, winter and spring holidays; half-years split at the winter holidays."""
    if scheme == "quarters":
        return [(date(y, 9, 1), date(y, 10, 24)), (date(y, 11, 5), date(y, 12, 28)),
                (date(y + 1, 1, 9), date(y + 1, 3, 21)), (date(y + 1, 3, 30), year_end)]
    if scheme == "trimesters":
        return [(date(y, 9, 1), date(y, 11, 30)), (date(y, 12, 1), _feb_end(y + 1)),
                (date(y + 1, 3, 1), year_end)]
    return [(date(y, 9, 1), date(y, 12, 28)), (date(y + 1, 1, 9), year_end)]


def default_periods(starts_on: date, ends_on: date, junior: str = "quarters",
                    senior: str = "halves") -> list[Period]:
    """Periods of a new year: ``junior`` scheme for grades 1–9 (quarters, or trimesters),
    ``senior`` for 10–11 (half-years). The first period starts with the year, the last ends
    with it; the deputy then edits the dates the school actually has."""
    result = []
    for scheme, grade_from, grade_to in ((junior, 1, 9), (senior, 10, 11)):
        spans = _default_spans(scheme, starts_on.year, ends_on)
        spans[0] = (starts_on, spans[0][1])
        spans[-1] = (spans[-1][0], ends_on)
        kept = [s for s in (_clamp(a, b, starts_on, ends_on) for a, b in spans) if s]
        for number, (a, b) in enumerate(kept, start=1):
            result.append(Period(scheme, number, period_name(scheme, number), grade_from, grade_to, a, b))
    return result


def default_days(starts_on: date, ends_on: date) -> list[Day]:
    """The usual holidays (autumn, winter, spring, the extra February week of first graders)
    and public holidays that fall within the year."""
    y = starts_on.year
    wanted = [
        Day("holidays", "Осенние каникулы", 1, 11, date(y, 10, 25), date(y, 11, 4)),
        Day("holidays", "Зимние каникулы", 1, 11, date(y, 12, 29), date(y + 1, 1, 8)),
        Day("holidays", "Дополнительные каникулы для первоклассников", 1, 1,
            date(y + 1, 2, 14), date(y + 1, 2, 22)),
        Day("holidays", "Весенние каникулы", 1, 11, date(y + 1, 3, 22), date(y + 1, 3, 29)),
        Day("day_off", "День защитника Отечества", 1, 11, date(y + 1, 2, 23), date(y + 1, 2, 23)),
        Day("day_off", "Международный женский день", 1, 11, date(y + 1, 3, 8), date(y + 1, 3, 8)),
        Day("day_off", "Праздник Весны и Труда", 1, 11, date(y + 1, 5, 1), date(y + 1, 5, 1)),
        Day("day_off", "День Победы", 1, 11, date(y + 1, 5, 9), date(y + 1, 5, 9)),
    ]
    result = []
    for day in wanted:
        span = _clamp(day.starts_on, day.ends_on, starts_on, ends_on)
        if span:
            result.append(replace(day, starts_on=span[0], ends_on=span[1]))
    return result


# --- periods and calendar days --------------------------------------------------------------


def _check_grades(grade_from: int, grade_to: int) -> None:
    if grade_from not in GRADES or grade_to not in GRADES:
        raise Refused("Классы: от 1 до 11", field="grade_from")
    if grade_from > grade_to:
        raise Refused("Классы: «с» не больше «по»", field="grade_to")


def check_period(new: Period, year_start: date, year_end: date, existing: list[Period]) -> None:
    """A period lies inside its year; for every grade one scheme applies, over one grade range
    (quarters for 1–9 and half-years for 10–11, not quarters for 1–9 and 5–11); periods of one
    scheme and range do not overlap, and their numbers follow their dates."""
    if new.scheme not in SCHEMES:
        raise Refused("Вид периодов: четверти, триместры или полугодия", field="scheme")
    count, _ = SCHEMES[new.scheme]
    if not 1 <= new.number <= count:
        raise Refused(f"Номер периода: от 1 до {count}", field="number")
    _check_grades(new.grade_from, new.grade_to)
    if new.starts_on > new.ends_on:
        raise Refused("Начало периода должно быть не позже его окончания", field="ends_on")
    if new.starts_on < year_start or new.ends_on > year_end:
        raise Refused(f"Период выходит за пределы учебного года "
                      f"({year_start:%d.%m.%Y}–{year_end:%d.%m.%Y})", field="starts_on")
    for other in existing:
        if other.id is not None and other.id == new.id:
            continue
        if not grades_meet(new.grade_from, new.grade_to, other.grade_from, other.grade_to):
            continue
        same_range = (new.grade_from, new.grade_to) == (other.grade_from, other.grade_to)
        if other.scheme != new.scheme or not same_range:
            raise Refused(
                f"Для классов {other.grade_from}–{other.grade_to} уже заданы "
                f"{SCHEME_LABELS[other.scheme]}: у каждого класса один вид периодов "
                "и одни и те же классы в каждом периоде", field="grade_from")
        if other.number == new.number:
            raise Refused(f"«{other.name}» для классов {other.grade_from}–{other.grade_to} уже есть",
                          field="number")
        if overlaps(new.starts_on, new.ends_on, other.starts_on, other.ends_on):
            raise Refused(f"Даты пересекаются с периодом «{other.name}» "
                          f"({other.starts_on:%d.%m.%Y}–{other.ends_on:%d.%m.%Y})", field="starts_on")
        if (other.number < new.number) != (other.ends_on < new.starts_on):
            raise Refused(f"Периоды идут по порядку: «{other.name}» — "
                          f"{other.starts_on:%d.%m.%Y}–{other.ends_on:%d.%m.%Y}", field="number")


def check_day(new: Day, year_start: date, year_end: date) -> None:
    """A calendar entry lies inside its year; a moved working day falls on a weekend."""
    if new.kind not in DAY_KINDS:
        raise Refused("Вид дня: каникулы, праздник или перенесённый рабочий день", field="kind")
    _check_grades(new.grade_from, new.grade_to)
    if new.starts_on > new.ends_on:
        raise Refused("Начало должно быть не позже окончания", field="ends_on")
    if new.starts_on < year_start or new.ends_on > year_end:
        raise Refused(f"Дата вне учебного года ({year_start:%d.%m.%Y}–{year_end:%d.%m.%Y})",
                      field="starts_on")
    if new.kind == "workday":
        day = new.starts_on
        while day <= new.ends_on:
            if day.weekday() < 5:
                raise Refused(f"{day:%d.%m.%Y} — будний день: рабочим днём можно сделать только "
                              "субботу или воскресенье", field="starts_on")
            day += timedelta(days=1)


def is_school_day(day: date, grade: int, week_days: int, year_start: date, year_end: date,
                  calendar: list[Day]) -> bool:
    """Whether a class of ``grade`` with a ``week_days``-day week has lessons on ``day``:
    inside the year; holidays and days off win; a moved working day makes a weekend day a
    school day; otherwise Monday–Friday (or –Saturday for a six-day week)."""
    if not year_start <= day <= year_end:
        return False
    mine = [d for d in calendar if d.grade_from <= grade <= d.grade_to
            and d.starts_on <= day <= d.ends_on]
    if any(d.kind in ("holidays", "day_off") for d in mine):
        return False
    if any(d.kind == "workday" for d in mine):
        return True
    return day.weekday() < week_days



def count_school_days(start: date, end: date, grade: int, week_days: int, year_start: date,
                      year_end: date, calendar: list[Day]) -> int:
    """How many days of ``start``–``end`` have lessons (the deputy checks a period by it)."""
    total, day = 0, start
    while day <= end:
        total += is_school_day(day, grade, week_days, year_start, year_end, calendar)
        day += timedelta(days=1)
    return total

# --- the next year from this one -----------------------------------------------------------


def shift_date(day: date, old_start: date, new_start: date) -> date:
    """A date of the old year moved to the new one: by whole calendar years when the new year
    starts on the same day of the month (1 September stays 1 September, 29 February becomes
    28 February), otherwise by the distance between the two starts."""
    if (old_start.month, old_start.day) == (new_start.month, new_start.day):
        years = new_start.year - old_start.year
        try:
            return day.replace(year=day.year + years)
        except ValueError:  # 29 February into a common year
            return date(day.year + years, 2, 28)
    return day + (new_start - old_start)


def shift_calendar(periods: list[Period], days: list[Day], old_start: date, new_start: date,
                   new_end: date) -> tuple[list[Period], list[Day]]:
    """The old year's periods and calendar days moved to the new year's dates, cut to it;
    what falls outside, and moved working days that land on a weekday, are dropped."""
    new_periods = []
    for p in periods:
        span = _clamp(shift_date(p.starts_on, old_start, new_start),
                      shift_date(p.ends_on, old_start, new_start), new_start, new_end)
        if span:
            new_periods.append(replace(p, id=None, starts_on=span[0], ends_on=span[1]))
    new_days = []
    for d in days:
        span = _clamp(shift_date(d.starts_on, old_start, new_start),
                      shift_date(d.ends_on, old_start, new_start), new_start, new_end)
        if not span:
            continue
        moved = replace(d, id=None, starts_on=span[0], ends_on=span[1])
        try:
            check_day(moved, new_start, new_end)
        except Refused:
            continue
        new_days.append(moved)
    return new_periods, new_days


# --- classes, subjects, groups, load --------------------------------------------------------


def class_name(grade: int, letter: str) -> str:
    """«7Б»: the grade and the letter, upper-case."""
    return f"{grade}{letter}"


def clean_letter(letter: str) -> str:
    value = letter.strip().upper()
    if not CLASS_LETTER.match(value):
        raise Refused("Буква класса: одна или две русские буквы (например, Б)", field="letter")
    return value


def check_class(grade: int, week_days: int) -> None:
    if grade not in GRADES:
        raise Refused("Параллель: от 1 до 11", field="grade")
    if week_days not in WEEK_DAYS:
        raise Refused("Учебная неделя: пять или шесть дней", field="week_days")


def check_named(name: str, field: str, what: str) -> None:
    """Names of subjects and groups are written in Russian, as in the curriculum: a Latin
    look-alike or a stray code is a typo, and it would make a second «Математика»."""
    if not RUSSIAN_LETTER.search(name):
        raise Refused(f"{what}: название по-русски, как в учебном плане", field=field)


def check_hours(hours: int) -> None:
    if not HOURS_MIN <= hours <= HOURS_MAX:
        raise Refused(f"Часов в неделю: от {HOURS_MIN} до {HOURS_MAX}", field="hours")
