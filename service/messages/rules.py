"""Pure rules of messages (no I/O): the limits of a message, how an answer time reads in
Russian, and the administration's statistics of how quickly parents were answered (R-MSG-1)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

SUBJECT_MAX = 200
BODY_MAX = 5000
FILES_MAX = 5
FILE_MAX_KB = 10 * 1024  # one attachment
TOTAL_MAX_KB = 10 * 1024  # all of a message's attachments together
REPEAT_SECONDS = 30  # the same text to the same person again within this: a double click, not a message
MASS_MAX = 60  # «всем родителям класса»: one thread per parent, at most this many at once
DAY = timedelta(days=1)

MONTHS = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь",
          "ноябрь", "декабрь")


def duration_text(span: timedelta) -> str:
    """«5 мин», «2 ч 10 мин», «3 дн 4 ч» — how long an answer took, to the minute."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} дн {hours} ч" if hours else f"{days} дн"
    if hours:
        return f"{hours} ч {mins} мин" if mins else f"{hours} ч"
    return f"{mins} мин"


@dataclass(frozen=True)
class AnswerStats:
    """One teacher's month: parents' messages that began a wait, how many were answered, the
    median and the longest answer time, how many within a day; of those not answered, how many
    the teacher has not even opened (``unread``) and how many were read and left without an
    answer (``read_only``: a parent's «спасибо» needs none, a question does — the page shows
    both and judges neither)."""

    person: int
    name: str
    month: tuple[int, int]  # (year, month)
    received: int
    answered: int
    within_day: int
    unread: int
    read_only: int
    median: timedelta | None
    longest: timedelta | None

    @property
    def month_name(self) -> str:
        return f"{MONTHS[self.month[1] - 1]} {self.month[0]}"

    @property
    def within_day_share(self) -> int | None:
        """Per cent of the month's waits answered within 24 hours (None: none received)."""
        return round(100 * self.within_day / self.received) if self.received else None


def answer_stats(waits: list[dict], tz: ZoneInfo, now: datetime) -> list[AnswerStats]:
    """Group the waits (``addressee``, its name, ``sent_at``, ``answered_at``) by teacher and the
    month they began in (the school's time zone). A wait not yet answered counts as unread or
    read; an unread one's time so far counts towards the longest, not the median (it has no
    answer yet)."""
    groups: dict[tuple[int, tuple[int, int]], list[dict]] = {}
    names: dict[int, str] = {}
    for w in waits:
        local = w["sent_at"].astimezone(tz)
        groups.setdefault((w["addressee"], (local.year, local.month)), []).append(w)
        names[w["addressee"]] = " ".join(n for n in (w["last_name"], w["first_name"], w["middle_name"]) if n)
    out = []
    for (person, month), items in groups.items():
        spans = [w["answered_at"] - w["sent_at"] for w in items if w["answered_at"] is not None]
        left = [w for w in items if w["answered_at"] is None]
        open_spans = [now - w["sent_at"] for w in left if w["read_at"] is None]
        out.append(AnswerStats(
            person=person, name=names[person], month=month, received=len(items), answered=len(spans),
            within_day=sum(1 for s in spans if s <= DAY), unread=len(open_spans), read_only=len(left) - len(open_spans),
            median=statistics.median_low(spans) if spans else None,
            longest=max(spans + open_spans) if spans or open_spans else None))
    out.sort(key=lambda s: (s.name, s.person, s.month))
    return out


def totals(stats: list[AnswerStats]) -> dict:
    """The school's line: all teachers together (medians are not added: they are recomputed
    from nothing here, so the line shows counts and shares only)."""
    received = sum(s.received for s in stats)
    within = sum(s.within_day for s in stats)
    return {"received": received, "answered": sum(s.answered for s in stats), "within_day": within,
            "unread": sum(s.unread for s in stats), "read_only": sum(s.read_only for s in stats),
            "within_day_share": round(100 * within / received) if received else None}
