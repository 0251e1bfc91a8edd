"""Reads for finals (R-GRADE-2, R-GRADE-5, 004 items 3–4): a journal's sheet of students ×
periods (weighted average, suggested and confirmed final), what families see (forecast and
finals by their visibility dates), which journals' finals are overdue. Every function costs a
constant number of queries whatever the number of students, periods or journals."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from service.accounts.viewer import Viewer
from service.journal import access, rules
from service.journal.access import JournalRef
from service.journal.defaults import DEFAULT_SYSTEM
from service.timetable.tables import Lesson

EXTRA_KINDS = ("exam", "project", "practice")


def dec(x) -> Decimal | None:
    return None if x is None else Decimal(str(x))


def person_name(r: dict, prefix: str = "") -> str:
    return f"{r[prefix + 'last_name']} {r[prefix + 'first_name']}".strip()


def short_name(r: dict, prefix: str = "") -> str:
    first = r[prefix + "first_name"] or ""
    middle = r.get(prefix + "middle_name") or ""
    initials = (f"{first[:1]}." if first else "") + (f" {middle[:1]}." if middle else "")
    return f"{r[prefix + 'last_name']} {initials}".strip()


def overlaps(spans: list[tuple[date, date | None]], start: date, end: date) -> bool:
    return any(s <= end and (e is None or e >= start) for s, e in spans)


def year_suggestion(period_marks: list[Decimal | None], system: rules.System,
                    round_from: Decimal) -> tuple[Decimal | None, str]:
    """The year final a rule proposes: the average of the period finals' values, rounded as a
    period's (R-GRADE-5)."""
    values = [(v, Decimal(1)) for v in period_marks if v is not None]
    avg = rules.weighted_average(values)
    return avg, rules.suggest_final(avg, system, round_from)


def pick_system(rule_rows: list[dict], every: dict[int, rules.System], year: int, grade: int,
                subject: int, group_kind: str | None) -> rules.System:
    """``access.system_for`` over rule rows read once (for pages listing many journals)."""
    best = None
    for r in rule_rows:
        if r["year"] != year or not r["grade_from"] <= grade <= r["grade_to"]:
            continue
        if r["subject"] is not None and r["subject"] != subject:
            continue
        kinds = r["group_kinds"].split()
        if kinds and group_kind not in kinds:
            continue
        rank = (bool(kinds), r["subject"] is not None, -(r["grade_to"] - r["grade_from"]))
        if best is None or rank > best[0]:
            best = (rank, r["system"])
    if best is not None and best[1] in every:
        return every[best[1]]
    return next(s for s in every.values() if s.code == DEFAULT_SYSTEM)


async def _names(ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    marks = ", ".join("{}" for _ in ids)
    rows = await Lesson.raw(f"SELECT id, last_name, first_name, middle_name FROM person WHERE id IN ({marks})",
                            *ids).run()
    return {r["id"]: r for r in rows}


async def journal_grades(ref: JournalRef, start: date, end: date, student: int | None = None) -> list[dict]:
    """Counted grades of the journal's lessons from ``start`` to ``end``: student, day, value,
    weight. One query."""
    cond, args = ref.lesson_sql("l")
    extra = " AND g.student = {}" if student is not None else ""
    return await Lesson.raw(
        f"SELECT g.student, l.on_date, g.value, g.weight FROM grade g JOIN lesson l ON l.id = g.lesson "
        f"WHERE {cond} AND g.removed_at IS NULL AND l.on_date >= {{}} AND l.on_date <= {{}}{extra}",
        *args, start, end, *([student] if student is not None else [])).run()


async def journal_finals(ref: JournalRef, year: int) -> list[dict]:
    column = "school_class" if ref.kind == "c" else "study_group"
    return await Lesson.raw(
        f"SELECT f.*, p.last_name, p.first_name, p.middle_name FROM final_grade f "
        f"LEFT JOIN person p ON p.id = f.confirmed_by "
        f"WHERE f.year = {{}} AND f.subject = {{}} AND f.{column} = {{}}", year, ref.subject, ref.owner).run()


def period_average(grades: list[dict], student: int, period: dict) -> Decimal | None:
    return rules.weighted_average([
        (dec(g["value"]), dec(g["weight"])) for g in grades
        if g["student"] == student and period["starts_on"] <= g["on_date"] <= period["ends_on"]])


async def sheet(ref: JournalRef, info: dict, today: date) -> dict:
    """The journal's finals page: students (who belonged to it in the year) × periods, each cell
    with ``average``, ``suggested``, the confirmed ``final`` (row) and whether the student
    belonged in the period; the year column and the entered exam/project/practice results."""
    year = info["year"]
    s = await access.settings(year)
    system = await access.system_for(year, info["grade"] or 1, ref.subject, info["group_kind"])
    periods = await access.periods(year, info["grade"] or 1)
    spans = await access.members(ref, info["year_starts"], info["year_ends"])
    names = await _names(list(spans))
    grades = await journal_grades(ref, info["year_starts"], info["year_ends"])
    finals = await journal_finals(ref, year)
    by_key: dict[tuple, dict] = {}
    for f in finals:
        by_key[(f["student"], f["kind"], f["period"])] = f
    extras = [k for k in EXTRA_KINDS if any(f["kind"] == k for f in finals)]
    current = next((p for p in periods if p["starts_on"] <= today <= p["ends_on"]), None)
    students = []
    for sid in sorted(spans, key=lambda i: (names[i]["last_name"], names[i]["first_name"], i) if i in names else ("", "", i)):
        row = {"id": sid, "name": person_name(names[sid]) if sid in names else str(sid), "cells": [],
               "extras": {}}
        values = []
        for p in periods:
            belongs = overlaps(spans[sid], p["starts_on"], p["ends_on"])
            avg = period_average(grades, sid, p) if belongs else None
            final = by_key.get((sid, "period", p["id"]))
            values.append(dec(final["value"]) if final else None)
            row["cells"].append({"period": p, "belongs": belongs, "average": avg,
                                 "suggested": rules.suggest_final(avg, system, s.round_from),
                                 "final": final})
        yavg, ysug = year_suggestion(values, system, s.round_from)
        row["year"] = {"average": yavg, "suggested": ysug, "final": by_key.get((sid, "year", None))}
        for k in extras:
            row["extras"][k] = by_key.get((sid, k, None))
        students.append(row)
    return {"settings": s, "system": system, "periods": periods, "students": students, "extras": extras,
            "current": current,
            "visibility": {p["id"]: (rules.forecast_from(p["ends_on"], s.forecast_days),
                                     rules.finals_from(p["ends_on"], s.finals_days)) for p in periods}}


# --- what families see ------------------------------------------------------------------------


async def family_view(student: int, today: date) -> list[dict]:
    """What a student and their parents see of finals (004 items 3–4), per subject journal of
    the student in the year holding ``today``: per period the weighted average so far, the
    forecast (the suggested final) once ``today`` reaches the forecast date, the confirmed final
    once it reaches the finals date or the period is closed; the year final when the last
    period's finals are visible. Constant number of queries."""
    years = await Lesson.raw(
        "SELECT id, starts_on, ends_on FROM academic_year WHERE starts_on <= {} AND ends_on >= {} "
        "ORDER BY starts_on DESC LIMIT 1", today, today).run()
    if not years:
        return []
    y = years[0]
    journals = await Lesson.raw(
        "SELECT DISTINCT e.school_class AS owner, 'c' AS kind, l.subject, c.grade, NULL AS group_kind, "
        "c.name AS owner_name, s.name AS subject_name "
        "FROM enrolment e JOIN school_class c ON c.id = e.school_class AND c.year = {} "
        "JOIN lesson l ON l.school_class = e.school_class JOIN subject s ON s.id = l.subject "
        "WHERE e.student = {} AND e.starts_on <= {} AND (e.ends_on IS NULL OR e.ends_on >= e.starts_on) "
        "UNION "
        "SELECT DISTINCT m.study_group AS owner, 'g' AS kind, l.subject, COALESCE(gc.grade, ec.grade) AS grade, "
        "g.kind AS group_kind, g.name AS owner_name, s.name AS subject_name "
        "FROM group_member m JOIN study_group g ON g.id = m.study_group AND g.year = {} "
        "LEFT JOIN school_class gc ON gc.id = g.school_class "
        "LEFT JOIN enrolment e2 ON e2.student = m.student "
        "LEFT JOIN school_class ec ON ec.id = e2.school_class AND ec.year = {} "
        "JOIN lesson l ON l.study_group = m.study_group JOIN subject s ON s.id = l.subject "
        "WHERE m.student = {} AND m.starts_on <= {} AND (m.ends_on IS NULL OR m.ends_on >= m.starts_on)",
        y["id"], student, y["ends_on"], y["id"], y["id"], student, y["ends_on"]).run()
    if not journals:
        return []
    s = await access.settings(y["id"])
    every = await access.systems()
    rule_rows = await Lesson.raw("SELECT year, system, subject, grade_from, grade_to, group_kinds "
                                 "FROM grading_rule WHERE year = {}", y["id"]).run()
    all_periods = await Lesson.raw(
        "SELECT p.id, p.name, p.number, p.starts_on, p.ends_on, p.grade_from, p.grade_to, "
        "EXISTS (SELECT 1 FROM period_closing pc WHERE pc.period = p.id AND pc.reopened_at IS NULL) AS closed "
        "FROM study_period p WHERE p.year = {} ORDER BY p.starts_on", y["id"]).run()
    grades = await Lesson.raw(
        "SELECT l.school_class, l.study_group, l.subject, l.on_date, g.value, g.weight FROM grade g "
        "JOIN lesson l ON l.id = g.lesson WHERE g.student = {} AND g.removed_at IS NULL "
        "AND l.on_date >= {} AND l.on_date <= {}", student, y["starts_on"], y["ends_on"]).run()
    finals = await Lesson.raw(
        "SELECT school_class, study_group, subject, kind, period, mark FROM final_grade "
        "WHERE student = {} AND year = {}", student, y["id"]).run()
    seen: dict[tuple, dict] = {}
    for j in journals:
        key = (j["kind"], j["owner"], j["subject"])
        if key not in seen or (seen[key]["grade"] is None and j["grade"] is not None):
            seen[key] = j
    result = []
    for (kind, owner, subject), j in sorted(seen.items(), key=lambda kv: (kv[1]["subject_name"], kv[0])):
        grade = j["grade"] or 1
        system = pick_system(rule_rows, every, y["id"], grade, subject, j["group_kind"])
        if system.kind == "none":
            continue
        column = "school_class" if kind == "c" else "study_group"
        mine = [g for g in grades if g[column] == owner and g["subject"] == subject]
        fin = {(f["kind"], f["period"]): f["mark"] for f in finals
               if f[column] == owner and f["subject"] == subject}
        periods = []
        for p in (p for p in all_periods if p["grade_from"] <= grade <= p["grade_to"]):
            avg = rules.weighted_average([(dec(g["value"]), dec(g["weight"])) for g in mine
                                          if p["starts_on"] <= g["on_date"] <= p["ends_on"]])
            f_from = rules.forecast_from(p["ends_on"], s.forecast_days)
            fin_from = rules.finals_from(p["ends_on"], s.finals_days)
            closed = bool(p["closed"])
            forecast = rules.suggest_final(avg, system, s.round_from) if today >= f_from else None
            final = fin.get(("period", p["id"])) if (today >= fin_from or closed) else None
            periods.append({"id": p["id"], "name": p["name"], "starts_on": p["starts_on"],
                            "ends_on": p["ends_on"], "average": avg if p["starts_on"] <= today else None,
                            "forecast": forecast or None, "forecast_from": f_from, "final": final,
                            "finals_from": fin_from, "closed": closed})
        last = periods[-1] if periods else None
        year_visible = last is not None and (today >= last["finals_from"] or last["closed"])
        result.append({"journal": JournalRef(kind, owner, subject).key, "subject": j["subject_name"],
                       "owner": j["owner_name"], "system": system.name, "periods": periods,
                       "year_final": fin.get(("year", None)) if year_visible else None,
                       "extras": {k: fin[(k, None)] for k in EXTRA_KINDS if (k, None) in fin and year_visible}})
    return result


# --- overdue finals and the deputy's overview -------------------------------------------------


async def year_of(today: date, year_id: int | None = None) -> dict | None:
    if year_id is not None:
        rows = await Lesson.raw("SELECT * FROM academic_year WHERE id = {}", year_id).run()
    else:
        rows = await Lesson.raw(
            "SELECT * FROM academic_year ORDER BY (CASE WHEN starts_on <= {} AND ends_on >= {} THEN 0 ELSE 1 END), "
            "is_current DESC, starts_on DESC LIMIT 1", today, today).run()
    return rows[0] if rows else None


async def year_periods(year: int) -> list[dict]:
    rows = await Lesson.raw(
        "SELECT p.id, p.name, p.number, p.scheme, p.starts_on, p.ends_on, p.grade_from, p.grade_to, "
        "pc.closed_at, pc.reason AS closed_reason, pc.closed_by, cp.last_name, cp.first_name, cp.middle_name "
        "FROM study_period p LEFT JOIN period_closing pc ON pc.period = p.id AND pc.reopened_at IS NULL "
        "LEFT JOIN person cp ON cp.id = pc.closed_by "
        "WHERE p.year = {} ORDER BY p.grade_from, p.starts_on", year).run()
    for r in rows:
        r["closed"] = r["closed_at"] is not None
    return rows


async def missing_finals(year: dict, today: date, *, period_id: int | None = None,
                         teacher: int | None = None, due_only: bool = True) -> list[dict]:
    """Journals of the year whose period finals are missing: for each period whose finals date
    has come (``due_only``) or the one ``period_id``, each journal with a student who belonged to
    it in the period and has no final. With the teacher(s) of the journal. Constant queries."""
    s = await access.settings(year["id"])
    periods = await year_periods(year["id"])
    if period_id is not None:
        periods = [p for p in periods if p["id"] == period_id]
    if due_only:
        periods = [p for p in periods if today >= rules.finals_from(p["ends_on"], s.finals_days)]
    if not periods:
        return []
    loads = await Lesson.raw(
        "SELECT t.teacher, t.subject, t.school_class, t.study_group, s.name AS subject_name, "
        "c.name AS class_name, c.grade AS class_grade, g.name AS group_name, g.kind AS group_kind, "
        "gc.grade AS group_class_grade, p.last_name, p.first_name, p.middle_name "
        "FROM teaching_load t JOIN subject s ON s.id = t.subject JOIN person p ON p.id = t.teacher "
        "LEFT JOIN school_class c ON c.id = t.school_class "
        "LEFT JOIN study_group g ON g.id = t.study_group LEFT JOIN school_class gc ON gc.id = g.school_class "
        "WHERE (c.year = {} OR g.year = {}) AND t.starts_on <= {} AND (t.ends_on IS NULL OR t.ends_on >= {})",
        year["id"], year["id"], year["ends_on"], year["starts_on"]).run()
    members = await Lesson.raw(
        "SELECT 'c' AS kind, e.school_class AS owner, e.student, e.starts_on, e.ends_on, c.grade "
        "FROM enrolment e JOIN school_class c ON c.id = e.school_class WHERE c.year = {} "
        "AND (e.ends_on IS NULL OR e.ends_on >= e.starts_on) "
        "UNION ALL SELECT 'g' AS kind, m.study_group AS owner, m.student, m.starts_on, m.ends_on, NULL AS grade "
        "FROM group_member m JOIN study_group g ON g.id = m.study_group WHERE g.year = {} "
        "AND (m.ends_on IS NULL OR m.ends_on >= m.starts_on)", year["id"], year["id"]).run()
    finals = await Lesson.raw(
        "SELECT student, subject, school_class, study_group, period FROM final_grade "
        "WHERE year = {} AND kind = 'period'", year["id"]).run()
    every = await access.systems()
    rule_rows = await Lesson.raw("SELECT year, system, subject, grade_from, grade_to, group_kinds "
                                 "FROM grading_rule WHERE year = {}", year["id"]).run()
    spans: dict[tuple, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    class_grade: dict[int, int] = {}
    for m in members:
        spans[(m["kind"], m["owner"])][m["student"]].append((m["starts_on"], m["ends_on"]))
        if m["kind"] == "c":
            class_grade[m["student"]] = m["grade"]
    have = {(f["student"], f["subject"], "c" if f["school_class"] else "g",
             f["school_class"] or f["study_group"], f["period"]) for f in finals}
    journals: dict[tuple, dict] = {}
    for t in loads:
        kind, owner = ("c", t["school_class"]) if t["school_class"] else ("g", t["study_group"])
        j = journals.setdefault((kind, owner, t["subject"]), {
            "ref": JournalRef(kind, owner, t["subject"]), "subject": t["subject_name"],
            "owner": t["class_name"] or t["group_name"], "group_kind": t["group_kind"],
            "grade": t["class_grade"] or t["group_class_grade"], "teachers": {}})
        j["teachers"][t["teacher"]] = short_name(t)
    result = []
    for (kind, owner, subject), j in journals.items():
        if teacher is not None and teacher not in j["teachers"]:
            continue
        people = spans.get((kind, owner), {})
        grade = j["grade"] or min((class_grade.get(p, 1) for p in people), default=1)
        if pick_system(rule_rows, every, year["id"], grade, subject, j["group_kind"]).kind == "none":
            continue
        for p in periods:
            if not p["grade_from"] <= grade <= p["grade_to"]:
                continue
            lacking = [sid for sid, sp in people.items() if overlaps(sp, p["starts_on"], p["ends_on"])
                       and (sid, subject, kind, owner, p["id"]) not in have]
            if lacking:
                result.append({"ref": j["ref"], "title": f"{j['owner']} · {j['subject']}",
                               "teachers": ", ".join(sorted(j["teachers"].values())),
                               "teacher_ids": sorted(j["teachers"]), "period": p, "missing": len(lacking),
                               "due": rules.finals_from(p["ends_on"], s.finals_days)})
    result.sort(key=lambda r: (r["period"]["starts_on"], r["title"]))
    return result


async def overview(year: dict, today: date) -> dict:
    """The deputy's page: the year's periods with their visibility dates and closings, and the
    journals whose finals are overdue."""
    s = await access.settings(year["id"])
    periods = await year_periods(year["id"])
    for p in periods:
        p["forecast_from"] = rules.forecast_from(p["ends_on"], s.forecast_days)
        p["finals_from"] = rules.finals_from(p["ends_on"], s.finals_days)
        p["closed_by_name"] = short_name(p) if p["closed_by"] else ""
        p["grades"] = (f"{p['grade_from']}–{p['grade_to']}" if p["grade_from"] != p["grade_to"]
                       else str(p["grade_from"]))
    overdue = await missing_finals(year, today)
    return {"settings": s, "periods": periods, "overdue": overdue}


async def viewer_overdue(viewer: Viewer, year: dict, today: date) -> list[dict]:
    """A teacher's own journals with overdue finals."""
    if viewer.person_id is None:
        return []
    return await missing_finals(year, today, teacher=viewer.person_id)
