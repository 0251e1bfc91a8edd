"""What every part of the journal asks first: which journal a path names, the school's journal
rules for a year, the grading system of a journal, a lesson with what it belongs to, who may
see and who may write, who belonged to a journal on which dates, locks. Shared by the grid,
the lesson page, finals, corrections and plans; each function is one query (or none)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from service.accounts.viewer import Viewer
from service.db import fetch
from service.errors import NotFound
from service.journal import rules
from service.journal.defaults import DEFAULT_SYSTEM
from service.journal.tables import GradingSystem
from service.school.queries import in_force
from service.settings import get_settings
from service.timetable.tables import Lesson


def now() -> datetime:
    return datetime.now(UTC)


def school_today() -> date:
    return datetime.now(get_settings().tz).date()


# --- which journal --------------------------------------------------------------------------


@dataclass(frozen=True)
class JournalRef:
    """A journal: a class («c») or a study group («g») × a subject. In addresses
    ``/journal/c12-s3`` (class 12, subject 3) or ``/journal/g7-s3``."""

    kind: str
    owner: int
    subject: int

    @property
    def key(self) -> str:
        return f"{self.kind}{self.owner}-s{self.subject}"

    @property
    def path(self) -> str:
        return f"/journal/{self.key}"

    @property
    def school_class(self) -> int | None:
        return self.owner if self.kind == "c" else None

    @property
    def study_group(self) -> int | None:
        return self.owner if self.kind == "g" else None

    def lesson_sql(self, alias: str = "l") -> tuple[str, list]:
        """SQL condition (and its arguments) for the lessons of this journal."""
        column = "school_class" if self.kind == "c" else "study_group"
        return f"{alias}.{column} = {{}} AND {alias}.subject = {{}}", [self.owner, self.subject]


_REF = re.compile(r"^([cg])(\d{1,10})-s(\d{1,10})$")


def parse_ref(text: str) -> JournalRef:
    """The journal an address names; ``NotFound`` for anything else (a bad id is a 404)."""
    m = _REF.match(text or "")
    if not m or int(m[2]) > 2**31 - 1 or int(m[3]) > 2**31 - 1:
        raise NotFound()
    return JournalRef(m[1], int(m[2]), int(m[3]))


def ref_of_lesson(lesson: dict) -> JournalRef | None:
    """The journal a lesson belongs to (none for an individual lesson of home schooling)."""
    if lesson.get("study_group"):
        return JournalRef("g", lesson["study_group"], lesson["subject"])
    if lesson.get("school_class"):
        return JournalRef("c", lesson["school_class"], lesson["subject"])
    return None


_JOURNAL_SQL = """
SELECT s.id AS subject_id, s.name AS subject_name, s.short_name AS subject_short,
       c.id AS class_id, c.name AS class_name, c.grade, c.year, c.class_teacher,
       g.id AS group_id, g.name AS group_name, g.kind AS group_kind,
       y.name AS year_name, y.starts_on AS year_starts, y.ends_on AS year_ends, y.closed_at
FROM subject s
{join}
JOIN academic_year y ON y.id = {year}
WHERE s.id = {{}}
"""


async def journal(ref: JournalRef) -> dict:
    """The journal's class or group, subject and year (``NotFound`` if any is missing). For a
    cross-class group ``grade`` is the lowest grade among its members' classes (it decides the
    periods: quarters or half-years). One query."""
    if ref.kind == "c":
        join = ("JOIN school_class c ON c.id = {} "
                "LEFT JOIN study_group g ON 1 = 0")
        year = "c.year"
    else:
        join = ("JOIN study_group g ON g.id = {} "
                "LEFT JOIN school_class c ON c.id = g.school_class")
        year = "g.year"
    sql = _JOURNAL_SQL.format(join=join, year=year)
    rows = await Lesson.raw(sql, ref.owner, ref.subject).run()
    if not rows:
        raise NotFound()
    row = rows[0]
    if ref.kind == "g":
        row["year"] = (await Lesson.raw("SELECT year FROM study_group WHERE id = {}", ref.owner).run())[0]["year"]
        if row["grade"] is None:
            grade = await Lesson.raw(
                "SELECT MIN(c.grade) AS grade FROM group_member m JOIN enrolment e ON e.student = m.student "
                "JOIN school_class c ON c.id = e.school_class AND c.year = {} WHERE m.study_group = {}",
                row["year"], ref.owner).run()
            row["grade"] = grade[0]["grade"] if grade and grade[0]["grade"] is not None else 1
    row["title"] = (row["group_name"] or row["class_name"]) + " · " + row["subject_name"]
    row["ref"] = ref
    return row


_LESSON_SQL = """
SELECT l.id, l.on_date, l.number, l.school_class, l.study_group, l.student, l.subject,
       l.teacher, l.taught_by, l.cancelled, l.has_records, l.room,
       s.name AS subject_name, COALESCE(c.name, gc.name) AS class_name, g.name AS group_name,
       g.kind AS group_kind, COALESCE(c.grade, gc.grade) AS grade,
       COALESCE(c.class_teacher, gc.class_teacher) AS class_teacher,
       COALESCE(c.year, g.year, sy.id) AS year, y.closed_at AS year_closed_at, y.name AS year_name
FROM lesson l
JOIN subject s ON s.id = l.subject
LEFT JOIN school_class c ON c.id = l.school_class
LEFT JOIN study_group g ON g.id = l.study_group
LEFT JOIN school_class gc ON gc.id = g.school_class
LEFT JOIN academic_year sy ON l.student IS NOT NULL AND sy.starts_on <= l.on_date AND sy.ends_on >= l.on_date
LEFT JOIN academic_year y ON y.id = COALESCE(c.year, g.year, sy.id)
WHERE l.id = {}
"""


_LESSON_COLUMNS = ("id", "on_date", "number", "school_class", "study_group", "student", "subject", "teacher",
                   "taught_by", "cancelled", "has_records", "room", "subject_name", "class_name", "group_name",
                   "group_kind", "grade", "class_teacher", "year", "year_closed_at", "year_name")


_LOCKED_LESSON_SQL = _LESSON_SQL.replace("SELECT l.id,", "SELECT pg_advisory_xact_lock({}) AS locked, l.id,", 1)


async def lesson(lesson_id: int, *, lock: int | None = None) -> dict:
    """A lesson with its subject, class or group, grade, class teacher and year; ``NotFound``
    when there is none. One query, read as a tuple: every cell save starts here, and Piccolo's
    own rows cost ≈ 0.2 ms of a save's ≈ 3 ms of CPU. With ``lock`` (PostgreSQL, inside a
    transaction) the same statement takes that advisory lock, so that the next statement of the
    transaction already reads after it."""
    if not 0 < lesson_id <= 2**31 - 1:
        raise NotFound()
    if lock is None:
        rows = await fetch(_LESSON_SQL, lesson_id)
    else:
        rows = [r[1:] for r in await fetch(_LOCKED_LESSON_SQL, lock, lesson_id)]
    if not rows:
        raise NotFound()
    return dict(zip(_LESSON_COLUMNS, rows[0], strict=True))


# --- the school's rules ---------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    year: int
    edit_days: int = 7
    approval_required: bool = False
    forecast_days: int = 14
    finals_days: int = 2
    grades_due_days: int = 3
    homework_due_hours: int = 12
    plans_due: date | None = None
    round_from: Decimal = Decimal("0.5")
    file_max_kb: int = 10240


async def settings(year_id: int) -> Settings:
    """The journal rules of a year; the defaults when the school has not set them (plans due on
    10 September of the year). One query."""
    rows = await Lesson.raw("SELECT * FROM journal_setting WHERE year = {}", year_id).run()
    if rows:
        r = rows[0]
        return Settings(year=year_id, edit_days=r["edit_days"], approval_required=bool(r["approval_required"]),
                        forecast_days=r["forecast_days"], finals_days=r["finals_days"],
                        grades_due_days=r["grades_due_days"], homework_due_hours=r["homework_due_hours"],
                        plans_due=r["plans_due"], round_from=Decimal(str(r["round_from"])),
                        file_max_kb=r["file_max_kb"])
    start = await Lesson.raw("SELECT starts_on FROM academic_year WHERE id = {}", year_id).run()
    due = date(start[0]["starts_on"].year, 9, 10) if start else None
    return Settings(year=year_id, plans_due=due)


async def systems() -> dict[int, rules.System]:
    """Every grading system with its named marks, by id. One query."""
    rows = await GradingSystem.raw(
        "SELECT s.id, s.code, s.name, s.kind, s.low, s.high, s.pass_from, m.text, m.value, m.passing "
        "FROM grading_system s LEFT JOIN grading_mark m ON m.system = s.id "
        "ORDER BY s.id, m.position, m.id").run()
    found: dict[int, dict] = {}
    for r in rows:
        s = found.setdefault(r["id"], {**{k: r[k] for k in ("id", "code", "name", "kind", "low", "high", "pass_from")},
                                       "marks": []})
        if r["text"] is not None:
            value = None if r["value"] is None else Decimal(str(r["value"]))
            s["marks"].append((r["text"], value, bool(r["passing"])))
    return {i: rules.System(id=i, code=s["code"], name=s["name"], kind=s["kind"], low=s["low"], high=s["high"],
                            pass_from=s["pass_from"], marks=tuple(s["marks"])) for i, s in found.items()}


def choose_system(ranked: list[tuple[tuple, int]], systems: dict[int, dict]) -> rules.System:
    """The system of the best-ranked rule (``ranked``: (rank, system id) of the rules that apply,
    ranked as :func:`system_for` explains), else the five-point system. ``systems``: id → code,
    name, kind, low, high, pass_from and marks, as the reads of the grid and of a save give them."""
    chosen = max(ranked)[1] if ranked else None
    if chosen not in systems:
        chosen = next(i for i, s in systems.items() if s["code"] == DEFAULT_SYSTEM)
    s = systems[chosen]
    return rules.System(id=chosen, code=s["code"], name=s["name"], kind=s["kind"], low=s["low"], high=s["high"],
                        pass_from=s["pass_from"], marks=tuple(s["marks"]))


async def system_for(year_id: int, grade: int, subject: int, group_kind: str | None) -> rules.System:
    """The grading system of a journal: the most specific ``grading_rule`` of the year (a
    group kind listed by a rule first, then a subject's rule over every subject, then the
    narrowest grade range); without one, the five-point system. Two queries."""
    rows = await Lesson.raw(
        "SELECT r.system, r.subject, r.grade_from, r.grade_to, r.group_kinds FROM grading_rule r "
        "WHERE r.year = {} AND r.grade_from <= {} AND r.grade_to >= {} "
        "AND (r.subject IS NULL OR r.subject = {})", year_id, grade, grade, subject).run()
    best = None
    for r in rows:
        kinds = r["group_kinds"].split()
        if kinds and group_kind not in kinds:
            continue
        rank = (bool(kinds), r["subject"] is not None, -(r["grade_to"] - r["grade_from"]))
        if best is None or rank > best[0]:
            best = (rank, r["system"])
    every = await systems()
    if best is not None and best[1] in every:
        return every[best[1]]
    return next(s for s in every.values() if s.code == DEFAULT_SYSTEM)


async def default_work_kind() -> int:
    """The kind of work a grade gets unless the lesson or the teacher says otherwise: the first
    active one («Ответ на уроке»)."""
    rows = await Lesson.raw("SELECT id FROM work_kind WHERE active ORDER BY position, id LIMIT 1").run()
    return rows[0]["id"]


async def period_of(year_id: int, grade: int, day: date) -> dict | None:
    """The study period of a grade holding ``day`` and whether it is closed now. One query."""
    rows = await Lesson.raw(
        "SELECT p.id, p.name, p.number, p.starts_on, p.ends_on, "
        "EXISTS (SELECT 1 FROM period_closing pc WHERE pc.period = p.id AND pc.reopened_at IS NULL) AS closed "
        "FROM study_period p WHERE p.year = {} AND p.grade_from <= {} AND p.grade_to >= {} "
        "AND p.starts_on <= {} AND p.ends_on >= {} ORDER BY p.starts_on LIMIT 1",
        year_id, grade, grade, day, day).run()
    if not rows:
        return None
    rows[0]["closed"] = bool(rows[0]["closed"])
    return rows[0]


async def periods(year_id: int, grade: int) -> list[dict]:
    """The study periods of a grade in a year, in order, each with ``closed``. One query."""
    rows = await Lesson.raw(
        "SELECT p.id, p.name, p.number, p.starts_on, p.ends_on, "
        "EXISTS (SELECT 1 FROM period_closing pc WHERE pc.period = p.id AND pc.reopened_at IS NULL) AS closed "
        "FROM study_period p WHERE p.year = {} AND p.grade_from <= {} AND p.grade_to >= {} "
        "ORDER BY p.starts_on", year_id, grade, grade).run()
    for r in rows:
        r["closed"] = bool(r["closed"])
    return rows


async def lock_state(lesson: dict, today: date | None = None) -> str:
    """``rules.FREE``, ``REASON`` or ``APPROVAL`` for changing this lesson's entries today."""
    s = await settings(lesson["year"])
    period = await period_of(lesson["year"], lesson["grade"] or 1, lesson["on_date"])
    return rules.lock_state(lesson["on_date"], today or school_today(), s.edit_days,
                            bool(period and period["closed"]), s.approval_required)


# --- who may -------------------------------------------------------------------------------


async def teaches(person: int, ref: JournalRef) -> bool:
    """The person has (had) a teaching load for this journal this year, or taught one of its
    lessons (a substitute). One query."""
    column = "school_class" if ref.kind == "c" else "study_group"
    rows = await Lesson.raw(
        f"SELECT 1 FROM teaching_load WHERE teacher = {{}} AND {column} = {{}} AND subject = {{}} "
        f"UNION SELECT 1 FROM lesson WHERE taught_by = {{}} AND {column} = {{}} AND subject = {{}} "
        "LIMIT 1", person, ref.owner, ref.subject, person, ref.owner, ref.subject).run()
    return bool(rows)


async def may_view(viewer: Viewer, info: dict) -> bool:
    """Whether the viewer may see a journal (``info`` from :func:`journal`): everyone's with
    ``journal.view``; their own class's as its class teacher (a subgroup's class counts); the
    ones they teach."""
    if may_view_without_load(viewer, info):
        return True
    return viewer.person_id is not None and viewer.can("journal.teach") and await teaches(viewer.person_id, info["ref"])


def may_view_without_load(viewer: Viewer, info: dict) -> bool:
    """:func:`may_view` for those who need no teaching load to see the journal: holders of
    ``journal.view`` and its class teacher."""
    if viewer.can("journal.view"):
        return True
    return viewer.person_id is not None and viewer.can("journal.class") and info.get("class_teacher") == viewer.person_id


async def may_write(viewer: Viewer, lesson: dict) -> bool:
    """Whether the viewer may enter attendance, grades, topic and homework of a lesson: the
    teacher it is planned for or who taught it, a teacher with the journal's teaching load on
    its date, or a holder of ``journal.edit``."""
    if viewer.can("journal.edit"):
        return True
    if viewer.person_id is None or not viewer.can("journal.teach"):
        return False
    if viewer.person_id in (lesson["teacher"], lesson["taught_by"]):
        return True
    ref = ref_of_lesson(lesson)
    if ref is None:
        return False
    column = "school_class" if ref.kind == "c" else "study_group"
    rows = await Lesson.raw(
        f"SELECT 1 FROM teaching_load WHERE teacher = {{}} AND {column} = {{}} AND subject = {{}} "
        f"AND {in_force()} LIMIT 1", viewer.person_id, ref.owner, ref.subject,
        lesson["on_date"], lesson["on_date"]).run()
    return bool(rows)


# --- who belongs ----------------------------------------------------------------------------


async def members(ref: JournalRef, start: date, end: date) -> dict[int, list[tuple[date, date | None]]]:
    """Students who belonged to the journal on some day of ``start``–``end``, each with the
    spans they did (from the order book: enrolments of the class, memberships of the group),
    minus the days home schooling takes them out of this subject. Two queries."""
    if ref.kind == "c":
        sql = ("SELECT student, starts_on, ends_on FROM enrolment WHERE school_class = {} "
               "AND starts_on <= {} AND (ends_on IS NULL OR ends_on >= {}) AND (ends_on IS NULL OR ends_on >= starts_on)")
    else:
        sql = ("SELECT student, starts_on, ends_on FROM group_member WHERE study_group = {} "
               "AND starts_on <= {} AND (ends_on IS NULL OR ends_on >= {}) AND (ends_on IS NULL OR ends_on >= starts_on)")
    spans: dict[int, list[tuple[date, date | None]]] = {}
    for r in await Lesson.raw(sql, ref.owner, end, start).run():
        spans.setdefault(r["student"], []).append((r["starts_on"], r["ends_on"]))
    if ref.kind == "c" and spans:
        from service.timetable.home_schooling import excluded_subjects

        excluded = await excluded_subjects(list(spans), start, end)
        for student, home in excluded.items():
            cut = [(s, e) for s, e, subjects in home if subjects is None or ref.subject in subjects]
            if cut:
                spans[student] = subtract(spans[student], cut)
                if not spans[student]:
                    del spans[student]
    return spans


def subtract(spans: list[tuple[date, date | None]], cuts: list[tuple[date, date | None]]
              ) -> list[tuple[date, date | None]]:
    from datetime import timedelta

    far = date.max
    result = [(s, e or far) for s, e in spans]
    for cs, ce in cuts:
        ce = ce or far
        nxt = []
        for s, e in result:
            if ce < s or cs > e:
                nxt.append((s, e))
                continue
            if s < cs:
                nxt.append((s, cs - timedelta(days=1)))
            if ce < e:
                nxt.append((ce + timedelta(days=1), e))
        result = nxt
    return [(s, None if e == far else e) for s, e in result]


def belongs(spans: list[tuple[date, date | None]], day: date) -> bool:
    return any(s <= day and (e is None or day <= e) for s, e in spans)


async def member_on(ref: JournalRef, student: int, day: date) -> bool:
    """Whether ``student`` belonged to the journal on ``day``."""
    spans = await members(ref, day, day)
    return belongs(spans.get(student, []), day)


# --- writing helpers ------------------------------------------------------------------------


async def mark_has_records(lesson_id: int) -> None:
    """The timetable contract: a lesson holding records is never moved or deleted again."""
    await Lesson.raw("UPDATE lesson SET has_records = {} WHERE id = {} AND NOT has_records",
                     True, lesson_id).run()


def cell_id(lesson_id: int, student: int) -> str:
    """The audit ``object_id`` of a cell (``object_type`` "cell"): its history is these rows."""
    return f"{lesson_id}:{student}"
