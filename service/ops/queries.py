"""Reads of operations: the operations page (backups and drills through backups.state, the
maintenance runs, planned maintenance, availability), the availability report and the paper
journal of a class."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from backups.state import RunRecord, last_run
from service.accounts.viewer import Viewer
from service.ops import rules
from service.ops.tables import AvailabilitySpan, PlannedMaintenance
from service.people.queries import class_students
from service.school.queries import class_for_viewer
from service.settings import get_settings

# Columns per day on the paper page when the timetable has no lessons for the day: a fixed
# number, their subjects written in by hand.
LESSONS_PER_DAY = 6
WEEKDAYS = ("Понедельник", "Вторник", "Среда", "Четверг", "Пятница", "Суббота")


def state_dir() -> Path:
    return get_settings().backup_path("state_dir")  # shared with backups and ezh check


def _summary(run: RunRecord | None) -> rules.RunSummary | None:
    return rules.RunSummary(run.finished_at, run.ok) if run else None


def backup_state(now: datetime) -> dict:
    """What backups/ recorded: the last backup and drill (and the last good ones), the last
    maintenance run, and the alarms of the red banner. Files only, no database."""
    where = state_dir()
    backup, good_backup = last_run(where, "backup"), last_run(where, "backup", ok=True)
    drill, good_drill = last_run(where, "drill"), last_run(where, "drill", ok=True)
    return {
        "backup": backup, "good_backup": good_backup, "drill": drill, "good_drill": good_drill,
        "maintenance": last_run(where, "maintenance"),
        "alarms": rules.alarms(now, _summary(good_backup), _summary(drill), _summary(good_drill)),
    }


async def planned_list(now: datetime) -> list[dict]:
    """Planned maintenance not over yet, and the last few past or cancelled ones."""
    rows = await PlannedMaintenance.select().order_by(PlannedMaintenance.starts_at,
                                                      ascending=False).limit(20).run()
    for r in rows:
        r["current"] = r["cancelled_at"] is None and r["ends_at"] > now
    return rows


async def availability(months: int, now: datetime) -> list[rules.MonthAvailability]:
    """Availability of the last ``months`` months (this one first) during working hours: two
    queries, whatever the number of months."""
    settings = get_settings()
    tz = settings.tz
    local = now.astimezone(tz)
    wanted = []
    year, month = local.year, local.month
    for _ in range(months):
        wanted.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    first = datetime(wanted[-1][0], wanted[-1][1], 1, tzinfo=tz) - timedelta(days=1)
    spans = [rules.Span(r["since"], r["until"], r["up"]) for r in await AvailabilitySpan.select(
        AvailabilitySpan.since, AvailabilitySpan.until, AvailabilitySpan.up).where(
        AvailabilitySpan.until >= first).order_by(AvailabilitySpan.since).run()]
    planned = [(r["starts_at"], r["ends_at"]) for r in await PlannedMaintenance.select(
        PlannedMaintenance.starts_at, PlannedMaintenance.ends_at).where(
        PlannedMaintenance.cancelled_at.is_null(), PlannedMaintenance.ends_at >= first).run()]
    start = rules.clock_time(settings.maintenance.work_start)
    end = rules.clock_time(settings.maintenance.work_end)
    return [rules.month_availability(y, m, spans, planned, now, start, end, tz) for y, m in wanted]


async def probe_count() -> int:
    return await AvailabilitySpan.count().run()


def week_of(day: date, week_days: int) -> list[date]:
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=n) for n in range(week_days)]


async def paper_journal(viewer: Viewer, class_id: int, day: date) -> dict | None:
    """A class's pupils on ``day`` and the days of its week, for the blank paper page; None when
    the class does not exist or the viewer may not see it (→ 404)."""
    school_class = await class_for_viewer(viewer, class_id, day)
    if school_class is None:
        return None
    week_days = await _week_days(class_id)
    pupils = await class_students(viewer, class_id, day)
    dates = week_of(day, week_days)
    planned = await _class_lessons(class_id, dates[0], dates[-1])
    days = []
    for d in dates:
        columns = planned.get(d) or [(str(n), "") for n in range(1, LESSONS_PER_DAY + 1)]
        days.append((WEEKDAYS[d.weekday()], d, columns))
    return {"school_class": school_class, "pupils": pupils, "days": days,
            "from_timetable": bool(planned)}


_LESSONS_SQL = """
SELECT l.on_date, l.number, COALESCE(NULLIF(s.short_name, ''), s.name) AS subject, g.name AS group_name
FROM lesson l
JOIN subject s ON s.id = l.subject
LEFT JOIN study_group g ON g.id = l.study_group
WHERE l.on_date BETWEEN {} AND {} AND l.cancelled = {}
  AND (l.school_class = {} OR g.school_class = {})
ORDER BY l.on_date, l.number, g.name
"""


async def _class_lessons(class_id: int, first: date, last: date) -> dict[date, list[tuple[str, str]]]:
    """The class's lessons of the week from the timetable (changes for the dates included):
    date → [(number, «Матем.» or «Англ. яз. (1 гр.)»)], one query."""
    from service.timetable.tables import Lesson

    rows = await Lesson.raw(_LESSONS_SQL, first, last, False, class_id, class_id).run()
    days: dict[date, list[tuple[str, str]]] = {}
    for r in rows:
        label = f"{r['subject']} ({r['group_name']})" if r["group_name"] else r["subject"]
        days.setdefault(r["on_date"], []).append((str(r["number"]), label))
    return days


async def _week_days(class_id: int) -> int:
    from service.school.tables import SchoolClass

    row = await SchoolClass.select(SchoolClass.week_days).where(SchoolClass.id == class_id) \
        .first().run()
    return 6 if row and row["week_days"] == 6 else 5


def utc_now() -> datetime:
    return datetime.now(UTC)
