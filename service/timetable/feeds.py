"""Private iCalendar feeds of a person's timetable, for the calendar of a phone (issue item 7).

A person makes an address for their own timetable (a teacher's or a student's), a parent for a
child's: ``/timetable/feed/<token>.ics``, opened by the calendar app without signing in. Only
the SHA-256 of the token is kept (``CalendarFeed.token_hash``); the address is shown once, when
it is made, and can be made again. Revoking it makes it answer 404 for good, and so does a feed
whose maker is no longer entitled (an account switched off, a parent link removed).

Each lesson is one event whose UID (``lesson-<id>@<host>``) lives as long as the lesson; a
change for the date raises the lesson's ``revision``, which is the event's SEQUENCE, so the
phone updates the same event (a cancelled lesson: STATUS:CANCELLED)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar as ICalendar
from icalendar import Event

from service.accounts.viewer import Viewer
from service.audit.log import Actor, log_access, record
from service.db import atomic, xact_lock
from service.errors import NotFound, Refused
from service.school.tables import SchoolClass
from service.settings import get_settings
from service.timetable import rules, views
from service.timetable.tables import CalendarFeed

DAYS_BACK, DAYS_AHEAD = 14, 56  # two weeks back, eight weeks ahead
MAX_EVENTS = 3000  # a teacher's eight weeks are ~300 lessons
MAX_ACTIVE = 5  # addresses one maker keeps for one person at once
TOKEN_BYTES = 32
OWN_TIMETABLE = frozenset({*views.TEACHER_ROLES, "student"})  # roles that have a timetable


def now() -> datetime:
    return datetime.now(UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- whose feeds a viewer may make and see -----------------------------------------------------


async def targets(viewer: Viewer, day: date) -> list[dict]:
    """The people whose timetable the viewer may put into a calendar: themself (a teacher or a
    student) and their children. 1 query (the children)."""
    found = []
    if viewer.person_id is not None and set(viewer.roles) & OWN_TIMETABLE:
        found.append({"id": viewer.person_id, "name": f"{viewer.full_name} (моё расписание)"})
    for child in await views.children(viewer, day):
        label = f"{child['last_name']} {child['first_name']}"
        found.append({"id": child["id"], "name": label + (f", {child['class_name']}"
                                                          if child["class_name"] else "")})
    return found


async def _may_make(viewer: Viewer, person_id: int) -> bool:
    if viewer.person_id is None:
        return False
    if person_id == viewer.person_id:
        return bool(set(viewer.roles) & OWN_TIMETABLE)
    rows = await CalendarFeed.raw(
        "SELECT 1 AS ok FROM parent_link WHERE parent = {} AND child = {}",
        viewer.person_id, person_id).run()
    return bool(rows)


async def feeds_of(viewer: Viewer) -> list[dict]:
    """The addresses the viewer made or that are for the viewer, newest first (1 query)."""
    if viewer.person_id is None:
        return []
    rows = await CalendarFeed.raw(
        """SELECT f.id, f.person, f.made_by, f.created_at, f.revoked_at,
                  p.last_name, p.first_name, m.last_name AS m_last, m.first_name AS m_first
           FROM calendar_feed f JOIN person p ON p.id = f.person JOIN person m ON m.id = f.made_by
           WHERE f.made_by = {} OR f.person = {}
           ORDER BY f.revoked_at IS NOT NULL, f.created_at DESC, f.id DESC""",
        viewer.person_id, viewer.person_id).run()
    for r in rows:
        r["whose"] = f"{r['last_name']} {r['first_name']}"
        r["maker"] = f"{r['m_last']} {r['m_first']}"
    return rows


async def do_create_feed(viewer: Viewer, person_id: int) -> tuple[int, str]:
    """A new private address of ``person_id``'s timetable: returns its id and the token (shown
    once). Someone else's timetable (not oneself, not one's child) answers as not found."""
    if not await _may_make(viewer, person_id):
        raise NotFound()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    async with atomic():
        await xact_lock(f"calendar_feed:{person_id}")  # the limit of active addresses of one person
        active = await CalendarFeed.count().where(
            (CalendarFeed.person == person_id) & (CalendarFeed.made_by == viewer.person_id)
            & CalendarFeed.revoked_at.is_null()).run()
        if active >= MAX_ACTIVE:
            raise Refused(f"У вас уже {active} действующих ссылок на это расписание: отзовите "
                          "ненужную, прежде чем создавать новую", field="person")
        feed_id = (await CalendarFeed.insert(CalendarFeed(
            person=person_id, made_by=viewer.person_id, token_hash=token_hash(token),
            created_at=now())).returning(CalendarFeed.id).run())[0]["id"]
        await record(viewer.actor, "timetable.feed_created", "calendar_feed", feed_id,
                     new={"person": person_id, "made_by": viewer.person_id})
    return feed_id, token


async def do_revoke_feed(viewer: Viewer, feed_id: int) -> None:
    """Revoke an address the viewer made or that is for the viewer; it answers 404 from now on."""
    if viewer.person_id is None:
        raise NotFound()
    async with atomic():
        await xact_lock(f"calendar_feed_revoke:{feed_id}")  # two at once: the second finds it revoked
        row = await CalendarFeed.select().where(CalendarFeed.id == feed_id).first().run()
        if row is None or viewer.person_id not in (row["made_by"], row["person"]):
            raise NotFound()
        if row["revoked_at"] is not None:
            raise Refused("Эта ссылка уже отозвана")
        at = now()
        await CalendarFeed.update({CalendarFeed.revoked_at: at}).where(
            CalendarFeed.id == feed_id).run()
        await record(viewer.actor, "timetable.feed_revoked", "calendar_feed", feed_id,
                     old={"person": row["person"]}, new={"revoked_at": at.isoformat()})


# --- the feed itself ------------------------------------------------------------------------

_FEED_SQL = """
SELECT f.id, f.person, f.made_by, p.last_name, p.first_name, p.middle_name
FROM calendar_feed f JOIN person p ON p.id = f.person
WHERE f.token_hash = {} AND f.revoked_at IS NULL
  AND EXISTS (SELECT 1 FROM account a WHERE a.person = f.made_by AND a.is_active = {})
  AND (f.made_by = f.person
       OR EXISTS (SELECT 1 FROM parent_link k WHERE k.parent = f.made_by AND k.child = f.person))
"""


async def feed_lessons(person_id: int, first: date, last: date) -> list[dict]:
    """A person's lessons as a teacher (planned or teaching) and as a student, their home
    schooling applied (1 query)."""
    where, extra, times = views.student_where()
    sql = views.LESSON_COLUMNS.format(
        extra=extra + ", (l.teacher = {} OR l.taught_by = {}) AS as_teacher",
        where=f"l.teacher = {{}} OR l.taught_by = {{}} OR {where}", limit=MAX_EVENTS)
    # the ``excluded`` column's argument and ``as_teacher``'s two come first (the SELECT list)
    rows = await SchoolClass.raw(sql, person_id, person_id, person_id, first, last,
                                 *[person_id] * (2 + times - 1)).run()
    for r in rows:
        r["as_teacher"] = bool(r["as_teacher"])
    return [r for r in rows if r["as_teacher"] or not r["excluded"]]


def uid_host() -> str:
    return urlsplit(get_settings().server.public_url).hostname or "ezh"


def build_calendar(name: str, person_id: int, lessons: list[dict], cal: views.Calendar,
                   host: str, tz: ZoneInfo, stamp: datetime) -> bytes:
    """The iCalendar text of a person's lessons (pure: tested without a database)."""
    ical = ICalendar()
    ical.add("prodid", "-//ezh//Расписание//RU")
    ical.add("version", "2.0")
    ical.add("calscale", "GREGORIAN")
    ical.add("x-wr-calname", f"Расписание: {name}")
    ical.add("x-wr-timezone", str(tz))
    for lesson in lessons:
        day, number = lesson["on_date"], lesson["number"]
        event = Event()
        event.add("uid", f"lesson-{lesson['id']}@{host}")
        event.add("sequence", int(lesson["revision"] or 0))
        event.add("dtstamp", stamp)
        times = cal.bells_on(day).get(number)
        if times is not None:
            start = datetime(day.year, day.month, day.day, times[0] // 60, times[0] % 60, tzinfo=tz)
            event.add("dtstart", start)
            event.add("dtend", start + timedelta(minutes=times[1] - times[0]))
        else:  # no bells that day (should not happen): the lesson still shows, as the whole day
            event.add("dtstart", day)
            event.add("dtend", day + timedelta(days=1))
        subject = lesson["subject_name"]
        as_teacher = lesson.get("as_teacher", False)
        if as_teacher:
            if lesson["student"] is not None:
                target = short_name_of(lesson, "s")
            else:
                target = lesson["group_name"] or lesson["class_name"] or ""
            summary = f"{subject} ({target})" if target else subject
        else:
            summary = subject
        event.add("summary", summary)
        if lesson["room_name"]:
            event.add("location", views.room_text(lesson["room_name"]))
        lines = [f"{rules.lesson_name(number).capitalize()}"]
        if not as_teacher or lesson["taught_by"] != person_id:
            lines.append("Учитель: " + short_name_of(lesson, "b"))
        marks = views.changes_of(lesson, "teacher" if as_teacher else "student", person_id)
        lines += [m[:1].upper() + m[1:] for m in marks]
        if lesson["change_note"]:
            lines.append(lesson["change_note"])
        event.add("description", "\n".join(lines))
        replaced = as_teacher and lesson["taught_by"] != person_id  # someone else teaches it
        event.add("status", "CANCELLED" if lesson["cancelled"] or replaced else "CONFIRMED")
        if lesson["changed_at"] is not None:
            event.add("last-modified", lesson["changed_at"].astimezone(UTC))
        ical.add_component(event)
    if lessons:  # the zone's rules for the feed's dates only, not since 1970
        first = min(x["on_date"] for x in lessons) - timedelta(days=1)
        last = max(x["on_date"] for x in lessons) + timedelta(days=1)
        ical.add_missing_timezones(first_date=first, last_date=last)
    return ical.to_ical()


def short_name_of(lesson: dict, prefix: str) -> str:
    return views.short_name(lesson[f"{prefix}_last"], lesson[f"{prefix}_first"],
                            lesson[f"{prefix}_middle"])


async def feed(token: str, address: str, today: date) -> bytes | None:
    """The calendar behind a token, or None (unknown, revoked, no longer entitled → 404).
    5–7 queries, whatever the number of lessons."""
    if not 16 <= len(token) <= 100:
        return None
    rows = await CalendarFeed.raw(_FEED_SQL, token_hash(token), True).run()
    if not rows:
        return None
    row = rows[0]
    first, last = today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD)
    lessons = await feed_lessons(row["person"], first, last)
    cal = await views.calendar(first, last, versions=False)
    name = " ".join(x for x in (row["last_name"], row["first_name"]) if x)
    # who read whose timetable (152-ФЗ): the address, not an account, read it
    await log_access(Actor(None, f"календарь по ссылке № {row['id']}", address), row["person"],
                     "расписание (календарь по ссылке)")
    return build_calendar(name, row["person"], lessons, cal, uid_host(), get_settings().tz, now())
