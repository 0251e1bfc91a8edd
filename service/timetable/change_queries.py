"""Reads for the changes of the timetable on a date: the lessons of a day with what was planned
and what happens now, absent teachers, who is free at a lesson number, the bells of a date and
the substitute-hours report («часы замен»). Each function costs a fixed number of queries,
whatever the size of the school; grids and lists are built here in Python."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from service.school.queries import in_force
from service.school.rules import Day
from service.timetable import queries, rules
from service.timetable.tables import Lesson

_LESSON_SQL = """
SELECT l.id, l.on_date, l.number, l.school_class, l.study_group, l.student, l.subject, l.teacher,
       l.taught_by, l.room, l.slot, l.cancelled, l.combined, l.room_changed, l.extra,
       l.moved_from, l.moved_from_number, l.change_note, l.changed_at, l.revision, l.has_records,
       c.name AS class_name, c.grade AS class_grade, c.week_days AS class_week_days,
       g.name AS group_name, g.school_class AS group_class, gc.name AS group_class_name,
       gc.grade AS group_grade, gc.week_days AS group_week_days,
       s.name AS subject_name,
       t.last_name AS t_last, t.first_name AS t_first, t.middle_name AS t_middle,
       b.last_name AS b_last, b.first_name AS b_first, b.middle_name AS b_middle,
       st.last_name AS st_last, st.first_name AS st_first, st.middle_name AS st_middle,
       r.name AS room_name, sl.room AS planned_room, pr.name AS planned_room_name
FROM lesson l
JOIN subject s ON s.id = l.subject
JOIN person t ON t.id = l.teacher
JOIN person b ON b.id = l.taught_by
LEFT JOIN school_class c ON c.id = l.school_class
LEFT JOIN study_group g ON g.id = l.study_group
LEFT JOIN school_class gc ON gc.id = g.school_class
LEFT JOIN person st ON st.id = l.student
LEFT JOIN room r ON r.id = l.room
LEFT JOIN timetable_slot sl ON sl.id = l.slot
LEFT JOIN room pr ON pr.id = sl.room
"""
_ORDER = " ORDER BY l.on_date, l.number, COALESCE(c.name, gc.name, g.name, ''), l.id"


def short_name(last: str | None, first: str | None, middle: str | None = "") -> str:
    """«Попова М. С.»"""
    if not last:
        return ""
    initials = "".join(f" {part[0]}." for part in (first, middle) if part)
    return f"{last}{initials}"


def who(row: dict) -> str:
    """Whom a lesson is for: «5А», «5А, 1 группа», a cross-class group, or one student."""
    if row.get("study_group"):
        cls = row.get("group_class_name")
        return f"{cls}, {row['group_name']}" if cls else row["group_name"]
    if row.get("class_name"):
        return row["class_name"]
    if row.get("st_last"):
        return f"{short_name(row['st_last'], row['st_first'], row['st_middle'])} (индивидуально)"
    return "индивидуальный урок"


def label(row: dict) -> str:
    """«5А, Математика, Попова М. С., каб. 12, 24.11.2026, 2-й урок»: a lesson in messages."""
    room = f", каб. {row['room_name']}" if row.get("room_name") else ""
    return (f"{row['who']}, {row['subject_name']}, {row['taught_by_name']}{room}, "
            f"{row['on_date']:%d.%m.%Y}, {rules.lesson_name(row['number'])}")


def dress(row: dict) -> dict:
    """Adds the readable parts of a lesson row: names, a label naming it in messages, its grade
    and class (for school-day and clash checks) and what changed for the date."""
    for flag in ("cancelled", "combined", "room_changed", "extra", "has_records"):
        row[flag] = bool(row[flag])
    row["who"] = who(row)
    row["teacher_name"] = short_name(row["t_last"], row["t_first"], row["t_middle"])
    row["taught_by_name"] = short_name(row["b_last"], row["b_first"], row["b_middle"])
    row["grade"] = row["class_grade"] if row["school_class"] else row["group_grade"]
    row["week_days"] = (row["class_week_days"] if row["school_class"] else row["group_week_days"]) or 6
    row["label"] = label(row)
    row["replaced"] = row["taught_by"] != row["teacher"]
    row["moved"] = row["moved_from"] is not None
    row["changed"] = (row["replaced"] or row["cancelled"] or row["room_changed"] or row["extra"]
                      or row["moved"])
    return row


async def lessons_where(where: str, *args) -> list[dict]:
    """Lessons with their names (one query); ``where`` is SQL on the alias ``l``."""
    rows = await Lesson.raw(_LESSON_SQL + " WHERE " + where + _ORDER, *args).run()
    return [dress(r) for r in rows]


async def lesson(lesson_id: int) -> dict | None:
    rows = await lessons_where("l.id = {}", lesson_id)
    return rows[0] if rows else None


async def lessons_at(on_date: date, number: int) -> list[dict]:
    """The lessons that take place (not cancelled) on ``on_date`` at lesson ``number``."""
    return await lessons_where("l.on_date = {} AND l.number = {} AND l.cancelled = {}",
                               on_date, number, False)


def place(row: dict) -> rules.Place:
    """A dated lesson as a ``Place`` for the clash rules: the teacher who actually teaches it."""
    return rules.Place(weekday=row["on_date"].isoweekday(), number=row["number"], week=0,
                       teacher=row["taught_by"], label=row["label"],
                       school_class=row["school_class"], study_group=row["study_group"],
                       group_class=row["group_class"], student=row["student"], room=row["room"],
                       id=row["id"])


# --- the date: bells, school day, absences --------------------------------------------------

async def bells_on(day: date) -> dict[int, rules.Bell]:
    """Lesson number → its bell on ``day``, as the setup reads it (queries.bells_for_dates:
    the schedule set for the date, or the one of its weekday)."""
    bells = (await queries.bells_for_dates([day])).get(day, [])
    return {b["number"]: rules.Bell(b["number"], b["starts_at"], b["ends_at"]) for b in bells}


async def school_year_of(day: date) -> tuple[dict | None, list[Day]]:
    """The academic year holding ``day`` and its calendar entries (two queries)."""
    years = await Lesson.raw("SELECT id, name, starts_on, ends_on, closed_at FROM academic_year "
                             "WHERE starts_on <= {} AND ends_on >= {} ORDER BY starts_on LIMIT 1",
                             day, day).run()
    if not years:
        return None, []
    rows = await Lesson.raw("SELECT kind, name, grade_from, grade_to, starts_on, ends_on "
                            "FROM calendar_day WHERE year = {}", years[0]["id"]).run()
    return years[0], [Day(r["kind"], r["name"], r["grade_from"], r["grade_to"], r["starts_on"],
                          r["ends_on"]) for r in rows]


async def is_school_day(day: date, grade: int | None, week_days: int) -> bool:
    year, calendar = await school_year_of(day)
    if year is None:
        return False
    return rules.school_day(day, grade, week_days, year["starts_on"], year["ends_on"], calendar)


_ABSENCE_SQL = """
SELECT a.id, a.teacher, a.starts_on, a.ends_on, a.reason,
       p.last_name, p.first_name, p.middle_name
FROM teacher_absence a JOIN person p ON p.id = a.teacher
"""


def _absence(row: dict) -> dict:
    row["name"] = short_name(row["last_name"], row["first_name"], row["middle_name"])
    return row


async def absences_on(day: date) -> list[dict]:
    rows = await Lesson.raw(_ABSENCE_SQL + " WHERE a.starts_on <= {} AND a.ends_on >= {} "
                            "ORDER BY p.last_name, p.first_name, a.id", day, day).run()
    return [_absence(r) for r in rows]


async def absences_of(teacher: int, starts_on: date, ends_on: date) -> list[dict]:
    """A teacher's absences meeting the dates ``starts_on``–``ends_on``."""
    rows = await Lesson.raw(_ABSENCE_SQL + " WHERE a.teacher = {} AND a.starts_on <= {} "
                            "AND a.ends_on >= {} ORDER BY a.starts_on", teacher, ends_on,
                            starts_on).run()
    return [_absence(r) for r in rows]


async def absence(absence_id: int) -> dict | None:
    rows = await Lesson.raw(_ABSENCE_SQL + " WHERE a.id = {}", absence_id).run()
    return _absence(rows[0]) if rows else None


async def staff_post(person_id: int, day: date) -> dict | None:
    """The person's staff post in force on ``day``, or None."""
    rows = await Lesson.raw(f"SELECT s.post FROM staff_member s WHERE s.person = {{}} AND {in_force('s')}",
                            person_id, day, day).run()
    return rows[0] if rows else None


async def person_name(person_id: int) -> str | None:
    rows = await Lesson.raw("SELECT last_name, first_name, middle_name FROM person WHERE id = {}",
                            person_id).run()
    return short_name(rows[0]["last_name"], rows[0]["first_name"], rows[0]["middle_name"]) if rows else None


# --- the day page ---------------------------------------------------------------------------


async def _staff(day: date) -> list[dict]:
    rows = await Lesson.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, s.post
            FROM staff_member s JOIN person p ON p.id = s.person
            WHERE {in_force("s")} ORDER BY p.last_name, p.first_name, p.middle_name, p.id""",
        day, day).run()
    for r in rows:
        r["name"] = short_name(r["last_name"], r["first_name"], r["middle_name"])
    return rows


async def _subjects_taught(day: date) -> dict[int, set[int]]:
    rows = await Lesson.raw(f"SELECT DISTINCT teacher, subject FROM teaching_load WHERE {in_force()}",
                            day, day).run()
    taught: dict[int, set[int]] = defaultdict(set)
    for r in rows:
        taught[r["teacher"]].add(r["subject"])
    return taught


def candidates(lesson_row: dict, staff: list[dict], lessons: list[dict], absent: set[int],
               taught: dict[int, set[int]]) -> tuple[list[dict], list[dict]]:
    """Who may take ``lesson_row``: (free teachers — no lesson at that number, not absent —
    those teaching its subject first; teachers who have a lesson at that number and so may
    combine it with their own). Pure: the caller fetched everything once for the whole day."""
    number = lesson_row["number"]
    busy: dict[int, list[dict]] = defaultdict(list)
    for other in lessons:
        if (other["number"] == number and not other["cancelled"] and other["id"] != lesson_row["id"]
                and other["on_date"] == lesson_row["on_date"]):
            busy[other["taught_by"]].append(other)
    free, combine = [], []
    for person in staff:
        pid = person["id"]
        if pid in absent or pid == lesson_row["taught_by"]:
            continue
        same = lesson_row["subject"] in taught.get(pid, ())
        if pid in busy:
            combine.append({**person, "same_subject": same, "busy_with": busy[pid][0]["who"]})
        else:
            free.append({**person, "same_subject": same})
    free.sort(key=lambda p: not p["same_subject"])  # stable: the name order stays within
    combine.sort(key=lambda p: not p["same_subject"])
    return free, combine


async def day_page(day: date) -> dict:
    """Everything the changes page of ``day`` shows (a fixed number of queries): absent teachers
    with their lessons, for each lesson needing a substitute the free teachers and those who may
    combine it, the lessons changed so far, and the lists the forms offer."""
    lessons = await lessons_where("(l.on_date = {} OR l.moved_from = {})", day, day)
    absences = await absences_on(day)
    staff = await _staff(day)
    taught = await _subjects_taught(day)
    bells = await bells_on(day)
    rooms = await Lesson.raw("SELECT id, name FROM room ORDER BY name").run()
    subjects = await Lesson.raw("SELECT id, name FROM subject ORDER BY name").run()
    targets = await Lesson.raw(
        """SELECT c.id AS school_class, NULL AS study_group, c.name AS name FROM school_class c
           JOIN academic_year y ON y.id = c.year WHERE y.starts_on <= {} AND y.ends_on >= {}
           UNION ALL
           SELECT NULL, g.id, COALESCE(gc.name || ', ', '') || g.name FROM study_group g
           JOIN academic_year y ON y.id = g.year LEFT JOIN school_class gc ON gc.id = g.school_class
           WHERE y.starts_on <= {} AND y.ends_on >= {}
           ORDER BY 3""", day, day, day, day).run()
    today_lessons = [x for x in lessons if x["on_date"] == day]
    absent = {a["teacher"] for a in absences}
    by_teacher: dict[int, list[dict]] = defaultdict(list)
    for x in today_lessons:
        if x["teacher"] in absent:
            by_teacher[x["teacher"]].append(x)
    absent_rows = []
    for a in absences:
        mine = []
        for x in by_teacher.get(a["teacher"], []):
            needs = not x["cancelled"] and x["taught_by"] == a["teacher"]
            free, combine = candidates(x, staff, today_lessons, absent, taught) if needs else ([], [])
            mine.append({**x, "needs_cover": needs, "free": free, "combine": combine})
        absent_rows.append({**a, "lessons": mine})
    changed = [x for x in lessons if x["changed"]]
    for x in changed:
        x["moved_away"] = x["moved_from"] == day and x["on_date"] != day
    return {
        "day": day,
        "absences": absent_rows,
        "changed": changed,
        "lessons": [x for x in today_lessons if x["teacher"] not in absent],  # the others
        "staff": staff,
        "bells": [bells[n] for n in sorted(bells)],
        "rooms": rooms,
        "subjects": subjects,
        "targets": [{**t, "key": f"c{t['school_class']}" if t["school_class"] else f"g{t['study_group']}"}
                    for t in targets],
    }


# --- substitute hours -----------------------------------------------------------------------

_HOURS_SQL = """
SELECT l.taught_by AS teacher, p.last_name, p.first_name, p.middle_name,
       SUM(CASE WHEN l.combined = {} THEN 0 ELSE 1 END) AS replaced,
       SUM(CASE WHEN l.combined = {} THEN 1 ELSE 0 END) AS combined
FROM lesson l JOIN person p ON p.id = l.taught_by
WHERE l.on_date >= {} AND l.on_date <= {} AND l.cancelled = {} AND l.taught_by <> l.teacher
GROUP BY l.taught_by, p.last_name, p.first_name, p.middle_name
ORDER BY p.last_name, p.first_name, p.middle_name, l.taught_by
"""


async def substitute_hours(starts_on: date, ends_on: date) -> list[dict]:
    """Per teacher, the lessons of ``starts_on``–``ends_on`` they taught for another teacher:
    as a substitute («замена») and combining with their own group («совмещение»). Cancelled
    lessons do not count (one query)."""
    rows = await Lesson.raw(_HOURS_SQL, True, True, starts_on, ends_on, False).run()
    for r in rows:
        r["name"] = short_name(r["last_name"], r["first_name"], r["middle_name"])
        r["replaced"], r["combined"] = int(r["replaced"] or 0), int(r["combined"] or 0)
        r["total"] = r["replaced"] + r["combined"]
    return rows


async def substitute_lessons(teacher: int, starts_on: date, ends_on: date) -> list[dict]:
    """The lessons behind one line of the report (one query)."""
    return await lessons_where("l.taught_by = {} AND l.teacher <> l.taught_by AND l.cancelled = {} "
                               "AND l.on_date >= {} AND l.on_date <= {}",
                               teacher, False, starts_on, ends_on)
