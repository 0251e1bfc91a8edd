"""The documented export the archive reads (docs/archive-export.md): plain JSON documents built
from the same finals as the reports' summary sheet, so a transcript, the summary sheet and the
sealed year never disagree. ``archive`` renders, signs and seals them without this service.

A class costs a constant number of queries (the summary sheet's six, one for attendance, one for
birth dates), whatever the number of its pupils."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from service.reports.summary_sheet import ClassYear, class_year
from service.settings import get_settings
from service.timetable.tables import Lesson

FORMAT_VERSION = 1
# attendance kinds a transcript counts as missed lessons (lateness is not a missed lesson)
MISSED = ("absent", "ill", "excused", "unexcused")


class ExportError(Exception):
    """Nothing can be exported as asked (a message in Russian naming the pupil or class)."""


@dataclass(frozen=True)
class Pupil:
    """A pupil's transcript document and what the register needs besides it."""

    student: int
    class_id: int
    class_name: str
    period: int | None
    doc: dict


def content_digest(doc: dict) -> str:
    """SHA-256 of a document's data without its «document» block (number, code, time): equal
    digests mean a re-issue would print the same marks."""
    body = {k: v for k, v in doc.items() if k != "document"}
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def school_block() -> dict:
    school = get_settings().school
    block = {"name": school.name, "full_name": school.full_name or school.name, "address": school.address,
             "head": school.head}
    return {k: v for k, v in block.items() if v}  # an empty field is absent, not blank


async def head_name(today: date) -> str:
    """The head as documents print it: the setting (EZH_SCHOOL_HEAD) or else whoever holds the
    post «директор» on ``today`` in the staff list («Фамилия И. О.»); empty when neither."""
    if get_settings().school.head:
        return get_settings().school.head
    rows = await Lesson.raw(
        "SELECT p.last_name, p.first_name, p.middle_name FROM staff_member s JOIN person p ON p.id = s.person "
        "WHERE lower(s.post) = 'директор' AND s.starts_on <= {} AND (s.ends_on IS NULL OR s.ends_on >= {}) "
        "ORDER BY s.starts_on DESC LIMIT 1", today, today).run()
    if not rows:
        return ""
    r = rows[0]
    return f"{r['last_name']} {r['first_name'][:1]}. {(r['middle_name'] or '')[:1]}{'.' if r['middle_name'] else ''}".strip()


async def school_with_head(today: date) -> dict:
    block = school_block()
    head = await head_name(today)
    return {**block, "head": head} if head else block


def year_block(year: dict) -> dict:
    return {"name": year["name"], "starts": year["starts_on"].isoformat(), "ends": year["ends_on"].isoformat()}


def period_code(period_id: int) -> str:
    return f"p{period_id}"


def _period_block(p: dict) -> dict:
    return {"code": period_code(p["id"]), "name": p["name"], "starts": p["starts_on"].isoformat(),
            "ends": p["ends_on"].isoformat()}


async def _attendance(class_id: int, starts: date, ends: date) -> dict[int, dict[str, int]]:
    rows = await Lesson.raw(
        "SELECT a.student AS student, a.kind AS kind, COUNT(*) AS n FROM attendance a "
        "JOIN lesson l ON l.id = a.lesson "
        "WHERE a.student IN (SELECT e.student FROM enrolment e WHERE e.school_class = {}) "
        "AND l.on_date >= {} AND l.on_date <= {} AND l.cancelled = {} GROUP BY a.student, a.kind",
        class_id, starts, ends, False).run()
    out: dict[int, dict[str, int]] = {}
    for r in rows:
        out.setdefault(r["student"], {})[r["kind"]] = int(r["n"])
    return out


async def _birth_dates(class_id: int) -> dict[int, date | None]:
    rows = await Lesson.raw(
        "SELECT p.id, p.birth_date FROM person p WHERE p.id IN "
        "(SELECT e.student FROM enrolment e WHERE e.school_class = {})", class_id).run()
    return {r["id"]: r["birth_date"] for r in rows}


def _missed(counts: dict[str, int]) -> dict:
    return {"lessons_missed": sum(counts.get(k, 0) for k in MISSED), "ill": counts.get("ill", 0)}


def _rows(cy: ClassYear, pupil: int, periods: list[dict], *, year: bool) -> list[dict]:
    rows = []
    for s in cy.order:
        finals = {period_code(p["id"]): cy.marks[(pupil, "period", p["id"], s)]
                  for p in periods if (pupil, "period", p["id"], s) in cy.marks}
        year_mark = cy.marks.get((pupil, "year", None, s)) if year else None
        exam = cy.marks.get((pupil, "exam", None, s)) if year else None
        if finals or year_mark or exam:
            rows.append({"subject": cy.subjects[s], "finals": finals, "year": year_mark, "exam": exam})
    return rows


async def _last_classes(year: dict, class_id: int, until: date) -> dict[int, tuple[int, str]]:
    """For each pupil who was in the class this year, the class of their latest enrolment of
    the year up to ``until`` (id, name). One query."""
    rows = await Lesson.raw(
        "SELECT e.student AS student, e.school_class AS school_class, c.name AS name FROM enrolment e "
        "JOIN school_class c ON c.id = e.school_class WHERE c.year = {} AND e.starts_on <= {} "
        "AND e.student IN (SELECT x.student FROM enrolment x WHERE x.school_class = {}) "
        "ORDER BY e.student, e.starts_on, e.id", year["id"], until, class_id).run()
    return {r["student"]: (r["school_class"], r["name"]) for r in rows}  # the last row of each wins


async def class_transcripts(year: dict, class_id: int, period: dict | None, today: date,
                            students: set[int] | None = None) -> tuple[list[Pupil], list[str], list[tuple[int, str]]]:
    """The transcript documents of a class's pupils for a study period (or the year when
    ``period`` is None); the pupils left out for having no finals there; and those left out
    because they moved to another class of the year, whose documents that class issues (id and
    name, for the answer). ``students`` narrows the class to some pupils.

    A pupil's finals and absences are the pupil's, whichever class they were in, so a pupil
    moved from 5А to 5Б in January gets one transcript, with 5Б, not two."""
    cy = await class_year(year, class_id, today)
    if period is not None and period["id"] not in {p["id"] for p in cy.periods}:
        raise ExportError(f"{period['name']} — не учебный период {cy.name} класса")
    periods = [period] if period is not None else cy.periods
    starts = period["starts_on"] if period is not None else year["starts_on"]
    ends = period["ends_on"] if period is not None else year["ends_on"]
    missed = await _attendance(class_id, starts, ends)
    births = await _birth_dates(class_id)
    last = await _last_classes(year, class_id, min(ends, today))
    base = {"format": "ezh-transcript", "version": FORMAT_VERSION, "school": school_block(),
            "year": year_block(year), "kind": "period" if period is not None else "year",
            **({"period": _period_block(period)} if period is not None
               else {"periods": [_period_block(p) for p in periods]}),
            **({"class_teacher": cy.class_teacher} if cy.class_teacher else {})}
    out: list[Pupil] = []
    skipped: list[str] = []
    moved: list[tuple[int, str]] = []
    for p in cy.pupils:
        if students is not None and p["id"] not in students:
            continue
        name = " ".join(x for x in (p["last_name"], p["first_name"], p["middle_name"]) if x)
        now_in = last.get(p["id"])
        if now_in is not None and now_in[0] != class_id:
            moved.append((p["id"], f"{name} ({cy.name} → {now_in[1]})"))
            continue
        rows = _rows(cy, p["id"], periods, year=period is None)
        if not rows:
            skipped.append(name)
            continue
        born = births.get(p["id"])
        doc = {**base,
               "student": {"id": str(p["id"]), "surname": p["last_name"], "name": p["first_name"],
                           "patronymic": p["middle_name"] or None, "birth_date": born.isoformat() if born else None,
                           "class": cy.name},
               "rows": rows, "attendance": _missed(missed.get(p["id"], {}))}
        if period is None and cy.decisions.get(p["id"]):
            doc["decision"] = cy.decisions[p["id"]]
        out.append(Pupil(p["id"], class_id, cy.name, period["id"] if period is not None else None, doc))
    return out, skipped, moved


async def summary_sheet_doc(year: dict, class_id: int, today: date) -> dict:
    """The class's summary sheet of final grades as the archive seals it (R-REP-1, R-ARC-2)."""
    cy = await class_year(year, class_id, today)
    students = []
    for p in cy.pupils:
        finals: dict[str, dict[str, str]] = {}
        for s in cy.order:
            cell = {period_code(per["id"]): cy.marks[(p["id"], "period", per["id"], s)]
                    for per in cy.periods if (p["id"], "period", per["id"], s) in cy.marks}
            for kind in ("year", "exam"):
                if (p["id"], kind, None, s) in cy.marks:
                    cell[kind] = cy.marks[(p["id"], kind, None, s)]
            if cell:
                finals[f"s{s}"] = cell
        students.append({"id": str(p["id"]), "name": " ".join(x for x in (p["last_name"], p["first_name"], p["middle_name"]) if x),
                         "finals": finals, "decision": cy.decisions.get(p["id"])})
    return {"format": "ezh-summary-sheet", "version": FORMAT_VERSION, "school": await school_with_head(today),
            "year": year_block(year),
            "class": {"name": cy.name, "grade": cy.grade, "class_teacher": cy.class_teacher},
            "periods": [_period_block(p) for p in cy.periods],
            "subjects": [{"code": f"s{s}", "name": cy.subjects[s], "short": cy.shorts[s][:16]} for s in cy.order],
            "has_exams": cy.has_exams, "students": students}
