"""The weekly printout of a class's diaries (R-DIARY-2, issue 10 item 3): the class teacher
prints one PDF with a page per pupil for a chosen week — for the grandmother without a
computer — in one click; A4, black and white.

Each page is what the pupil's diary shows for the week (``queries.build_week``), read for the
whole class at once: three queries whatever the number of pupils — the pupils in the class
that week, every (pupil, lesson) of the week by the timetable's own rule of whose lesson is
whose (``views.student_where``, bound to each pupil of the class instead of one id), and their grades,
absences, individual homework and homework files."""

from __future__ import annotations

from datetime import date, timedelta

from service.diary import queries
from service.timetable import views
from service.timetable.tables import Lesson

_PUPILS_SQL = """
SELECT DISTINCT p.id, p.last_name, p.first_name, p.middle_name
FROM enrolment e JOIN person p ON p.id = e.student
WHERE e.school_class = {} AND e.starts_on <= {} AND (e.ends_on IS NULL OR e.ends_on >= {})
  AND (e.ends_on IS NULL OR e.ends_on >= e.starts_on)
ORDER BY p.last_name, p.first_name, p.middle_name, p.id
"""

# the pupils of the class that week, as a subquery (its three arguments: class, last, first)
_PUPILS_IN = ("(SELECT e.student FROM enrolment e WHERE e.school_class = {} AND e.starts_on <= {} "
              "AND (e.ends_on IS NULL OR e.ends_on >= {}) AND (e.ends_on IS NULL OR e.ends_on >= e.starts_on))")


def _lessons_sql() -> str:
    where, excluded, _ = views.student_where()
    where, excluded = where.replace("{}", "pq.pupil"), excluded.replace("{}", "pq.pupil")
    return f"""
SELECT pq.pupil, {queries.WEEK_COLUMNS}
       {excluded}
FROM (SELECT DISTINCT e.student AS pupil FROM enrolment e WHERE e.school_class = {{}} AND e.starts_on <= {{}}
      AND (e.ends_on IS NULL OR e.ends_on >= {{}}) AND (e.ends_on IS NULL OR e.ends_on >= e.starts_on)) pq
JOIN lesson l ON l.on_date >= {{}} AND l.on_date <= {{}}
     AND (l.school_class = {{}} OR l.student = pq.pupil
          OR l.study_group IN (SELECT gm.study_group FROM group_member gm WHERE gm.student = pq.pupil))
     AND ({where})
{queries.WEEK_JOINS}
ORDER BY pq.pupil, l.on_date, l.number, l.id
"""


_EXTRAS_SQL = f"""
SELECT 'g' AS what, g.student, g.lesson, g.position AS pos, g.mark AS text, g.weight, w.name AS extra,
       g.comment AS note, 0 AS size
FROM grade g JOIN lesson l ON l.id = g.lesson JOIN work_kind w ON w.id = g.work_kind
WHERE g.student IN {_PUPILS_IN} AND g.removed_at IS NULL AND l.on_date >= {{}} AND l.on_date <= {{}}
UNION ALL
SELECT 'a', a.student, a.lesson, a.minutes, a.kind, NULL, '', a.note, 0
FROM attendance a JOIN lesson l ON l.id = a.lesson
WHERE a.student IN {_PUPILS_IN} AND l.on_date >= {{}} AND l.on_date <= {{}}
UNION ALL
SELECT 'h', h.student, h.lesson, 0, h.text, NULL, '', '', 0
FROM homework_individual h JOIN lesson l ON l.id = h.lesson
WHERE h.student IN {_PUPILS_IN} AND h.removed_at IS NULL AND l.on_date >= {{}} AND l.on_date <= {{}}
UNION ALL
SELECT 'f', f.student, f.lesson, f.id, f.name, NULL, '', '', f.size
FROM homework_file f JOIN lesson l ON l.id = f.lesson
WHERE (f.student IS NULL OR f.student IN {_PUPILS_IN}) AND f.removed_at IS NULL
      AND l.on_date >= {{}} AND l.on_date <= {{}}
"""


async def class_week(class_id: int, monday: date, today: date) -> list[dict]:
    """A page per pupil who was in the class during the week of ``monday``: their name and
    days (as the diary builds them). Three queries."""
    last = monday + timedelta(days=queries.DAYS_SHOWN - 1)
    pupils = await Lesson.raw(_PUPILS_SQL, class_id, last, monday).run()
    if not pupils:
        return []
    rows = await Lesson.raw(_lessons_sql(), class_id, last, monday, monday, last, class_id).run()
    extras = await Lesson.raw(_EXTRAS_SQL, *[class_id, last, monday, monday, last] * 4).run()
    lessons_of: dict[int, list[dict]] = {}
    for r in rows:
        if not r["excluded"]:
            lessons_of.setdefault(r["pupil"], []).append(r)
    extras_of: dict[int | None, list[dict]] = {}
    for x in extras:
        extras_of.setdefault(x["student"], []).append(x)
    pages = []
    for p in pupils:
        mine = lessons_of.get(p["id"], [])
        own = [*extras_of.get(p["id"], []), *extras_of.get(None, [])]  # files for everyone have no pupil
        pages.append({"id": p["id"], "name": " ".join(x for x in (p["last_name"], p["first_name"],
                                                                   p["middle_name"]) if x),
                      "days": queries.build_week(monday, mine, own, today)})
    return pages
