"""The journal grid's read: ONE round trip (issue 9 item 12, ../shared/perf-notes.md).

A grid needs about a dozen small sets of rows — the journal, its periods, the grading rules and
systems, who teaches it, the lessons, who belonged and their names, attendance, grades, finals,
pending corrections. On this kind of machine every round trip to the database costs ≈ 0.4 ms of
latency and some CPU on both sides whatever it returns, so the sets are read as ``UNION ALL``
branches of one statement (``journal``): the journal's **context** (what does not depend on the
period) and the period's **content**; ``content`` alone reads the latter when the period could
not be chosen in SQL (between periods). Each branch is tagged by its first column ``k`` and fills a fixed
layout of typed columns (integers, then texts: dates as ISO text, numbers as text), padded with
typed NULLs — PostgreSQL resolves a UNION's column types pair by pair, so an untyped NULL would not do.
The same SQL runs on PostgreSQL and SQLite. Rows come back as the driver gives them
(``db.fetch``), read by position, with no per-row objects.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache
from operator import itemgetter

from service.db import fetch
from service.journal.access import JournalRef, choose_system, subtract
from service.journal.union import as_text as _text
from service.journal.union import branch as _branch
from service.journal.union import home_schooling_branch

# column positions of a row: k, then the integers, then the texts
K, I1, I2, I3, I4, I5, I6 = range(7)
CONTEXT = (6, 8)  # the context's integer and text columns: T1… follow I6
T1, T2, T3, T4, T5, T6, T7, T8 = range(7, 15)
CONTENT = CONTEXT  # the content's columns: the same layout, so both can be one statement
C1, C2, C3, C4, C5 = range(7, 12)


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text[:10])


def _num(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


# --- the journal's context ------------------------------------------------------------------


# a period or grading rule of the journal's year and grade (``{a}``: the table's alias)
_IN_GRADE = "{a}.year = j.year AND {a}.grade_from <= COALESCE(j.grade, 1) AND {a}.grade_to >= COALESCE(j.grade, 1)"


@cache
def _context_sql(kind: str) -> tuple[str, str]:
    """``WITH j AS (the journal)`` and the context's branches, for a class's (``kind`` "c") or a
    group's journal. Arguments: the journal's owner and subject, then the viewer three times
    interleaved with owner and subject (branch 4)."""
    if kind == "c":
        join = "JOIN school_class c ON c.id = {} LEFT JOIN study_group g ON 1 = 0"
        year, grade = "c.year", "c.grade"
    else:
        join = "JOIN study_group g ON g.id = {} LEFT JOIN school_class c ON c.id = g.school_class"
        year = "g.year"
        # a cross-class group: the lowest grade among its members' classes decides its periods
        grade = ("COALESCE(c.grade, (SELECT MIN(c2.grade) FROM group_member m JOIN enrolment e ON e.student = m.student "
                 "JOIN school_class c2 ON c2.id = e.school_class AND c2.year = g.year WHERE m.study_group = g.id), 1)")
    column = "school_class" if kind == "c" else "study_group"
    journal = (f"WITH j AS (SELECT s.id AS subject_id, s.name AS subject_name, s.short_name AS subject_short, "
               f"c.id AS class_id, c.name AS class_name, {grade} AS grade, {year} AS year, c.class_teacher, "
               f"g.id AS group_id, g.name AS group_name, g.kind AS group_kind, y.name AS year_name, "
               f"y.starts_on AS year_starts, y.ends_on AS year_ends "
               f"FROM subject s {join} JOIN academic_year y ON y.id = {year} WHERE s.id = {{}}) ")
    branches = [
        _branch(0, "FROM j", CONTEXT, ints=["j.class_id", "j.group_id", "j.grade", "j.year", "j.class_teacher"],
                texts=["j.subject_name", "j.subject_short", "j.class_name", "j.group_name", "j.group_kind",
                       "j.year_name", _text("j.year_starts"), _text("j.year_ends")]),
        _branch(1, "FROM study_period p JOIN j ON " + _IN_GRADE.format(a="p"), CONTEXT,
                ints=["p.id", "p.number", "CASE WHEN EXISTS (SELECT 1 FROM period_closing pc WHERE pc.period = p.id "
                                          "AND pc.reopened_at IS NULL) THEN 1 ELSE 0 END"],
                texts=["p.name", _text("p.starts_on"), _text("p.ends_on")]),
        _branch(2, "FROM grading_rule r JOIN j ON " + _IN_GRADE.format(a="r") + " AND (r.subject IS NULL OR r.subject = j.subject_id)",
                CONTEXT, ints=["r.system", "r.subject", "r.grade_from", "r.grade_to"], texts=["r.group_kinds"]),
        _branch(3, "FROM grading_system s LEFT JOIN grading_mark m ON m.system = s.id", CONTEXT,
                ints=["s.id", "s.low", "s.high", "s.pass_from", "CASE WHEN m.passing THEN 1 ELSE 0 END", "m.position"],
                texts=["s.code", "s.name", "s.kind", "m.text", _text("m.value")]),
        _branch(5, "FROM work_kind w", CONTEXT, ints=["w.id"], texts=["w.name"]),
        # the viewer has (had) a teaching load for it or taught one of its lessons (a substitute)
        _branch(4, f"WHERE EXISTS (SELECT 1 FROM teaching_load WHERE teacher = {{}} AND {column} = {{}} AND subject = {{}}) "
                   f"OR EXISTS (SELECT 1 FROM lesson WHERE taught_by = {{}} AND {column} = {{}} AND subject = {{}})",
                CONTEXT, ints=["1"]),
    ]
    return journal, " UNION ALL ".join(branches)


def _read_context(ref: JournalRef, rows) -> dict | None:
    """The journal (the keys of ``access.journal``), its ``periods`` (in order, each with
    ``closed``), its grading ``system``, the names of the kinds of work (``works``, by id) and
    whether the viewer ``teaches`` it, from the context's rows (tags 0–5, in any order); None
    when the journal does not exist."""
    j = next((r for r in rows if r[K] == 0), None)
    if j is None:
        return None
    info = {"subject_id": ref.subject, "subject_name": j[T1], "subject_short": j[T2], "class_id": j[I1],
            "class_name": j[T3], "grade": j[I3], "year": j[I4], "class_teacher": j[I5], "group_id": j[I2],
            "group_name": j[T4], "group_kind": j[T5], "year_name": j[T6], "year_starts": _day(j[T7]),
            "year_ends": _day(j[T8])}
    info["title"] = (info["group_name"] or info["class_name"]) + " · " + info["subject_name"]
    info["ref"] = ref
    periods, ranked, systems, works, teaches = [], [], {}, {}, False
    for r in rows:
        k = r[K]
        if k == 0 or k > 5:
            continue
        if k == 1:
            periods.append({"id": r[I1], "name": r[T1], "number": r[I2], "starts_on": _day(r[T2]),
                            "ends_on": _day(r[T3]), "closed": bool(r[I3])})
        elif k == 2:
            kinds = r[T1].split()
            if not kinds or info["group_kind"] in kinds:
                ranked.append(((bool(kinds), r[I2] is not None, -(r[I4] - r[I3])), r[I1]))
        elif k == 3:
            s = systems.setdefault(r[I1], {"code": r[T1], "name": r[T2], "kind": r[T3], "low": r[I2], "high": r[I3],
                                           "pass_from": r[I4], "marks": []})
            if r[T4] is not None:
                s["marks"].append((r[I6], r[T4], _num(r[T5]), bool(r[I5])))
        elif k == 5:
            works[r[I1]] = r[T1]
        else:
            teaches = True
    for s in systems.values():  # a system's marks in their order
        s["marks"] = [m[1:] for m in sorted(s["marks"], key=itemgetter(0))]
    periods.sort(key=lambda p: (p["starts_on"], p["id"]))
    system = choose_system(ranked, systems)
    return {"info": info, "periods": periods, "system": system, "teaches": teaches, "works": works}


# --- the period's content -------------------------------------------------------------------


@cache
def _content_sql(kind: str) -> tuple[str, list[str]]:
    """The statement for a class's (``kind`` "c") or a group's journal, and the names of its
    arguments in order."""
    column = "school_class" if kind == "c" else "study_group"
    table = "enrolment" if kind == "c" else "group_member"
    lessons = f"l.{column} = {{}} AND l.subject = {{}} AND l.on_date >= {{}} AND l.on_date <= {{}}"
    lesson_args = ["owner", "subject", "start", "end"]
    spans = (f"m.{column} = {{}} AND m.starts_on <= {{}} AND (m.ends_on IS NULL OR m.ends_on >= {{}}) "
             "AND (m.ends_on IS NULL OR m.ends_on >= m.starts_on)")
    span_args = ["owner", "end", "start"]
    parts: list[tuple[str, list[str]]] = [
        (_branch(11, f"FROM lesson l WHERE {lessons}", CONTENT,
                 ints=["l.id", "l.number", "CASE WHEN l.cancelled THEN 1 ELSE 0 END", "l.teacher", "l.taught_by"],
                 texts=[_text("l.on_date")]), lesson_args),
        (_branch(12, f"FROM teaching_load t JOIN person p ON p.id = t.teacher WHERE t.{column} = {{}} "
                    "AND t.subject = {} AND t.starts_on <= {} AND (t.ends_on IS NULL OR t.ends_on >= {})", CONTENT,
                 ints=["t.teacher", "t.id"],
                 texts=["p.last_name", "p.first_name", "p.middle_name", _text("t.starts_on"), _text("t.ends_on")]),
         ["owner", "subject", "end", "start"]),
        (_branch(13, f"FROM {table} m WHERE {spans}", CONTENT, ints=["m.student"],
                 texts=[_text("m.starts_on"), _text("m.ends_on")]), span_args),
        (_branch(15, f"FROM person p WHERE p.id IN (SELECT m.student FROM {table} m WHERE {spans})", CONTENT,
                 ints=["p.id"], texts=["p.last_name", "p.first_name", "p.middle_name"]), span_args),
        (_branch(16, f"FROM attendance a JOIN lesson l ON l.id = a.lesson WHERE {lessons}", CONTENT,
                 ints=["a.lesson", "a.student"], texts=["a.kind"]), lesson_args),
        (_branch(17, f"FROM grade g JOIN lesson l ON l.id = g.lesson WHERE {lessons} AND g.removed_at IS NULL", CONTENT,
                 ints=["g.lesson", "g.student", "g.position", "g.id", "g.work_kind"],
                 texts=["g.mark", "g.comment", _text("g.value"), _text("g.weight")]), lesson_args),
        (_branch(18, f"FROM final_grade f WHERE f.kind = 'period' AND f.period = {{}} AND f.subject = {{}} "
                    f"AND f.{column} = {{}}", CONTENT, ints=["f.student"], texts=["f.mark"]),
         ["period", "subject", "owner"]),
        (_branch(19, f"FROM correction c JOIN lesson l ON l.id = c.lesson WHERE c.status = 'pending' "
                    f"AND c.target = 'cell' AND {lessons}", CONTENT, ints=["c.lesson", "c.student"]), lesson_args),
    ]
    if kind == "c":  # home schooling takes a pupil out of the class journals its order lists
        parts.append((home_schooling_branch(14, CONTENT, f"(SELECT m.student FROM {table} m WHERE {spans})"),
                      [*span_args, "end", "start", "subject"]))
    sql = " UNION ALL ".join(p for p, _ in parts)  # no ORDER BY: sorting here cost the server 0.3 ms
    return sql, [name for _, names in parts for name in names]


# The period's bounds inside the one statement of ``journal``: the chosen period (``per``)
_PERIOD_VALUES = {"start": "(SELECT starts_on FROM per)", "end": "(SELECT ends_on FROM per)",
                  "period": "(SELECT id FROM per)"}


@cache
def _journal_sql(kind: str) -> tuple[str, list[str]]:
    """The journal's context and the period's ``content`` as ONE statement: the journal, then
    ``per`` — the period asked for, or else the first period (by its first day) holding
    ``today`` — then the context's branches, the content's for ``per`` and the chosen period's
    id (tag 20). Names of the content's arguments in order; before them come the journal's two,
    ``per``'s four and the viewer branch's six."""
    head, context_branches = _context_sql(kind)
    content_sql, names = _content_sql(kind)
    pieces = content_sql.split("{}")
    sql, kept = pieces[0], []
    for name, piece in zip(names, pieces[1:], strict=True):
        if name in _PERIOD_VALUES:
            sql += _PERIOD_VALUES[name] + piece
        else:
            sql += "{}" + piece
            kept.append(name)
    per = (", per AS (SELECT p.id AS id, p.starts_on AS starts_on, p.ends_on AS ends_on "
           f"FROM study_period p JOIN j ON {_IN_GRADE.format(a='p')} "
           "WHERE CASE WHEN {} > 0 THEN p.id = {} ELSE p.starts_on <= {} AND p.ends_on >= {} END "
           "ORDER BY p.starts_on, p.id LIMIT 1) ")
    chosen = _branch(20, "FROM per", CONTEXT, ints=["per.id"])
    return head + per + context_branches + " UNION ALL " + sql + " UNION ALL " + chosen, kept


async def journal(ref: JournalRef, person: int | None, period_id: int | None,
                  today: date) -> tuple[dict | None, dict | None]:
    """The journal's context (``_read_context``) and, in the same round trip, the ``content`` of
    the period asked for (its id) or, without one, of the period holding ``today``
    (``grid.default_period``'s first rule; between periods it finds none). Returns (context,
    (period id, content)), the latter None when no period was found (a foreign id, or a day
    between periods: the caller decides, with ``content``)."""
    sql, names = _journal_sql(ref.kind)
    values = {"owner": ref.owner, "subject": ref.subject}
    asked = period_id or 0
    who = person or 0
    rows = await fetch(sql, ref.owner, ref.subject, asked, asked, today, today,
                       who, ref.owner, ref.subject, who, ref.owner, ref.subject, *(values[n] for n in names))
    ctx = _read_context(ref, rows)
    chosen = next((r[I1] for r in rows if r[K] == 20), None)
    return ctx, (None if ctx is None or chosen is None else (chosen, _read_content(rows)))


async def content(ref: JournalRef, period: dict) -> dict:
    """The period's lessons (in order), teaching load, members' spans (home schooling cut out),
    names, attendance, grades (by cell, in their order; the kind of work as its id), finals and
    pending corrections. One query."""
    sql, names = _content_sql(ref.kind)
    values = {"owner": ref.owner, "subject": ref.subject, "start": period["starts_on"], "end": period["ends_on"],
              "period": period["id"]}
    return _read_content(await fetch(sql, *(values[n] for n in names)))


def _read_content(rows) -> dict:
    """The content's rows (tags 11–19, others skipped) as ``content`` answers them."""
    out: dict = {"lessons": [], "load": [], "spans": {}, "names": {}, "attendance": {}, "grades": [],
                 "finals": {}, "pending": set()}
    cuts: dict[int, list[tuple[date, date | None]]] = {}
    for r in rows:
        k = r[K]
        if k == 17:
            out["grades"].append(r)
        elif k == 16:
            out["attendance"][(r[I1], r[I2])] = r[C1]
        elif k == 11:
            out["lessons"].append((r[I1], _day(r[C1]), r[I2], bool(r[I3]), r[I4], r[I5]))
        elif k == 13:
            out["spans"].setdefault(r[I1], []).append((_day(r[C1]), _day(r[C2])))
        elif k == 15:
            out["names"][r[I1]] = (r[C1], r[C2], r[C3])
        elif k == 12:
            out["load"].append((r[I1], _day(r[C4]), _day(r[C5]), r[C1], r[C2], r[C3], r[I2]))
        elif k == 18:
            out["finals"][r[I1]] = r[C1]
        elif k == 19:
            out["pending"].add((r[I1], r[I2]))
        elif k == 14:
            cuts.setdefault(r[I1], []).append((_day(r[C1]), _day(r[C2])))
    for student, cut in cuts.items():
        if student in out["spans"]:
            out["spans"][student] = subtract(out["spans"][student], cut)
            if not out["spans"][student]:
                del out["spans"][student]
    out["lessons"].sort(key=lambda le: (le[1], le[2], le[0]))
    out["grades"].sort(key=itemgetter(I1, I2, I3, I4))  # lesson, student, position, id
    out["load"].sort(key=lambda t: (t[3], t[4], t[6]))
    return out
