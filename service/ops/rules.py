"""Pure rules of operations: the maintenance window and its deadline, when the weekly drill is
due, the alarms of the operations page, planned maintenance in the holidays, and availability
during working hours. No I/O: everything here is tested without a database or a clock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

TARGET_PERCENT = 99.0  # R-OPS-2
LONG_OUTAGE = timedelta(hours=1)  # R-OPS-4
BACKUP_MAX_AGE = timedelta(hours=26)  # a nightly backup plus two hours of slack
DRILL_MAX_AGE = timedelta(days=8)  # weekly, plus a day of slack
DRILL_EVERY = timedelta(days=7)
ANNOUNCE_AHEAD = timedelta(days=7)  # R-OPS-3: users notified a week ahead
LONGEST_PLANNED = timedelta(days=1)  # R-OPS-3: a longer maintenance lasts at most a day


def clock_time(text: str) -> time:
    hours, minutes = text.strip().split(":")
    return time(int(hours), int(minutes))


# --- the nightly window --------------------------------------------------------------------


def window_deadline(now: datetime, start: time, end: time) -> datetime | None:
    """The end of the maintenance window ``now`` is in, or None outside it. ``now`` is aware,
    in the school's time zone; a window may cross midnight (23:00–03:00)."""
    tz = now.tzinfo
    today = now.date()
    for day in (today - timedelta(days=1), today):
        opens = datetime.combine(day, start, tzinfo=tz)
        closes = datetime.combine(day if end > start else day + timedelta(days=1), end, tzinfo=tz)
        if _utc(opens) <= _utc(now) < _utc(closes):
            return closes
    return None


def step_fits(now: datetime, deadline: datetime, expected: timedelta) -> bool:
    """Whether a step expected to take ``expected`` would finish by ``deadline`` if started now.
    A step that cannot finish is not started: half a VACUUM at 06:05 slows the morning."""
    return _utc(now) + expected <= _utc(deadline)


def drill_due(now: datetime, last_ok: datetime | None, weekday: int) -> bool:
    """The weekly restore drill runs on its weekday (1 = Monday … 7 = Sunday), or any night when
    the last successful drill is older than a week (a skipped Sunday is made up)."""
    if now.isoweekday() == weekday:
        return True
    return last_ok is None or _utc(now) - _utc(last_ok) >= DRILL_EVERY


@dataclass(frozen=True)
class RunSummary:
    """What the alarms need of a recorded run (backups.state.RunRecord has these fields)."""

    finished_at: datetime
    ok: bool


def alarms(now: datetime, last_ok_backup: RunSummary | None, last_drill: RunSummary | None,
           last_ok_drill: RunSummary | None) -> list[str]:
    """The red banner of the operations page, in Russian; empty when all is well."""
    found = []
    if last_ok_backup is None:
        found.append("Нет ни одной успешной резервной копии.")
    elif _utc(now) - _utc(last_ok_backup.finished_at) > BACKUP_MAX_AGE:
        hours = int((_utc(now) - _utc(last_ok_backup.finished_at)).total_seconds() // 3600)
        found.append(f"Последняя успешная резервная копия сделана {hours} ч назад (допустимо не "
                     "больше 26 ч).")
    if last_drill is not None and not last_drill.ok:
        found.append("Последняя проверка восстановления не прошла: копия может быть непригодна.")
    if last_ok_drill is None:
        found.append("Не было ни одной успешной проверки восстановления.")
    elif _utc(now) - _utc(last_ok_drill.finished_at) > DRILL_MAX_AGE:
        found.append("Успешной проверки восстановления не было больше 8 дней.")
    return found


# --- planned long maintenance ---------------------------------------------------------------


@dataclass(frozen=True)
class Holidays:
    starts_on: date
    ends_on: date
    grade_from: int = 1
    grade_to: int = 11


def days_touched(starts_at: datetime, ends_at: datetime, tz: tzinfo) -> list[date]:
    """The school's dates a period touches (an end at midnight does not touch the next day)."""
    first = starts_at.astimezone(tz).date()
    last = (ends_at.astimezone(tz) - timedelta(microseconds=1)).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def outside_holidays(days: Iterable[date], holidays: Sequence[Holidays]) -> list[date]:
    """The days on which some grade (1–11) studies: maintenance stops the journal for everyone,
    so each day must be holidays for every grade (rows per grade range may share it out)."""
    bad = []
    for day in days:
        grades: set[int] = set()
        for h in holidays:
            if h.starts_on <= day <= h.ends_on:
                grades |= set(range(h.grade_from, h.grade_to + 1))
        if not set(range(1, 12)) <= grades:
            bad.append(day)
    return bad


def planned_problem(now: datetime, starts_at: datetime, ends_at: datetime,
                    holidays: Sequence[Holidays], tz: tzinfo) -> str | None:
    """Why a long maintenance may not be scheduled so, in Russian; None if it may."""
    if _utc(ends_at) <= _utc(starts_at):
        return "Окончание работ должно быть позже начала."
    if _utc(ends_at) - _utc(starts_at) > LONGEST_PLANNED:
        return "Длительные работы занимают не больше суток (R-OPS-3): разбейте их на части."
    if _utc(starts_at) < _utc(now) + ANNOUNCE_AHEAD:
        earliest = (now + ANNOUNCE_AHEAD).astimezone(tz)
        return ("Пользователей нужно предупредить не меньше чем за 7 дней: начало работ — не "
                f"раньше {earliest:%d.%m.%Y %H:%M}.")
    bad = outside_holidays(days_touched(starts_at, ends_at, tz), holidays)
    if bad:
        return (f"{bad[0]:%d.%m.%Y} — не каникулы (по календарю учебного года): длительные "
                "работы назначаются только на каникулы.")
    return None


# --- availability ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A stretch the probe saw in one state."""

    since: datetime
    until: datetime
    up: bool


Interval = tuple[datetime, datetime]


def working_time(first: date, last: date, start: time, end: time, tz: tzinfo) -> list[Interval]:
    """The working intervals (UTC) of the days ``first``…``last``: from ``start`` to ``end`` of
    the next day when the end is not later than the start (06:00–02:00)."""
    result = []
    day = first
    while day <= last:
        opens = datetime.combine(day, start, tzinfo=tz)
        closes = datetime.combine(day if end > start else day + timedelta(days=1), end, tzinfo=tz)
        result.append((_utc(opens), _utc(closes)))
        day += timedelta(days=1)
    return result


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for a, b in sorted(i for i in intervals if i[0] < i[1]):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _subtract(base: Sequence[Interval], cuts: Sequence[Interval]) -> list[Interval]:
    cuts = _merge(cuts)
    result = []
    for a, b in _merge(base):
        pieces = [(a, b)]
        for c, d in cuts:
            next_pieces = []
            for x, y in pieces:
                if d <= x or c >= y:
                    next_pieces.append((x, y))
                    continue
                if x < c:
                    next_pieces.append((x, c))
                if d < y:
                    next_pieces.append((d, y))
            pieces = next_pieces
        result += pieces
    return _merge(result)


def _total(intervals: Iterable[Interval]) -> timedelta:
    return sum((b - a for a, b in intervals), timedelta())


@dataclass(frozen=True)
class MonthAvailability:
    year: int
    month: int
    counted: timedelta  # working time of the month so far, planned maintenance left out
    down: timedelta
    outages: list[Interval]  # down stretches in working time longer than an hour

    @property
    def percent(self) -> float | None:
        if self.counted <= timedelta():
            return None
        return 100.0 * (1 - self.down / self.counted)

    @property
    def meets_target(self) -> bool | None:
        p = self.percent
        return None if p is None else p >= TARGET_PERCENT

    @property
    def down_minutes(self) -> int:
        return int(self.down.total_seconds() // 60)


def month_availability(year: int, month: int, spans: Sequence[Span],
                       planned: Sequence[Interval], now: datetime, start: time, end: time,
                       tz: tzinfo) -> MonthAvailability:
    """Availability of one month during working hours, up to ``now``: time the probe saw the
    service up, against all working time except planned maintenance. Time with no probe at all
    counts as down (the probe runs on the server: when it is silent, the server was off)."""
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    month_from = _utc(datetime.combine(first, time(), tzinfo=tz))
    month_to = min(_utc(datetime.combine(following, time(), tzinfo=tz)), _utc(now))
    work = working_time(first - timedelta(days=1), following, start, end, tz)
    work = [(max(a, month_from), min(b, month_to)) for a, b in work]
    counted = _subtract(_merge(work), [(_utc(a), _utc(b)) for a, b in planned])
    down = _subtract(counted, [(_utc(s.since), _utc(s.until)) for s in spans if s.up])
    # An outage continues across the night window: its working-time pieces are one outage.
    joined: list[Interval] = []
    for a, b in down:
        if joined and not _subtract([(joined[-1][1], a)], [(x, y) for x, y in _gaps(counted)]):
            joined[-1] = (joined[-1][0], b)
        else:
            joined.append((a, b))
    outages = [(a, b) for a, b in joined
               if _total(_subtract([(a, b)], _gaps(counted))) > LONG_OUTAGE]
    return MonthAvailability(year, month, _total(counted), _total(down), outages)


def _gaps(intervals: Sequence[Interval]) -> list[Interval]:
    """The stretches between consecutive intervals (non-working time inside the month)."""
    return [(intervals[i][1], intervals[i + 1][0]) for i in range(len(intervals) - 1)]


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
