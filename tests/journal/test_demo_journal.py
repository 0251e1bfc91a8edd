"""The demo school's journal (issue 9 item 10): a year of lessons filled up to today — topics
from the thematic plans, homework, about 5 % absences, grades valid in their systems, none in
the 1st grade, confirmed finals of the closed periods — and the previous year complete and
closed, with year finals, exam results and the council's promotion orders; the audit chain
still verifies."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from service.audit.tables import AuditEvent
from service.audit.verify import verify_chain
from service.demo import _CURRICULUM, generate_demo_school, plan_school
from service.demo_journal import plan_topics
from service.journal import access
from service.timetable.tables import Lesson
from tests.journal.factories import TODAY

pytestmark = pytest.mark.anyio


async def _rows(sql: str, *args) -> list[dict]:
    return await Lesson.raw(sql, *args).run()


@pytest.fixture
async def demo(db):
    await generate_demo_school("S", 2026)
    return db


async def _current_year() -> dict:
    return (await _rows("SELECT * FROM academic_year WHERE is_current = {}", True))[0]


async def test_every_past_lesson_has_a_topic_homework_and_records(demo):
    """R-LESSON-1, R-LESSON-2: every lesson before today has its topic (the plan's line, in
    order), material and homework, is marked as holding records, and its attendance was taken;
    today's lessons are left for the teacher, later ones are untouched."""
    rows = await _rows(
        "SELECT l.id, l.on_date, l.cancelled, l.has_records, l.subject, l.school_class, l.study_group, "
        "e.topic, e.plan_item, e.material, e.homework, e.attendance_at, i.number, i.topic AS item_topic "
        "FROM lesson l LEFT JOIN lesson_entry e ON e.lesson = l.id LEFT JOIN plan_item i ON i.id = e.plan_item "
        "ORDER BY l.on_date, l.number, l.id")
    past = [r for r in rows if r["on_date"] < TODAY and not r["cancelled"]]
    assert len(past) > 200
    assert all(r["topic"] and bool(r["has_records"]) and r["attendance_at"] for r in past)
    assert all(r["plan_item"] and r["topic"] == r["item_topic"] for r in past)  # S: every plan loaded
    assert all(r["material"] for r in past)
    assert sum(1 for r in past if r["homework"]) > len(past) // 2
    future = [r for r in rows if r["on_date"] >= TODAY or r["cancelled"]]
    assert any(r["on_date"] == TODAY for r in future)
    assert future and not any(r["topic"] or r["has_records"] for r in future)
    numbers = defaultdict(list)  # the plan's lines in order, one per lesson
    for r in past:
        numbers[(r["school_class"], r["study_group"], r["subject"])].append(r["number"])
    assert all(n == list(range(1, len(n) + 1)) for n in numbers.values())
    plans = await _rows("SELECT p.id, p.total_hours, COUNT(i.id) AS items FROM thematic_plan p "
                        "JOIN plan_item i ON i.plan = p.id GROUP BY p.id, p.total_hours")
    assert plans and all(p["total_hours"] == p["items"] for p in plans)
    setting = await _rows("SELECT plans_due FROM journal_setting")
    assert [r["plans_due"].isoformat() for r in setting] == ["2026-09-10"]


async def test_attendance_is_about_five_percent_mostly_ill_with_notes(demo):
    """R-ATT-1: absences are 2–10 % of pupil-lessons, mostly illness covered by a class
    teacher's note («б»), some «н» without a reason and a few late arrivals («оп»)."""
    pupil_lessons = (await _rows(
        "SELECT COUNT(*) AS n FROM lesson l JOIN lesson_entry x ON x.lesson = l.id "
        "JOIN enrolment e ON e.school_class = l.school_class AND e.starts_on <= l.on_date "
        "AND (e.ends_on IS NULL OR e.ends_on >= l.on_date)"))[0]["n"]
    pupil_lessons += (await _rows(
        "SELECT COUNT(*) AS n FROM lesson l JOIN lesson_entry x ON x.lesson = l.id "
        "JOIN group_member m ON m.study_group = l.study_group AND m.starts_on <= l.on_date "
        "AND (m.ends_on IS NULL OR m.ends_on >= l.on_date)"))[0]["n"]
    kinds = defaultdict(int)
    for r in await _rows("SELECT kind FROM attendance"):
        kinds[r["kind"]] += 1
    share = sum(kinds.values()) / pupil_lessons
    assert 0.02 <= share <= 0.10, share
    assert kinds["ill"] > kinds["absent"] > 0 and kinds["late"] > 0
    notes = await _rows("SELECT n.kind, n.created_by, c.class_teacher FROM absence_note n "
                        "JOIN enrolment e ON e.student = n.student JOIN school_class c ON c.id = e.school_class "
                        "JOIN academic_year y ON y.id = c.year AND y.is_current = {}", True)
    assert notes and all(n["kind"] == "ill" and n["created_by"] == n["class_teacher"] for n in notes)


async def test_grades_are_valid_weighted_and_realistic(demo):
    """R-GRADE-1, R-GRADE-2, R-GRADE-3: every grade is a valid mark of its system with the
    weight of its kind of work, control works grade the whole class, a few grades carry a
    comment on the work, and marks are mostly 4 and 5 with some 3 and 2."""
    systems = await access.systems()
    grades = await _rows("SELECT g.mark, g.value, g.weight, g.system, g.comment, g.lesson, g.position, "
                         "w.weight AS kind_weight, w.name AS kind FROM grade g JOIN work_kind w ON w.id = g.work_kind")
    assert len(grades) > 1000
    for g in grades:
        mark, value = systems[g["system"]].mark(g["mark"])
        assert mark == g["mark"] and float(value) == float(g["value"])
        assert float(g["weight"]) == float(g["kind_weight"]) and g["position"] == 0
    shares = defaultdict(int)
    for g in grades:
        shares[g["mark"]] += 1
    assert shares["4"] + shares["5"] > len(grades) / 2 and shares["3"] > 0 and shares["2"] > 0
    assert any(g["comment"] for g in grades)
    control = {g["lesson"] for g in grades if g["kind"] == "Контрольная работа"}
    assert control
    entries = await _rows("SELECT e.lesson FROM lesson_entry e JOIN work_kind w ON w.id = e.work_kind "
                          "WHERE w.name = {}", "Контрольная работа")
    assert control == {r["lesson"] for r in entries}


async def test_the_first_grade_gets_no_grades(db):
    """R-GRADE-4: the 1st grade is taught «Без отметок» (a grading rule), clubs too: attendance
    only. The M school has 1st grades; checked on SQLite only (it is the larger school)."""
    if db.kind != "sqlite":
        pytest.skip("the M school once is enough")
    await generate_demo_school("M", 5)
    year = await _current_year()
    first = await _rows("SELECT id FROM school_class WHERE year = {} AND grade = 1", year["id"])
    assert first
    system = await access.system_for(year["id"], 1, 1, None)
    assert system.kind == "none"
    assert (await access.system_for(year["id"], 5, 1, "club")).kind == "none"
    graded = await _rows(
        "SELECT COUNT(*) AS n FROM grade g JOIN lesson l ON l.id = g.lesson "
        "LEFT JOIN study_group sg ON sg.id = l.study_group "
        "JOIN school_class c ON c.id = COALESCE(l.school_class, sg.school_class) WHERE c.grade = 1")
    assert graded[0]["n"] == 0
    taught = await _rows("SELECT COUNT(*) AS n FROM lesson_entry e JOIN lesson l ON l.id = e.lesson "
                         "JOIN school_class c ON c.id = l.school_class WHERE c.grade = 1")
    assert taught[0]["n"] > 0
    club = await _rows("SELECT COUNT(*) AS n FROM grade g JOIN lesson l ON l.id = g.lesson "
                       "JOIN study_group sg ON sg.id = l.study_group WHERE sg.kind IN ('club', 'gpd')")
    assert club[0]["n"] == 0
    # M and L leave a journal or two without a thematic plan: «КТП не загружено» shows
    unplanned = await _rows("SELECT COUNT(*) AS n FROM lesson_entry WHERE plan_item IS NULL")
    assert unplanned[0]["n"] > 0


async def test_closed_periods_have_a_confirmed_final_for_everyone(demo):
    """R-GRADE-5: a period that ended more than a week ago is closed, and every pupil of every
    graded journal has a confirmed final there — the rule's suggestion from the weighted
    average."""
    year = await _current_year()
    closed = await _rows("SELECT p.id, p.ends_on, p.grade_from, p.grade_to FROM period_closing pc "
                         "JOIN study_period p ON p.id = pc.period WHERE p.year = {}", year["id"])
    assert closed and all((TODAY - p["ends_on"]).days > 7 for p in closed)
    finals = await _rows("SELECT student, subject, school_class, study_group, period, mark, suggested, average, "
                         "confirmed_by, note FROM final_grade WHERE year = {} AND kind = 'period'", year["id"])
    have = {(f["school_class"], f["study_group"], f["subject"], f["period"], f["student"]) for f in finals}
    journals = await _rows("SELECT DISTINCT school_class, study_group, subject FROM lesson")
    checked = 0
    for p in closed:
        for j in journals:
            ref = access.JournalRef("g" if j["study_group"] else "c", j["study_group"] or j["school_class"],
                                    j["subject"])
            for student in await access.members(ref, p["ends_on"], p["ends_on"]):
                assert (j["school_class"], j["study_group"], j["subject"], p["id"], student) in have
                checked += 1
    assert checked == len(finals) > 0
    assert all(f["confirmed_by"] for f in finals)
    # the suggestion, or «н/а» (with a note) for the rare pupil a one-hour subject never graded
    assert all(f["mark"] == f["suggested"] and f["average"] is not None
               or (f["mark"] == "н/а" and f["average"] is None and f["note"]) for f in finals)
    assert sum(1 for f in finals if f["mark"] == "н/а") < len(finals) * 0.05


async def test_the_previous_year_is_complete_and_closed(demo):
    """R-GRADE-5, R-ORG-3: last year is closed, with every period's and the year's finals for
    every pupil × subject of the curriculum, exam results of the 9th and 11th grades (Russian,
    mathematics and two more), promotion orders of the pedagogical council with a line per
    pupil, and graduation orders."""
    [old] = await _rows("SELECT * FROM academic_year WHERE is_current = {}", False)
    assert old["closed_at"] is not None and old["name"] == "2025/2026"
    classes = {c["id"]: c for c in await _rows("SELECT id, grade, name FROM school_class WHERE year = {}", old["id"])}
    assert sorted(c["name"] for c in classes.values()) == ["11А", "4А", "9А"]
    pupils = defaultdict(set)
    for e in await _rows("SELECT student, school_class FROM enrolment WHERE school_class IN "
                         f"({', '.join(map(str, classes))})"):
        pupils[e["school_class"]].add(e["student"])
    finals = await _rows("SELECT student, subject, school_class, kind, period, mark, system, note "
                         "FROM final_grade WHERE year = {}", old["id"])
    subjects = {r["name"]: r["id"] for r in await _rows("SELECT id, name FROM subject")}
    year_finals = {(f["school_class"], f["subject"], f["student"]) for f in finals if f["kind"] == "year"}
    for cid, c in classes.items():
        curriculum = [subjects[name] for name, _, hours in _CURRICULUM if hours[c["grade"] - 1]]
        assert {(cid, s, p) for s in curriculum for p in pupils[cid]} == {
            f for f in year_finals if f[0] == cid}
        periods = 4 if c["grade"] <= 9 else 2
        assert sum(1 for f in finals if f["kind"] == "period" and f["school_class"] == cid) == (
            periods * len(curriculum) * len(pupils[cid]))
    exams = [f for f in finals if f["kind"] == "exam"]
    for cid, c in classes.items():
        mine = [f for f in exams if f["school_class"] == cid]
        if c["grade"] in (9, 11):
            assert len(mine) == 4 * len(pupils[cid])
            assert {f["note"] for f in mine} == {"ОГЭ" if c["grade"] == 9 else "ЕГЭ"}
            assert all(sum(1 for f in mine if f["student"] == p and f["subject"] in (
                subjects["Русский язык"], subjects["Математика"])) == 2 for p in pupils[cid])
        else:
            assert not mine
    orders = await _rows("SELECT id, kind, title FROM school_order WHERE kind IN ('promote', 'graduate')")
    promote = [o for o in orders if o["kind"] == "promote"]
    assert [o["title"] for o in promote] == [
        "О переводе обучающихся 4А класса в 5 класс (протокол педсовета № 9 от 28.05.2026)"]
    lines = await _rows("SELECT school_order, student, kind, to_class FROM movement WHERE school_order IN "
                        f"({', '.join(str(o['id']) for o in orders)})")
    fourth = next(cid for cid, c in classes.items() if c["grade"] == 4)
    assert {r["student"] for r in lines if r["kind"] == "promote"} == pupils[fourth]
    now = await _rows("SELECT e.student FROM enrolment e JOIN school_class c ON c.id = e.school_class "
                      "WHERE c.year <> {} AND c.name = '5А'", old["id"])
    assert {r["student"] for r in now} >= pupils[fourth]  # promoted pupils are this year's 5А
    graduated = {r["student"] for r in lines if r["kind"] == "graduate"}
    assert graduated == {p for cid, c in classes.items() if c["grade"] in (9, 11) for p in pupils[cid]}


async def test_the_audit_chain_verifies_and_counts_the_journal(demo):
    """R-SEC-3: the generation stays one audited event (with the rights' bootstrap), the chain
    verifies, and the event says what the journal holds."""
    result = await verify_chain()
    assert result.ok, result.problem
    events = await AuditEvent.select(AuditEvent.action, AuditEvent.new).run()
    [made] = [json.loads(e["new"]) for e in events if e["action"] == "school.demo_generated"]
    grades = (await _rows("SELECT COUNT(*) AS n FROM grade"))[0]["n"]
    assert made["journal"]["grades"] == grades > 0
    assert made["journal"]["previous_orders"] == 3


def test_plan_topics_and_leavers_are_deterministic():
    """The thematic plan has one numbered line per lesson, control works closing blocks; the
    leavers are people of the plan (the same seed gives the same ones)."""
    topics = plan_topics("Математика", 40)
    assert len(topics) == 40 and topics[7] == ("Контрольная работа по теме «Натуральные числа»", True)
    assert not any(control for _, control in plan_topics("Физическая культура", 30))
    first, second = plan_school("S", 3), plan_school("S", 3)
    assert first.leavers == second.leavers and {g for _, g, _ in first.leavers} == {9, 11}
    assert all(first.people[p].full_name == second.people[p].full_name for p, _, _ in first.leavers)
