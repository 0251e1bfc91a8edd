"""Reads of the lesson part, scoped by the viewer, each a constant number of queries: a
teacher's lessons of a day («Мои уроки сегодня») with the reminder about lessons whose
attendance is not taken, the lesson page, a class's absences and notes."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from service.accounts.viewer import Viewer
from service.errors import NotFound
from service.journal import access, notes, rules
from service.settings import get_settings
from service.timetable.queries import bells_for_dates
from service.timetable.tables import Lesson

NOTES_WEEKS = 4
EMPTY_ENTRY = {"topic": "", "plan_item": None, "material": "", "homework": "", "comment": "", "work_kind": None,
               "version": 0, "updated_at": None, "attendance_at": None}
ATTENDANCE_CHOICES = [("", "присутствовал", "✓")] + [(k, name, letter) for k, (letter, name) in rules.ATTENDANCE.items()]


def now_minutes() -> int:
    """Minutes after midnight now, in the school's time zone."""
    now = datetime.now(get_settings().tz)
    return now.hour * 60 + now.minute


def time_text(minutes: int | None) -> str:
    return "" if minutes is None else f"{minutes // 60}:{minutes % 60:02d}"


def short_name(last: str | None, first: str | None, middle: str | None = None) -> str:
    if not last:
        return ""
    initials = "".join(f"{p[0]}." for p in (first, middle) if p)
    return f"{last} {initials}".strip()


_DAY_SQL = """
SELECT l.id, l.on_date, l.number, l.cancelled, l.combined, l.extra, l.moved_from, l.room_changed,
       l.teacher, l.taught_by, l.school_class, l.study_group, l.student, l.subject,
       s.name AS subject_name, c.name AS class_name, g.name AS group_name, r.name AS room_name,
       st.last_name AS st_last, st.first_name AS st_first,
       tp.last_name AS tp_last, tp.first_name AS tp_first, tp.middle_name AS tp_middle,
       tb.last_name AS tb_last, tb.first_name AS tb_first, tb.middle_name AS tb_middle,
       e.topic, e.homework, e.attendance_at, b.starts_at, b.ends_at,
       EXISTS (SELECT 1 FROM attendance a WHERE a.lesson = l.id) AS has_absences,
       EXISTS (SELECT 1 FROM homework_individual h WHERE h.lesson = l.id AND h.removed_at IS NULL) AS has_individual,
       EXISTS (SELECT 1 FROM homework_file f WHERE f.lesson = l.id AND f.removed_at IS NULL) AS has_files
FROM lesson l
JOIN subject s ON s.id = l.subject
LEFT JOIN school_class c ON c.id = l.school_class
LEFT JOIN study_group g ON g.id = l.study_group
LEFT JOIN room r ON r.id = l.room
LEFT JOIN person st ON st.id = l.student
JOIN person tp ON tp.id = l.teacher
JOIN person tb ON tb.id = l.taught_by
LEFT JOIN lesson_entry e ON e.lesson = l.id
LEFT JOIN day_setting ds ON ds.on_date = l.on_date
LEFT JOIN bell_time b ON b.number = l.number AND b.schedule = COALESCE(ds.schedule, (
    SELECT bs.id FROM bell_schedule bs JOIN academic_year y ON y.id = bs.year
    WHERE y.starts_on <= l.on_date AND y.ends_on >= l.on_date
      AND bs.weekdays LIKE '%' || CAST(COALESCE(ds.as_weekday, {}) AS VARCHAR) || '%'
    ORDER BY bs.id LIMIT 1))
WHERE l.on_date = {} AND (l.taught_by = {} OR l.teacher = {})
ORDER BY l.number, l.id
"""


def _who(r: dict) -> str:
    if r["group_name"]:
        return r["group_name"]
    if r["class_name"]:
        return r["class_name"]
    return "индивидуально: " + short_name(r["st_last"], r["st_first"])


async def day_lessons(viewer: Viewer, day: date) -> list[dict]:
    """The viewer's lessons of ``day`` in bell order, with their bell times (those they teach,
    and those planned for them that someone else teaches — shown as replaced). One query (the
    bells as ``timetable.queries.bells_for_dates`` picks them: the day's own schedule, else
    that of its weekday or of the weekday it follows)."""
    if viewer.person_id is None:
        return []
    rows = await Lesson.raw(_DAY_SQL, day.isoweekday(), day, viewer.person_id, viewer.person_id).run()
    for r in rows:
        r["time"] = f"{time_text(r['starts_at'])}–{time_text(r['ends_at'])}" if r["starts_at"] is not None else ""
        r["who"] = _who(r)
        r["cancelled"] = bool(r["cancelled"])
        r["mine"] = r["taught_by"] == viewer.person_id
        r["replaced"] = not r["mine"]  # planned for the viewer, taught by someone else
        r["substitute"] = r["mine"] and r["teacher"] != viewer.person_id and not r["combined"]
        r["combined"] = bool(r["combined"])
        r["teacher_name"] = short_name(r["tp_last"], r["tp_first"], r["tp_middle"])
        r["taught_by_name"] = short_name(r["tb_last"], r["tb_first"], r["tb_middle"])
        r["has_topic"] = bool(r["topic"])
        r["has_homework"] = bool(r["homework"]) or bool(r["has_individual"]) or bool(r["has_files"])
        r["attendance_taken"] = r["attendance_at"] is not None or bool(r["has_absences"])
    return rows


def reminders(rows: list[dict], day: date, today: date, minutes: int) -> list[dict]:
    """Lessons the viewer taught that have started (bell start ≤ now; any of a past day) and
    whose attendance is not taken."""
    if day > today:
        return []
    return [r for r in rows if r["mine"] and not r["cancelled"] and not r["attendance_taken"]
            and (day < today or (r["starts_at"] is not None and r["starts_at"] <= minutes))]


async def today_reminders(viewer: Viewer) -> list[dict]:
    """Today's lessons whose attendance is not taken yet. One query."""
    today = access.school_today()
    rows = await day_lessons(viewer, today)
    return reminders(rows, today, today, now_minutes())


# --- the lesson page ------------------------------------------------------------------------

_LESSON_SQL = """
SELECT l.combined, l.extra, l.moved_from, l.moved_from_number, l.room_changed, l.change_note,
       r.name AS room_name, st.last_name AS st_last, st.first_name AS st_first,
       tp.last_name AS tp_last, tp.first_name AS tp_first, tp.middle_name AS tp_middle,
       tb.last_name AS tb_last, tb.first_name AS tb_first, tb.middle_name AS tb_middle
FROM lesson l
LEFT JOIN room r ON r.id = l.room
LEFT JOIN person st ON st.id = l.student
JOIN person tp ON tp.id = l.teacher
JOIN person tb ON tb.id = l.taught_by
WHERE l.id = {}
"""

_PLAN_SQL = """
SELECT i.id, i.number, i.topic, i.hours, i.planned_on,
       EXISTS (SELECT 1 FROM lesson_entry e WHERE e.plan_item = i.id AND e.lesson <> {{}}) AS used
FROM plan_item i JOIN thematic_plan p ON p.id = i.plan
WHERE p.replaced_at IS NULL AND p.year = {{}} AND p.subject = {{}} AND p.{column} = {{}}
ORDER BY i.number, i.id
"""


async def visible_lesson(viewer: Viewer, lesson_id: int) -> tuple[dict, bool]:
    """The lesson and whether the viewer writes it; «not found» when they may not see it."""
    lesson = await access.lesson(lesson_id)
    if await access.may_write(viewer, lesson):
        return lesson, True
    ref = access.ref_of_lesson(lesson)
    if ref is None:
        if viewer.can("journal.view"):
            return lesson, False
        raise NotFound()
    if not (viewer.can("journal.view") or viewer.can("journal.class") or viewer.can("journal.teach")):
        raise NotFound()
    if not await access.may_view(viewer, await access.journal(ref)):
        raise NotFound()
    return lesson, False


async def lesson_page(viewer: Viewer, lesson_id: int) -> dict:
    """Everything the lesson page shows. A constant number of queries (about fifteen)."""
    lesson, writable = await visible_lesson(viewer, lesson_id)
    extra = (await Lesson.raw(_LESSON_SQL, lesson_id).run())[0]
    lesson = {**lesson, **extra}
    day = lesson["on_date"]
    ref = access.ref_of_lesson(lesson)
    bells = {b["number"]: b for b in (await bells_for_dates([day])).get(day, [])}
    bell = bells.get(lesson["number"])
    lesson["time"] = f"{time_text(bell['starts_at'])}–{time_text(bell['ends_at'])}" if bell else ""
    lesson["who"] = (lesson["group_name"] or lesson["class_name"]
                     or "индивидуально: " + short_name(lesson["st_last"], lesson["st_first"]))
    lesson["teacher_name"] = short_name(lesson["tp_last"], lesson["tp_first"], lesson["tp_middle"])
    lesson["taught_by_name"] = short_name(lesson["tb_last"], lesson["tb_first"], lesson["tb_middle"])
    lesson["substitute"] = lesson["teacher"] != lesson["taught_by"] and not lesson["combined"]
    lesson["cancelled"] = bool(lesson["cancelled"])
    lesson["combined"] = bool(lesson["combined"])
    lesson["journal_path"] = ref.path if ref else None
    found = await Lesson.raw(
        "SELECT topic, plan_item, material, homework, comment, work_kind, version, updated_at, attendance_at "
        "FROM lesson_entry WHERE lesson = {}", lesson_id).run()
    entry = found[0] if found else dict(EMPTY_ENTRY)
    if ref is None:
        spans = {lesson["student"]: [(day, day)]} if lesson["student"] else {}
    else:
        spans = await access.members(ref, day, day)
    ids = [p for p, s in spans.items() if access.belongs(s, day)]
    students: list[dict] = []
    if ids:
        marks = ", ".join("{}" for _ in ids)
        students = await Lesson.raw(
            f"SELECT id, last_name, first_name, middle_name FROM person WHERE id IN ({marks}) "
            f"ORDER BY last_name, first_name, middle_name, id", *ids).run()
    attendance = {r["student"]: r["kind"] for r in await Lesson.raw(
        "SELECT student, kind FROM attendance WHERE lesson = {}", lesson_id).run()}
    grades: dict[int, list[str]] = {}
    for g in await Lesson.raw("SELECT student, mark FROM grade WHERE lesson = {} AND removed_at IS NULL "
                              "ORDER BY position, id", lesson_id).run():
        grades.setdefault(g["student"], []).append(g["mark"])
    individual = {r["student"]: r["text"] for r in await Lesson.raw(
        "SELECT student, text FROM homework_individual WHERE lesson = {} AND removed_at IS NULL ORDER BY id",
        lesson_id).run()}
    file_rows = await Lesson.raw(
        "SELECT id, student, name, size, content_type, uploaded_at FROM homework_file "
        "WHERE lesson = {} AND removed_at IS NULL ORDER BY id", lesson_id).run()
    for s in students:
        s["name"] = " ".join(p for p in (s["last_name"], s["first_name"]) if p)
        s["attendance"] = attendance.get(s["id"]) or ""
        s["marks"] = " ".join(grades.get(s["id"], []))
        s["individual"] = individual.get(s["id"], "")
        s["files"] = [f for f in file_rows if f["student"] == s["id"]]
    plan: list[dict] = []
    if ref is not None:
        column = "school_class" if ref.kind == "c" else "study_group"
        plan = await Lesson.raw(_PLAN_SQL.format(column=column), lesson_id, lesson["year"], ref.subject,
                                ref.owner).run()
        for item in plan:
            item["used"] = bool(item["used"])
    chosen = entry["plan_item"]
    # the next unused item is offered only while the lesson has no topic (a typed one stays as it is)
    suggested = chosen if chosen or entry["topic"] else next((i["id"] for i in plan if not i["used"]), None)
    work_kinds = await Lesson.raw("SELECT id, name, weight FROM work_kind WHERE active ORDER BY position, id").run()
    state = rules.FREE
    if writable:
        state = await access.lock_state(lesson, access.school_today())
    today = access.school_today()
    return {
        "lesson": lesson, "entry": entry, "version": entry["version"], "writable": writable,
        "students": students, "general_files": [f for f in file_rows if f["student"] is None],
        "plan": plan, "suggested_item": suggested, "work_kinds": work_kinds, "lock": state,
        "attendance_open": writable and not lesson["cancelled"] and day <= today,
        "attendance_taken": entry["attendance_at"] is not None or bool(attendance),
        "future": day > today, "year_closed": lesson["year_closed_at"] is not None,
    }


# --- a class's absences and notes -----------------------------------------------------------


async def note_classes(viewer: Viewer, today: date) -> list[dict]:
    """Classes of the current year whose notes the viewer keeps (all for ``journal.edit`` or
    ``journal.view``; a class teacher's own)."""
    sql = ("SELECT c.id, c.name, c.grade FROM school_class c JOIN academic_year y ON y.id = c.year "
           "WHERE y.starts_on <= {} AND y.ends_on >= {}")
    args: list = [today, today]
    if not (viewer.can("journal.edit") or viewer.can("journal.view")):
        if viewer.person_id is None or not viewer.can("journal.class"):
            return []
        sql += " AND c.class_teacher = {}"
        args.append(viewer.person_id)
    return await Lesson.raw(sql + " ORDER BY c.grade, c.name", *args).run()


async def notes_page(viewer: Viewer, class_id: int | None, today: date) -> dict:
    """A class's absences of the last weeks by student and day, its notes, and whether the
    viewer may add notes. Five queries."""
    classes = await note_classes(viewer, today)
    if class_id is None:
        if not classes:
            return {"classes": [], "school_class": None}
        class_id = classes[0]["id"]
    rows = await Lesson.raw("SELECT id, name, class_teacher, year FROM school_class WHERE id = {}",
                            class_id).run() if 0 < class_id <= 2**31 - 1 else []
    if not rows:
        raise NotFound()
    school_class = rows[0]
    own = viewer.person_id is not None and school_class["class_teacher"] == viewer.person_id \
        and viewer.can("journal.class")
    if not (own or viewer.can("journal.edit") or viewer.can("journal.view")):
        raise NotFound()
    start = today - timedelta(weeks=NOTES_WEEKS)
    students = await Lesson.raw(
        "SELECT DISTINCT p.id, p.last_name, p.first_name, p.middle_name FROM enrolment e "
        "JOIN person p ON p.id = e.student WHERE e.school_class = {} AND e.starts_on <= {} "
        "AND (e.ends_on IS NULL OR e.ends_on >= {}) AND (e.ends_on IS NULL OR e.ends_on >= e.starts_on) "
        "ORDER BY p.last_name, p.first_name, p.middle_name, p.id", class_id, today, start).run()
    absences = await Lesson.raw(
        "SELECT a.student, l.on_date, a.kind, COUNT(*) AS n FROM attendance a JOIN lesson l ON l.id = a.lesson "
        "WHERE l.on_date >= {} AND l.on_date <= {} AND a.student IN (SELECT e.student FROM enrolment e "
        "WHERE e.school_class = {} AND e.starts_on <= {} AND (e.ends_on IS NULL OR e.ends_on >= {})) "
        "GROUP BY a.student, l.on_date, a.kind ORDER BY l.on_date", start, today, class_id, today, start).run()
    note_rows = await Lesson.raw(
        "SELECT n.id, n.student, n.starts_on, n.ends_on, n.kind, n.note, n.created_at, "
        "p.last_name, p.first_name FROM absence_note n JOIN person p ON p.id = n.student "
        "WHERE n.removed_at IS NULL AND n.ends_on >= {} AND n.student IN (SELECT e.student FROM enrolment e "
        "WHERE e.school_class = {} AND e.starts_on <= {} AND (e.ends_on IS NULL OR e.ends_on >= {})) "
        "ORDER BY n.starts_on DESC, n.id DESC", start, class_id, today + timedelta(days=notes.AHEAD_DAYS),
        start).run()
    days = sorted({r["on_date"] for r in absences})
    table: dict[tuple[int, date], list[str]] = {}
    for r in absences:
        letter = rules.ATTENDANCE.get(r["kind"], (r["kind"], ""))[0]
        table.setdefault((r["student"], r["on_date"]), []).append(letter if r["n"] == 1 else f"{letter}×{r['n']}")
    unexplained = {r["student"] for r in absences if r["kind"] == "absent"}
    for s in students:
        s["name"] = short_name(s["last_name"], s["first_name"], s["middle_name"])
        s["days"] = [" ".join(table.get((s["id"], d), [])) for d in days]
        s["open"] = s["id"] in unexplained
    for n in note_rows:
        n["name"] = short_name(n["last_name"], n["first_name"])
        n["kind_name"] = notes.KINDS.get(n["kind"], n["kind"])
    return {"classes": classes, "school_class": school_class, "students": students, "days": days,
            "notes": note_rows, "may_add": own or viewer.can("journal.edit"), "start": start}
