"""Reads of the diary (R-DIARY-1), always scoped by the viewer: whose diary the viewer may open
(the pupil, their parents, the class teacher of their class, holders of ``journal.view``), a
parent's children for the tabs, the week of a pupil, a subject's grades, the acknowledgements.
A diary the viewer may not open is indistinguishable from one that does not exist (404).

Every page costs a constant number of queries, whatever the number of lessons or grades:
each function below is one query (``family_view`` of the journal is a constant few)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from service.accounts.viewer import Viewer
from service.journal import rules as journal_rules
from service.journal.access import JournalRef
from service.school.queries import in_force
from service.timetable import views
from service.timetable.tables import Lesson

DAYS_SHOWN = 6  # Monday to Saturday: a six-day school has lessons on Saturday
WEEKDAYS = ("Понедельник", "Вторник", "Среда", "Четверг", "Пятница", "Суббота", "Воскресенье")
ABSENCE = {kind: name for kind, (_, name) in journal_rules.ATTENDANCE.items()}
ABSENCE_LETTER = {kind: letter for kind, (letter, _) in journal_rules.ATTENDANCE.items()}


@dataclass(frozen=True)
class Whose:
    """The pupil whose diary is open and why the viewer may see it: ``own`` (the pupil or a
    parent: no access log, acknowledgement for a parent) or staff (every read logged)."""

    id: int
    name: str
    class_id: int | None
    class_name: str
    grade: int | None
    is_self: bool
    is_parent: bool

    @property
    def own(self) -> bool:
        return self.is_self or self.is_parent

    @property
    def title(self) -> str:
        return f"{self.name}, {self.class_name}" if self.class_name else self.name


_WHOSE_SQL = f"""
SELECT p.id, p.last_name, p.first_name, c.id AS class_id, c.name AS class_name, c.grade,
       c.class_teacher,
       EXISTS (SELECT 1 FROM parent_link pl WHERE pl.parent = {{}} AND pl.child = p.id) AS is_parent,
       EXISTS (SELECT 1 FROM enrolment x WHERE x.student = p.id) AS is_student
FROM person p
LEFT JOIN enrolment e ON e.student = p.id AND {in_force("e")}
LEFT JOIN school_class c ON c.id = e.school_class
WHERE p.id = {{}}
ORDER BY c.id
LIMIT 1
"""


async def whose(viewer: Viewer, student: int, today: date) -> Whose | None:
    """The pupil's diary if the viewer may open it, else None (→ 404). One query.

    The pupil themself (``diary.own``), a parent linked to them (``diary.own``), the class
    teacher of the class they are in today (``journal.class``), a holder of ``journal.view``."""
    if not 0 < student <= 2**31 - 1:
        return None
    rows = await Lesson.raw(_WHOSE_SQL, viewer.person_id or 0, today, today, student).run()
    if not rows or not rows[0]["is_student"]:
        return None
    r = rows[0]
    is_self = viewer.person_id == student and viewer.can("diary.own")
    is_parent = bool(r["is_parent"]) and viewer.can("diary.own")
    teacher = (viewer.can("journal.class") and r["class_teacher"] is not None
               and r["class_teacher"] == viewer.person_id)
    if not (is_self or is_parent or teacher or viewer.can("journal.view")):
        return None
    return Whose(student, f"{r['last_name']} {r['first_name']}", r["class_id"], r["class_name"] or "",
                 r["grade"], is_self, is_parent)


async def children(viewer: Viewer, today: date) -> list[dict]:
    """A parent's children who are pupils, for the row of tabs (one query; none for others)."""
    if viewer.person_id is None or not viewer.can("diary.own"):
        return []
    return await Lesson.raw(
        f"""SELECT p.id, p.last_name, p.first_name, MIN(c.name) AS class_name
            FROM parent_link l JOIN person p ON p.id = l.child
            JOIN enrolment e ON e.student = p.id
            LEFT JOIN school_class c ON c.id = e.school_class AND {in_force("e")}
            WHERE l.parent = {{}}
            GROUP BY p.id, p.last_name, p.first_name
            ORDER BY p.first_name, p.id""",
        today, today, viewer.person_id).run()


# --- the week ----------------------------------------------------------------------------------

# What the diary shows of a lesson (the week here, the class's printout in printout.py): the
# lesson, its subject, room, group, planned and actual teacher, topic and homework for all.
WEEK_COLUMNS = """l.id, l.on_date, l.number, l.school_class, l.study_group, l.student, l.subject,
       l.teacher, l.taught_by, l.cancelled, l.combined, l.room_changed, l.extra, l.moved_from,
       l.moved_from_number, l.change_note,
       s.name AS subject_name, r.name AS room_name, g.name AS group_name,
       t.last_name AS t_last, t.first_name AS t_first, t.middle_name AS t_middle,
       b.last_name AS b_last, b.first_name AS b_first, b.middle_name AS b_middle,
       (SELECT le.topic FROM lesson_entry le WHERE le.lesson = l.id) AS topic,
       (SELECT le.homework FROM lesson_entry le WHERE le.lesson = l.id) AS homework"""
# (the entry's topic and homework looked up per lesson by its unique index, not joined: the
# planner cannot count a pupil's lessons among the week's — it guesses 1,500 for 30 — and joined
# by hashing all of the year's lesson entries: 27 ms → 2 ms for a week of the L school)
WEEK_JOINS = """JOIN subject s ON s.id = l.subject
JOIN person t ON t.id = l.teacher
JOIN person b ON b.id = l.taught_by
LEFT JOIN study_group g ON g.id = l.study_group
LEFT JOIN room r ON r.id = l.room"""

_WEEK_SQL = "SELECT " + WEEK_COLUMNS + """
       {excluded}
FROM lesson l
""" + WEEK_JOINS + """
WHERE l.on_date >= {{}} AND l.on_date <= {{}} AND ({where})
ORDER BY l.on_date, l.number, l.id
"""


async def week_lessons(student: int, first: date, last: date) -> list[dict]:
    """The pupil's lessons ``first``–``last`` with topic and homework for all, as the timetable
    names them (its ``student_where``: class, groups, individual lessons on each date), minus
    those home schooling takes them out of. One query."""
    where, excluded, times = views.student_where()
    rows = await Lesson.raw(_WEEK_SQL.format(where=where, excluded=excluded),
                            student, first, last, *[student] * (times - 1)).run()
    return [r for r in rows if not r["excluded"]]


async def week_extras(student: int, first: date, last: date) -> list[dict]:
    """What belongs to one pupil at the lessons of ``first``–``last``, in one query: grades
    (``what`` "g", with kind of work and weight), attendance ("a"), individual homework ("h")
    and homework files for everyone or for them ("f"). Rows of lessons not in their week are
    dropped by the caller (a file of a lesson of another class has the same dates)."""
    return await Lesson.raw(
        """SELECT 'g' AS what, g.lesson, g.position AS pos, g.mark AS text, g.weight, w.name AS extra,
                  g.comment AS note, 0 AS size
           FROM grade g JOIN lesson l ON l.id = g.lesson JOIN work_kind w ON w.id = g.work_kind
           WHERE g.student = {} AND g.removed_at IS NULL AND l.on_date >= {} AND l.on_date <= {}
           UNION ALL
           SELECT 'a', a.lesson, a.minutes, a.kind, NULL, '', a.note, 0
           FROM attendance a JOIN lesson l ON l.id = a.lesson
           WHERE a.student = {} AND l.on_date >= {} AND l.on_date <= {}
           UNION ALL
           SELECT 'h', h.lesson, 0, h.text, NULL, '', '', 0
           FROM homework_individual h JOIN lesson l ON l.id = h.lesson
           WHERE h.student = {} AND h.removed_at IS NULL AND l.on_date >= {} AND l.on_date <= {}
           UNION ALL
           SELECT 'f', f.lesson, f.id, f.name, NULL, '', '', f.size
           FROM homework_file f JOIN lesson l ON l.id = f.lesson
           WHERE (f.student IS NULL OR f.student = {}) AND f.removed_at IS NULL
                 AND l.on_date >= {} AND l.on_date <= {}""",
        *[student, first, last] * 4).run()


def weight_text(weight) -> str:
    text = f"{weight:.2f}".rstrip("0").rstrip(".") if weight is not None else ""
    return text.replace(".", ",")


def lesson_changes(lesson: dict) -> list[str]:
    """The timetable's marks of a change for the date («замена: …», «отменён», «перенесён с
    …»), as the timetable shows them."""
    return views.changes_of(lesson)


def build_week(monday: date, lessons: list[dict], extras: list[dict], today: date) -> list[dict]:
    """Days Monday–Saturday, each with its lessons and what the pupil got there."""
    by_lesson: dict[int, dict] = {}
    for r in lessons:
        r["grades"], r["files"], r["own_homework"], r["absence"] = [], [], [], None
        r["changes"] = lesson_changes(r)
        r["teacher_name"] = views.short_name(r["b_last"], r["b_first"], r["b_middle"])
        by_lesson[r["id"]] = r
    for x in sorted(extras, key=lambda x: (x["what"], x["pos"] or 0)):
        lesson = by_lesson.get(x["lesson"])
        if lesson is None:
            continue
        if x["what"] == "g":
            lesson["grades"].append({"mark": x["text"], "kind": x["extra"], "weight": weight_text(x["weight"]),
                                     "comment": x["note"]})
        elif x["what"] == "a":
            lesson["absence"] = {"letter": ABSENCE_LETTER.get(x["text"], x["text"]),
                                 "reason": ABSENCE.get(x["text"], x["text"]), "minutes": x["pos"],
                                 "note": x["note"]}
        elif x["what"] == "h":
            lesson["own_homework"].append(x["text"])
        else:
            lesson["files"].append({"id": x["pos"], "name": x["text"], "size": x["size"]})
    days = []
    for i in range(DAYS_SHOWN):
        day = monday + timedelta(days=i)
        mine = [r for r in lessons if r["on_date"] == day]
        if i == 5 and not mine:
            continue  # no Saturday lessons: a five-day school does not see an empty Saturday
        days.append({"date": day, "weekday": WEEKDAYS[i], "today": day == today, "lessons": mine})
    return days


# --- a subject ------------------------------------------------------------------------------


async def journal_grades(student: int, ref: JournalRef, first: date, last: date) -> list[dict]:
    """The pupil's grades in one journal, ``first``–``last``, with kind of work, weight and
    comment, oldest first. One query."""
    cond, args = ref.lesson_sql("l")
    return await Lesson.raw(
        f"""SELECT l.on_date, l.number, g.mark, g.value, g.weight, g.comment, w.name AS kind
            FROM grade g JOIN lesson l ON l.id = g.lesson JOIN work_kind w ON w.id = g.work_kind
            WHERE g.student = {{}} AND g.removed_at IS NULL AND {cond}
                  AND l.on_date >= {{}} AND l.on_date <= {{}}
            ORDER BY l.on_date, l.number, g.position, g.id""",
        student, *args, first, last).run()


# --- acknowledgements ------------------------------------------------------------------------


async def acknowledgements_of(student: int) -> list[dict]:
    """Who acknowledged the pupil's finals of which period, and when. One query."""
    return await Lesson.raw(
        """SELECT a.period, a.parent, a.acknowledged_at, p.last_name, p.first_name, p.middle_name
           FROM finals_acknowledgement a JOIN person p ON p.id = a.parent
           WHERE a.student = {} ORDER BY a.acknowledged_at""", student).run()


async def classes_for(viewer: Viewer, today: date) -> list[dict]:
    """Classes of the year holding ``today`` whose acknowledgements the viewer follows: every
    class for ``journal.view``, the ones they lead for ``journal.class``. One query."""
    if viewer.can("journal.view"):
        mine, args = "", []
    elif viewer.can("journal.class") and viewer.person_id is not None:
        mine, args = "AND c.class_teacher = {}", [viewer.person_id]
    else:
        return []
    return await Lesson.raw(
        f"""SELECT c.id, c.name, c.grade, c.year FROM school_class c
            JOIN academic_year y ON y.id = c.year
            WHERE y.starts_on <= {{}} AND y.ends_on >= {{}} {mine}
            ORDER BY c.grade, c.letter, c.name""", today, today, *args).run()


async def class_acknowledgements(class_id: int, period: int, today: date) -> list[dict]:
    """Pupils of the class today, each with their parents and which of them acknowledged the
    finals of ``period`` and when (rows pupil × parent; a pupil without parents has one row
    with none). One query."""
    return await Lesson.raw(
        f"""SELECT s.id, s.last_name, s.first_name, s.middle_name,
                   pp.id AS parent_id, pp.last_name AS p_last, pp.first_name AS p_first,
                   pp.middle_name AS p_middle, l.kind AS parent_kind, a.acknowledged_at
            FROM enrolment e JOIN person s ON s.id = e.student
            LEFT JOIN parent_link l ON l.child = s.id
            LEFT JOIN person pp ON pp.id = l.parent
            LEFT JOIN finals_acknowledgement a ON a.student = s.id AND a.parent = pp.id AND a.period = {{}}
            WHERE e.school_class = {{}} AND {in_force("e")}
            ORDER BY s.last_name, s.first_name, s.middle_name, s.id, pp.last_name, pp.id""",
        period, class_id, today, today).run()
