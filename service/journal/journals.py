"""The journals a viewer may open (R-JOURNAL-1): «Мои журналы» (the teaching load of the year
and the journals of lessons taught as a substitute), the class teacher's own class, and — with
``journal.view`` — every class's and group's journal, by grade. Three queries, whatever the
size of the school; scoped by the viewer in SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from service.accounts.viewer import Viewer
from service.journal.access import JournalRef
from service.timetable.tables import Lesson

GROUP_KINDS = {
    "subgroup": "Подгруппы", "profile": "Профильные группы", "elective": "Элективные курсы",
    "optional": "Факультативы", "club": "Кружки", "gpd": "Группы продлённого дня",
    "extra": "Дополнительное образование",
}

_SELECT = """
SELECT t.teacher, t.subject, t.school_class, t.study_group, s.name AS subject_name,
       c.name AS class_name, c.grade AS class_grade, g.name AS group_name, g.kind AS group_kind,
       gc.id AS group_class, gc.name AS group_class_name, COALESCE(c.grade, gc.grade) AS grade,
       COALESCE(c.class_teacher, gc.class_teacher) AS class_teacher,
       p.last_name, p.first_name, p.middle_name
FROM teaching_load t
JOIN subject s ON s.id = t.subject
JOIN person p ON p.id = t.teacher
LEFT JOIN school_class c ON c.id = t.school_class
LEFT JOIN study_group g ON g.id = t.study_group
LEFT JOIN school_class gc ON gc.id = g.school_class
WHERE COALESCE(c.year, g.year) = {{}} {scope}
"""

_SUBSTITUTE = """
SELECT l.school_class, l.study_group, l.subject, s.name AS subject_name, c.name AS class_name,
       g.name AS group_name, g.kind AS group_kind, COUNT(*) AS lessons, MAX(l.on_date) AS last_on
FROM lesson l
JOIN subject s ON s.id = l.subject
LEFT JOIN school_class c ON c.id = l.school_class
LEFT JOIN study_group g ON g.id = l.study_group
WHERE l.taught_by = {} AND l.teacher <> {} AND NOT l.cancelled AND l.student IS NULL
  AND COALESCE(c.year, g.year) = {}
GROUP BY l.school_class, l.study_group, l.subject, s.name, c.name, g.name, g.kind
ORDER BY MAX(l.on_date) DESC
"""


@dataclass
class Entry:
    """One journal in a list: its address, whose (class or group) and subject, teachers."""

    ref: JournalRef
    owner: str
    subject: str
    kind: str = ""  # a group's kind (empty for a class)
    grade: int = 0
    teachers: list[str] = field(default_factory=list)
    note: str = ""
    class_id: int | None = None  # the class, or a subgroup's class
    class_name: str = ""
    class_teacher: int | None = None

    @property
    def href(self) -> str:
        return self.ref.path


@dataclass
class Lists:
    mine: list[Entry] = field(default_factory=list)
    substitute: list[Entry] = field(default_factory=list)
    own_class: list[Entry] = field(default_factory=list)
    own_class_name: str = ""
    by_grade: list[tuple[int, list[tuple[str, list[Entry]]]]] = field(default_factory=list)
    groups: list[tuple[str, list[Entry]]] = field(default_factory=list)
    year_name: str = ""

    @property
    def empty(self) -> bool:
        return not (self.mine or self.substitute or self.own_class or self.by_grade or self.groups)


def _short(r: dict) -> str:
    middle = f" {r['middle_name'][:1]}." if r["middle_name"] else ""
    return f"{r['last_name']} {r['first_name'][:1]}.{middle}"


def _ref(r: dict) -> JournalRef:
    if r["study_group"]:
        return JournalRef("g", r["study_group"], r["subject"])
    return JournalRef("c", r["school_class"], r["subject"])


def _day(value) -> date:
    """A date from an aggregate: SQLite gives MAX(date) back as its text."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


async def lists(viewer: Viewer) -> Lists:
    """The journals of the current year the viewer may open, in the sections of the page."""
    years = await Lesson.raw("SELECT id, name FROM academic_year WHERE is_current ORDER BY starts_on DESC LIMIT 1").run()
    if not years:
        return Lists()
    year = years[0]
    me = viewer.person_id
    see_all = viewer.can("journal.view")
    teach = me is not None and viewer.can("journal.teach")
    own = me is not None and viewer.can("journal.class")
    if not (see_all or teach or own):
        return Lists(year_name=year["name"])
    if see_all:
        rows = await Lesson.raw(_SELECT.format(scope=""), year["id"]).run()
    else:
        rows = await Lesson.raw(_SELECT.format(scope="AND (t.teacher = {} OR COALESCE(c.class_teacher, gc.class_teacher) = {})"),
                                year["id"], me if teach else -1, me if own else -1).run()
    entries: dict[JournalRef, Entry] = {}
    mine: dict[JournalRef, Entry] = {}
    for r in rows:
        ref = _ref(r)
        entry = entries.get(ref)
        if entry is None:
            entry = entries[ref] = Entry(ref, r["group_name"] or r["class_name"], r["subject_name"],
                                         r["group_kind"] or "", r["grade"] or 0)
            entry.class_id = r["school_class"] or r["group_class"]
            entry.class_teacher = r["class_teacher"]
            entry.class_name = r["class_name"] or r["group_class_name"] or ""
        name = _short(r)
        if name not in entry.teachers:
            entry.teachers.append(name)
        if teach and r["teacher"] == me:
            mine[ref] = entry
    result = Lists(year_name=year["name"])
    order = sorted(entries.values(), key=lambda e: (e.grade, e.owner, e.kind != "", e.subject))
    result.mine = [e for e in order if e.ref in mine]
    if teach:
        for r in await Lesson.raw(_SUBSTITUTE, me, me, year["id"]).run():
            ref = _ref(r)
            if ref in mine:
                continue
            result.substitute.append(Entry(ref, r["group_name"] or r["class_name"], r["subject_name"],
                                           r["group_kind"] or "", note=f"замена: уроков {r['lessons']}, "
                                           f"последний {_day(r['last_on']):%d.%m}"))
    if own:
        result.own_class = [e for e in order if e.class_teacher == me]
        if result.own_class:
            result.own_class_name = result.own_class[0].class_name
    if see_all:
        grades: dict[int, dict[str, list[Entry]]] = {}
        kinds: dict[str, list[Entry]] = {}
        for e in order:
            if e.class_id is not None:
                grades.setdefault(e.grade, {}).setdefault(e.class_name, []).append(e)
            else:
                kinds.setdefault(e.kind, []).append(e)
        result.by_grade = [(g, sorted(classes.items())) for g, classes in sorted(grades.items())]
        result.groups = [(GROUP_KINDS.get(k, k), sorted(v, key=lambda e: (e.owner, e.subject)))
                         for k, v in sorted(kinds.items(), key=lambda kv: list(GROUP_KINDS).index(kv[0])
                                            if kv[0] in GROUP_KINDS else 99)]
    return result
