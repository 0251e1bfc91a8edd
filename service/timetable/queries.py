"""Reads of the timetable's setup: the bells of any dates, the version in force on a date, the
rooms, and the overview a deputy head sets the timetable up from (a constant number of queries
whatever the size of the school). The setup is not personal data: every member of staff who
sees the timetable may see it."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta

from service.school.tables import AcademicYear, CalendarDay, SchoolClass
from service.timetable import rules
from service.timetable.tables import Bell, BellSchedule, DaySetting, Room, Timetable

_BELLS_SQL = """
SELECT b.schedule, b.number, b.starts_at, b.ends_at, s.weekdays, s.year, y.starts_on, y.ends_on
FROM bell_time b
JOIN bell_schedule s ON s.id = b.schedule
JOIN academic_year y ON y.id = s.year
WHERE y.starts_on <= {} AND y.ends_on >= {}
ORDER BY b.schedule, b.number
"""


async def bells_for_dates(dates: list[date]) -> dict[date, list[dict]]:
    """Each date → its bells ({"number", "starts_at", "ends_at"}, minutes after midnight, by
    number): those of the schedule its ``DaySetting`` picks (a shortened day), else those of
    the schedule of its weekday in its year — for a moved working day, of the weekday whose
    timetable it follows —, else none. Two queries for any number of dates."""
    days = sorted(set(dates))
    if not days:
        return {}
    settings = {r["on_date"]: r for r in await DaySetting.select(
        DaySetting.on_date, DaySetting.schedule, DaySetting.as_weekday).where(
        (DaySetting.on_date >= days[0]) & (DaySetting.on_date <= days[-1])).run()}
    rows = await Bell.raw(_BELLS_SQL, days[-1], days[0]).run()
    of_schedule: dict[int, list[dict]] = defaultdict(list)
    of_weekday: dict[tuple[int, int], int] = {}  # (year, weekday) → schedule
    years: dict[int, tuple[date, date]] = {}
    for r in rows:
        of_schedule[r["schedule"]].append({"number": r["number"], "starts_at": r["starts_at"],
                                           "ends_at": r["ends_at"]})
        years[r["year"]] = (r["starts_on"], r["ends_on"])
        for c in r["weekdays"]:
            of_weekday[(r["year"], int(c))] = r["schedule"]
    out: dict[date, list[dict]] = {}
    for day in days:
        setting = settings.get(day) or {}
        schedule = setting.get("schedule")
        if schedule is None:
            weekday = setting.get("as_weekday") or day.isoweekday()
            year = next((y for y, (a, z) in years.items() if a <= day <= z), None)
            schedule = of_weekday.get((year, weekday)) if year is not None else None
        out[day] = [dict(b) for b in of_schedule.get(schedule, [])] if schedule is not None else []
    return out


_VERSION_SQL = """
SELECT t.id, t.year, t.name, t.starts_on, t.ends_on, t.cycle, t.anchor, t.skip_holiday_weeks
FROM timetable t JOIN academic_year y ON y.id = t.year
WHERE t.starts_on <= {} AND COALESCE(t.ends_on, y.ends_on) >= {}
ORDER BY t.starts_on DESC
"""


async def version_on(day: date) -> dict | None:
    """The timetable version in force on ``day`` (versions never overlap), or None."""
    rows = await Timetable.raw(_VERSION_SQL, day, day).run()
    return rows[0] if rows else None


def _natural(name: str) -> tuple:
    """«2» before «12» before «Спортзал»."""
    return tuple((0, int(p), "") if p.isascii() and p.isdigit() else (1, 0, p.casefold())
                 for p in re.split(r"([0-9]+)", name) if p)


async def rooms() -> list[dict]:
    """Every room ({"id", "name", "note"}), «2» before «12»."""
    rows = await Room.select(Room.id, Room.name, Room.note).run()
    return sorted(rows, key=lambda r: _natural(r["name"]))


async def room(room_id: int) -> dict | None:
    return await Room.select().where(Room.id == room_id).first().run()


async def year(year_id: int | None) -> dict | None:
    """A year by id, or the current one (None when there is none)."""
    if year_id is None:
        return await AcademicYear.select().where(AcademicYear.is_current.eq(True)).first().run()
    return await AcademicYear.select().where(AcademicYear.id == year_id).first().run()


async def years() -> list[dict]:
    return await AcademicYear.select(AcademicYear.id, AcademicYear.name, AcademicYear.is_current).order_by(
        AcademicYear.starts_on, ascending=False).run()


def _with_bells(schedules: list[dict], bells: list[dict]) -> list[dict]:
    of: dict[int, list[dict]] = defaultdict(list)
    for b in bells:
        of[b["schedule"]].append({**b, "starts": rules.time_text(b["starts_at"]),
                                  "ends": rules.time_text(b["ends_at"])})
    for s in schedules:
        s["bells"] = sorted(of[s["id"]], key=lambda b: b["number"])
        s["weekday_names"] = [rules.WEEKDAYS_SHORT[int(c)] for c in s["weekdays"]]
    return schedules


async def schedules(year_id: int) -> list[dict]:
    """The bell schedules of a year, each with its bells (2 queries)."""
    rows = await BellSchedule.select().where(BellSchedule.year == year_id).order_by(BellSchedule.id).run()
    bells = await Bell.select().where(Bell.schedule.is_in([r["id"] for r in rows])).run() if rows else []
    return _with_bells(rows, bells)


async def schedule(schedule_id: int) -> dict | None:
    row = await BellSchedule.select().where(BellSchedule.id == schedule_id).first().run()
    if row is None:
        return None
    return _with_bells([row], await Bell.select().where(Bell.schedule == schedule_id).run())[0]


async def version(version_id: int) -> dict | None:
    return await Timetable.select().where(Timetable.id == version_id).first().run()


_VERSIONS_SQL = """
SELECT t.id, t.name, t.starts_on, t.ends_on, t.cycle, t.anchor, t.skip_holiday_weeks,
       (SELECT COUNT(*) FROM timetable_slot s WHERE s.timetable = t.id) AS slots
FROM timetable t WHERE t.year = {}
ORDER BY t.starts_on
"""

_DAYS_SQL = """
SELECT d.id, d.on_date, d.schedule, d.as_weekday, d.note, s.name AS schedule_name
FROM day_setting d LEFT JOIN bell_schedule s ON s.id = d.schedule
WHERE d.year = {}
ORDER BY d.on_date
"""


def _dates(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def warnings(versions: list[dict], schedule_rows: list[dict], days: list[dict],
             workdays: list[dict], week_days: dict[int, list[str]], today: date) -> list[str]:
    """What a deputy still has to do for the timetable to produce the right lessons."""
    out = []
    if not versions:
        out.append("Версии расписания ещё нет: создайте первую, затем заполните сетку уроков по классам.")
    following = {d["on_date"] for d in days if d["as_weekday"] is not None}
    for w in workdays:
        for day in _dates(max(w["starts_on"], today), w["ends_on"]):
            if day not in following:
                out.append(f"Укажите, по расписанию какого дня работает {rules.WEEKDAYS[day.isoweekday()]} "
                           f"{day:%d.%m} («{w['name']}»): иначе уроков в этот день не будет.")
    with_bells = {int(c) for s in schedule_rows if s["bells"] for c in s["weekdays"]}
    longest = max(week_days, default=0)
    if not with_bells and longest:
        out.append("Расписания звонков на дни недели ещё нет: добавьте его (например, «Основное» на Пн–Пт).")
        return out
    for weekday in range(1, longest + 1):
        if weekday not in with_bells:
            classes = sorted({name for n, names in week_days.items() if n >= weekday for name in names})
            shown = ", ".join(classes[:5]) + (" и другие" if len(classes) > 5 else "")
            out.append(f"Нет звонков на {rules.WEEKDAYS_ON[weekday]}, а у классов {shown} в этот день уроки: "
                       "добавьте этот день недели в расписание звонков.")
    return out


async def setup(year_id: int, today: date) -> dict:
    """The overview of a year's timetable setup (a constant number of queries): versions with
    their dates and A/B weeks, bell schedules with their times, special days, rooms, warnings."""
    versions = await Timetable.raw(_VERSIONS_SQL, year_id).run()
    schedule_rows = await schedules(year_id)
    days = await DaySetting.raw(_DAYS_SQL, year_id).run()
    workdays = await CalendarDay.select().where(
        (CalendarDay.year == year_id) & (CalendarDay.kind == "workday")).order_by(CalendarDay.starts_on).run()
    classes = await SchoolClass.select(SchoolClass.name, SchoolClass.week_days).where(
        SchoolClass.year == year_id).run()
    week_days: dict[int, list[str]] = defaultdict(list)
    for c in classes:
        week_days[c["week_days"]].append(c["name"])
    for v in versions:
        v["current"] = v["starts_on"] <= today <= (v["ends_on"] or date.max)
        v["past"] = v["ends_on"] is not None and v["ends_on"] < today
    for d in days:
        d["weekday_name"] = rules.WEEKDAYS[d["on_date"].isoweekday()]
        d["as_weekday_name"] = rules.WEEKDAYS.get(d["as_weekday"] or 0)
    return {"versions": versions, "schedules": schedule_rows, "days": days, "rooms": await rooms(),
            "warnings": warnings(versions, schedule_rows, days, workdays, dict(week_days), today)}
