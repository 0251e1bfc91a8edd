"""What a write to a lesson's cells depends on, in ONE statement (issue 9 item 12: a save used to
spend nine round trips here): whether the viewer has the journal's teaching load that day, who
belonged to the class or group that day (home schooling cut out), the journal's grading system,
the school's lock rules and whether the day's period is closed, the kind of work new grades
get, the class teacher's absence notes of the day — and, when one cell is written, that cell as
stored (on PostgreSQL an earlier statement of the transaction, the lesson's, took the cell's
advisory lock, so this one reads after it).

The branches (``union.branch``) and what they hold:
1 the viewer's teaching load that day · 2 membership spans · 3 home schooling that takes a pupil
out of this subject · 4 grading rules · 5 grading systems and their marks · 6 the year's journal
settings · 7 the day's period and whether it is closed · 8 the kind of work and its weight ·
9 absence notes of the day · 11–12 the cell as stored (attendance, grades)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache

from service.db import fetch
from service.journal import rules
from service.journal.access import JournalRef, choose_system, subtract
from service.journal.union import as_text, branch, home_schooling_branch

WIDTH = (6, 5)
K, I1, I2, I3, I4, I5, I6 = range(7)
T1, T2, T3, T4, T5 = range(7, 12)


@dataclass
class Facts:
    may_write_by_load: bool = False
    spans: dict[int, list[tuple[date, date | None]]] = field(default_factory=dict)
    system: rules.System | None = None
    edit_days: int = 7
    approval_required: bool = False
    period_closed: bool = False
    work_kind: int = 0
    weight: Decimal = Decimal(1)
    notes: dict[int, str] = field(default_factory=dict)  # student → the kind of their day's note
    cell: list[tuple] | None = None  # the student's cell as stored: (k, id, text, value, position)


@cache
def _sql(kind: str | None, one_student: bool, check_load: bool, cell: bool) -> tuple[str, list[str]]:
    """The statement for a lesson of a class (``kind`` "c"), a group ("g") or an individual one
    (None), and the names of its arguments in order; ``cell``: with the student's cell as
    stored (branches 11 and 12)."""
    parts: list[tuple[str, list[str]]] = []
    if kind is not None:
        column = "school_class" if kind == "c" else "study_group"
        table = "enrolment" if kind == "c" else "group_member"
        who = " AND m.student = {}" if one_student else ""
        who_args = ["student"] if one_student else []
        spans = (f"m.{column} = {{}} AND m.starts_on <= {{}} AND (m.ends_on IS NULL OR m.ends_on >= {{}}) "
                 f"AND (m.ends_on IS NULL OR m.ends_on >= m.starts_on){who}")
        span_args = ["owner", "day", "day", *who_args]
        if check_load:
            parts.append((branch(1, f"FROM teaching_load t WHERE t.teacher = {{}} AND t.{column} = {{}} "
                                    "AND t.subject = {} AND t.starts_on <= {} AND (t.ends_on IS NULL OR t.ends_on >= {})",
                                 WIDTH, ints=["t.id"]), ["person", "owner", "subject", "day", "day"]))
        parts.append((branch(2, f"FROM {table} m WHERE {spans}", WIDTH, ints=["m.student"],
                             texts=[as_text("m.starts_on"), as_text("m.ends_on")]), span_args))
        if kind == "c":
            parts.append((home_schooling_branch(3, WIDTH, f"(SELECT m.student FROM {table} m WHERE {spans})"),
                          [*span_args, "day", "day", "subject"]))
        notes_of = f"(SELECT m.student FROM {table} m WHERE {spans})"
        notes_args = span_args
    else:
        notes_of, notes_args = "({})", ["student"]
    in_grade = "{a}.year = {{}} AND {a}.grade_from <= {{}} AND {a}.grade_to >= {{}}"
    parts += [
        (branch(4, "FROM grading_rule r WHERE " + in_grade.format(a="r") + " AND (r.subject IS NULL OR r.subject = {})",
                WIDTH, ints=["r.system", "r.subject", "r.grade_from", "r.grade_to"], texts=["r.group_kinds"]),
         ["year", "grade", "grade", "subject"]),
        (branch(5, "FROM grading_system s LEFT JOIN grading_mark m ON m.system = s.id", WIDTH,
                ints=["s.id", "s.low", "s.high", "s.pass_from", "CASE WHEN m.passing THEN 1 ELSE 0 END", "m.position"],
                texts=["s.code", "s.name", "s.kind", "m.text", as_text("m.value")]), []),
        (branch(6, "FROM journal_setting js WHERE js.year = {}", WIDTH,
                ints=["js.edit_days", "CASE WHEN js.approval_required THEN 1 ELSE 0 END"]), ["year"]),
        (branch(7, "FROM study_period p WHERE " + in_grade.format(a="p") + " AND p.starts_on <= {} AND p.ends_on >= {}",
                WIDTH, ints=["p.id", "CASE WHEN EXISTS (SELECT 1 FROM period_closing pc WHERE pc.period = p.id "
                                     "AND pc.reopened_at IS NULL) THEN 1 ELSE 0 END"],
                texts=[as_text("p.starts_on")]), ["year", "grade", "grade", "day", "day"]),
        (branch(8, "FROM work_kind w WHERE w.id = COALESCE((SELECT e.work_kind FROM lesson_entry e WHERE e.lesson = {}), "
                   "(SELECT k.id FROM work_kind k WHERE k.active ORDER BY k.position, k.id LIMIT 1))", WIDTH,
                ints=["w.id"], texts=[as_text("w.weight")]), ["lesson"]),
        (branch(9, f"FROM absence_note n WHERE n.student IN {notes_of} AND n.starts_on <= {{}} AND n.ends_on >= {{}} "
                   "AND n.removed_at IS NULL", WIDTH, ints=["n.student", "n.id"], texts=["n.kind"]),
         [*notes_args, "day", "day"]),
    ]
    if cell:
        parts += [
            (branch(11, "FROM attendance a WHERE a.lesson = {} AND a.student = {}", WIDTH, ints=["a.id"],
                    texts=["a.kind"]), ["lesson", "student"]),
            (branch(12, "FROM grade g WHERE g.lesson = {} AND g.student = {} AND g.removed_at IS NULL", WIDTH,
                    ints=["g.id", "g.position"], texts=["g.mark", as_text("g.value")]), ["lesson", "student"]),
        ]
    return " UNION ALL ".join(p for p, _ in parts), [n for _, names in parts for n in names]


async def read(lesson: dict, ref: JournalRef | None, *, student: int | None, person: int | None,
               check_load: bool, cell: bool = False) -> Facts:
    """The facts a write to ``lesson`` needs (for one ``student``, or for all when None). With
    ``cell`` (one student, whose cell's lock an earlier statement of the transaction took — or
    SQLite, whose transaction holds the write lock) the cell as stored comes too, as
    (k, id, text, value, position) rows in ``Facts.cell``. One query."""
    cell = cell and student is not None
    sql, names = _sql(ref.kind if ref else None, student is not None, check_load and ref is not None and person is not None,
                      cell)
    day = lesson["on_date"]
    grade = lesson["grade"] or 1
    values = {"owner": ref.owner if ref else None, "subject": lesson["subject"], "day": day,
              "student": student if student is not None else lesson.get("student"),
              "person": person, "year": lesson["year"], "grade": grade, "lesson": lesson["id"]}
    rows = await fetch(sql, *(values[n] for n in names))
    facts = Facts()
    ranked: list[tuple[tuple, int]] = []
    systems: dict[int, dict] = {}
    cuts: dict[int, list[tuple[date, date | None]]] = {}
    periods: list[tuple[str, bool]] = []
    notes: dict[int, tuple[int, str]] = {}
    stored: list[tuple] = []
    for r in rows:
        k = r[K]
        if k == 2:
            facts.spans.setdefault(r[I1], []).append((_day(r[T1]), _day(r[T2])))
        elif k == 5:
            s = systems.setdefault(r[I1], {"code": r[T1], "name": r[T2], "kind": r[T3], "low": r[I2], "high": r[I3],
                                           "pass_from": r[I4], "marks": []})
            if r[T4] is not None:
                s["marks"].append((r[I6] or 0, r[T4], None if r[T5] is None else Decimal(r[T5]), bool(r[I5])))
        elif k == 4:
            kinds = r[T1].split()
            if not kinds or lesson["group_kind"] in kinds:
                ranked.append(((bool(kinds), r[I2] is not None, -(r[I4] - r[I3])), r[I1]))
        elif k == 1:
            facts.may_write_by_load = True
        elif k == 3:
            cuts.setdefault(r[I1], []).append((_day(r[T1]), _day(r[T2])))
        elif k == 6:
            facts.edit_days, facts.approval_required = r[I1], bool(r[I2])
        elif k == 7:
            periods.append((r[T1], bool(r[I2])))
        elif k == 8:
            facts.work_kind, facts.weight = r[I1], Decimal(r[T1])
        elif k == 9:
            if r[I1] not in notes or notes[r[I1]][0] < r[I2]:
                notes[r[I1]] = (r[I2], r[T1])
        elif k == 11:
            stored.append((0, r[I1], r[T1], None, 0))
        elif k == 12:
            stored.append((1, r[I1], r[T1], r[T2], r[I2]))
    for s in systems.values():  # marks in their order (position), as access.systems gives them
        s["marks"] = [m[1:] for m in sorted(s["marks"], key=lambda m: m[0])]
    facts.system = choose_system(ranked, systems)
    facts.period_closed = bool(periods) and min(periods)[1]
    if ref is None and lesson.get("student") is not None:  # an individual lesson: its one student
        facts.spans = {lesson["student"]: [(day, day)]}
    for who, cut in cuts.items():
        if who in facts.spans:
            facts.spans[who] = subtract(facts.spans[who], cut)
            if not facts.spans[who]:
                del facts.spans[who]
    facts.notes = {who: kind for who, (_, kind) in notes.items()}
    if cell:
        facts.cell = stored
    return facts


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text[:10])
