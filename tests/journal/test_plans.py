"""Thematic plans (КТП, R-LESSON-2, issue item 8): files read in every format a teacher has,
every line checked with the line and the column named, hours checked against the load, the new
plan replacing the old one without touching lesson topics, programme completion and missing
plans after the due date."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from service.accounts.viewer import Viewer
from service.audit.tables import AuditEvent
from service.errors import NotFound, Refused
from service.exchange import writers
from service.journal import plan_queries, plans
from service.journal.tables import JournalSetting, LessonEntry, PlanItem, ThematicPlan
from service.school.tables import CalendarDay, TeachingLoad
from tests.journal.factories import TODAY, journal_school
from tests.test_query_counts import counting

pytestmark = pytest.mark.anyio

YEAR = (date(2026, 9, 1), date(2027, 5, 31))
SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "ktp-5-matematika.csv"


def viewer(s, login: str, *rights: str) -> Viewer:
    return Viewer(s.users[login], login, s.people[login], login, ("teacher",), frozenset(rights))


def csv(*rows: list[str], encoding: str = "utf-8", delimiter: str = ";") -> bytes:
    return "\r\n".join(delimiter.join(r) for r in rows).encode(encoding)


def preview(data: bytes) -> plans.PlanPreview:
    return plans.preview_table(plans.read(data), *YEAR)


GOOD = [["№", "Тема", "Часы", "Дата"],
        ["1", "Натуральные числа", "1", "02.11.2026"],
        ["2", "Сложение и вычитание", "2", "04.11.2026"],
        ["3", "Умножение", "", "30.11.2026"]]


# --- reading --------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_csv_in_common_encodings_and_delimiters(encoding, delimiter):
    """R-LESSON-2: CSV in UTF-8 (with or without BOM) and Windows-1251, «;» or «,»."""
    p = preview(csv(*GOOD, encoding=encoding, delimiter=delimiter))
    assert p.clean, p.errors
    assert [i["number"] for i in p.items] == [1, 2, 3]
    assert p.items[2] == {"number": 3, "topic": "Умножение", "hours": 1, "planned_on": date(2026, 11, 30)}
    assert p.total_hours == 4 and p.dated == 3


def test_xlsx_and_ods_with_a_title_row_and_loose_header_names():
    """R-LESSON-2: XLSX and ODS; a title row above; «№ п/п», «Тема урока», «Кол-во часов»,
    «Дата проведения»; date cells as dates; no «Часы» means 1 hour."""
    rows = [["1", "Натуральные числа", 1, date(2026, 11, 2)], [2, "Дроби", 2, None]]
    for data in (writers.write_xlsx(["№ п/п", "Тема урока", "Кол-во часов", "Дата проведения"], rows),
                 writers.write_ods(["№ п/п", "Тема урока", "Кол-во часов", "Дата проведения"], rows)):
        p = preview(data)
        assert p.clean, p.errors
        assert p.items == [{"number": 1, "topic": "Натуральные числа", "hours": 1, "planned_on": date(2026, 11, 2)},
                           {"number": 2, "topic": "Дроби", "hours": 2, "planned_on": None}]
    p = preview(csv(["КТП по математике, 5 класс"], ["Номер", "Тема"], ["1", "Дроби"], ["2", "Проценты"]))
    assert p.clean and p.total_hours == 2


def test_the_sample_file_reads_clean():
    p = preview(SAMPLE.read_bytes())
    assert p.clean, p.errors
    assert len(p.items) == 12 and p.total_hours == 17


def test_every_line_checked_and_named():
    """R-LESSON-2: errors name the line and the column in Russian; the whole file is listed."""
    p = preview(csv(["№", "Тема", "Часы", "Дата"],
                    ["1", "Натуральные числа", "0", ""],
                    ["2", "", "1", ""],
                    ["2", "Повтор номера", "1", ""],
                    ["4", "Дата не та", "1", "31.08.2026"],
                    ["5", "Дата не по образцу", "1", "2026-11-02"],
                    ["6", "Т" * 501, "1", ""],
                    ["x", "Номер не число", "1", ""],
                    ["8", "Часов много", "11", ""],
                    ["9", "Верная строка", "1", ""]))
    assert not p.clean
    assert p.errors == [
        "Строка 2: часы — целое число от 1 до 10",
        "Строка 3: тема не указана",
        "Строка 4: № 2 не больше предыдущего (2) — номера идут по возрастанию без повторов",
        "Строка 5: дата 31.08.2026 вне учебного года (01.09.2026–31.05.2027)",
        "Строка 6: дата — в виде дд.мм.гггг, например 01.09.2026",
        "Строка 7: тема длиннее 500 знаков (501)",
        "Строка 8: № — целое число от 1 до 9999",
        "Строка 9: часы — целое число от 1 до 10",
    ]
    assert [line.number for line in p.bad_lines] == [2, 3, 4, 5, 6, 7, 8, 9]
    assert len(p.items) == 1  # only line 10 is right


def test_limits_and_unreadable_files():
    """R-LESSON-2: at most 400 lines; a file with no «Тема» column; not a table at all."""
    many = [["№", "Тема"]] + [[str(n), f"Тема {n}"] for n in range(1, 402)]
    p = preview(csv(*many))
    assert p.problems == ["в файле 401 строк с темами, а в КТП их может быть не больше 400"] and not p.clean
    assert not preview(csv(*many[:401])).errors
    assert "не найдена шапка" in preview(csv(["Фамилия", "Имя"], ["Орлова", "Анна"])).problems[0]
    with pytest.raises(Refused, match="Файл не прочитан"):
        plans.read(b"%PDF-1.4 whatever")
    with pytest.raises(Refused, match="больше 2 МБ"):
        plans.read(b"x" * (plans.MAX_BYTES + 1))


def test_study_weeks_from_the_year_and_its_holidays():
    """The load rule: working days outside holidays / 5, rounded up."""
    assert plans.study_weeks(date(2026, 11, 2), date(2026, 11, 13), []) == 2
    assert plans.study_weeks(date(2026, 11, 2), date(2026, 11, 13), [(date(2026, 11, 9), date(2026, 11, 10))]) == 2
    assert plans.study_weeks(date(2026, 11, 2), date(2026, 11, 13), [(date(2026, 11, 9), date(2026, 11, 15))]) == 1
    assert plans.study_weeks(date(2026, 11, 2), date(2026, 11, 3), []) == 1


# --- writing --------------------------------------------------------------------------------


async def _count(table) -> int:
    return await table.count().run()


async def test_import_writes_the_plan_and_one_audit_row(db):
    """R-LESSON-2: the journal's teacher loads a plan; one audit row names the file, lines, hours."""
    s = await journal_school()
    v = viewer(s, "uchitel", "journal.teach")
    p = await plans.preview_file(v, s.math, csv(*GOOD))
    plan_id = await plans.do_import_plan(v, s.math, p.items, "ktp 5А.csv")
    plan = await ThematicPlan.select().where(ThematicPlan.id == plan_id).first().run()
    assert plan["total_hours"] == 4 and plan["file_name"] == "ktp 5А.csv" and plan["replaced_at"] is None
    assert plan["imported_by"] == s.people["uchitel"] and plan["school_class"] == s.classes["5А"]
    items = await plan_queries.active_plan_items(s.math)
    assert [(i["number"], i["topic"], i["hours"], i["planned_on"], i["used_on"]) for i in items] == [
        (1, "Натуральные числа", 1, date(2026, 11, 2), None), (2, "Сложение и вычитание", 2, date(2026, 11, 4), None),
        (3, "Умножение", 1, date(2026, 11, 30), None)]
    audit = await AuditEvent.select().where(AuditEvent.action == "journal.plan_imported").run()
    assert len(audit) == 1 and audit[0]["object_id"] == str(plan_id)
    new = json.loads(audit[0]["new"])
    assert (new["file"], new["lines"], new["hours"], new["journal"]) == ("ktp 5А.csv", 3, 4, s.math.key)


async def test_more_hours_than_the_load_is_refused_and_nothing_written(db):
    """R-LESSON-2, bad input: a КТП file with more hours than the load; the message names both."""
    s = await journal_school()
    await CalendarDay.insert(CalendarDay(year=s.t.year, kind="holidays", name="Осенние каникулы",
                                         starts_on=date(2026, 10, 26), ends_on=date(2026, 11, 4))).run()
    weeks = plans.study_weeks(*YEAR, [(date(2026, 10, 26), date(2026, 11, 4))])
    limit = 5 * weeks
    v = viewer(s, "uchitel", "journal.teach")
    rows = [["№", "Тема", "Часы"]] + [[str(n), f"Тема {n}", "5"] for n in range(1, weeks + 1)] + \
        [[str(weeks + 1), "Лишний час", "1"]]
    p = await plans.preview_file(v, s.math, csv(*rows))
    message = f"В файле {limit + 1} ч, а по нагрузке 5 ч в неделю × {weeks} недель = {limit} ч"
    assert weeks == 38 and p.problems == [message] and not p.clean
    with pytest.raises(plans.PlanRefused, match="В файле"):
        await plans.do_import_plan(v, s.math, p.items, "big.csv")
    assert await _count(ThematicPlan) == 0 and await _count(PlanItem) == 0
    assert await AuditEvent.count().where(AuditEvent.action == "journal.plan_imported").run() == 0
    # exactly the limit passes
    p = await plans.preview_file(v, s.math, csv(*rows[:-1]))
    assert p.clean and p.total_hours == limit


async def test_the_action_checks_lines_itself(db):
    """A direct call (a POST that skips the preview) gets the same line checks."""
    s = await journal_school()
    v = viewer(s, "uchitel", "journal.teach")
    bad = [{"number": 1, "topic": "Дроби", "hours": 1, "planned_on": None},
           {"number": 1, "topic": "Ещё", "hours": 99, "planned_on": date(2030, 1, 1)}]
    with pytest.raises(plans.PlanRefused) as caught:
        await plans.do_import_plan(v, s.math, bad, "x.csv")
    assert "Строка 2: часы — целое число от 1 до 10" in caught.value.preview.errors
    with pytest.raises(plans.PlanRefused):
        await plans.do_import_plan(v, s.math, [], "empty.csv")
    assert await _count(ThematicPlan) == 0


async def test_a_new_plan_replaces_the_old_and_lesson_topics_stay(db):
    """R-LESSON-2: the latest import replaces the earlier one; lessons keep their topic text."""
    s = await journal_school()
    v = viewer(s, "uchitel", "journal.teach")
    first = await plans.do_import_plan(v, s.math, preview(csv(*GOOD)).items, "v1.csv")
    item = (await plan_queries.active_plan_items(s.math))[0]
    lesson = s.lessons[date(2026, 11, 2)]
    await LessonEntry.insert(LessonEntry(lesson=lesson, topic=item["topic"], plan_item=item["id"],
                                         updated_at=datetime.now(UTC))).run()
    assert (await plan_queries.active_plan_items(s.math))[0]["used_on"] == date(2026, 11, 2)
    second = await plans.do_import_plan(v, s.math, preview(csv(["№", "Тема"], ["1", "Новая тема"])).items, "v2.csv")
    old = await ThematicPlan.select().where(ThematicPlan.id == first).first().run()
    assert old["replaced_at"] is not None
    items = await plan_queries.active_plan_items(s.math)
    assert [(i["topic"], i["used_on"]) for i in items] == [("Новая тема", None)]
    entry = await LessonEntry.select().where(LessonEntry.lesson == lesson).first().run()
    assert entry["topic"] == "Натуральные числа" and entry["plan_item"] == item["id"]
    assert second != first and await ThematicPlan.count().where(ThematicPlan.replaced_at.is_null()).run() == 1


async def test_who_may_load_a_plan(db):
    """R-LESSON-2 / privacy: another teacher's journal answers 404 as a missing one; a viewer
    who sees every journal but does not teach it is refused; journal.edit may load."""
    s = await journal_school()
    items = preview(csv(*GOOD)).items
    with pytest.raises(NotFound):
        await plans.do_import_plan(viewer(s, "other", "journal.teach", "journal.class"), s.math, items, "x.csv")
    with pytest.raises(NotFound):
        await plans.preview_file(viewer(s, "other", "journal.teach"), s.math, csv(*GOOD))
    with pytest.raises(Refused, match="учитель, который ведёт этот журнал"):
        await plans.do_import_plan(viewer(s, "admin", "journal.view"), s.math, items, "x.csv")
    assert await _count(ThematicPlan) == 0
    await plans.do_import_plan(viewer(s, "admin", "journal.edit", "journal.view"), s.math, items, "x.csv")
    await plans.do_import_plan(viewer(s, "other", "journal.teach"), s.english, items, "en.csv")
    assert await _count(ThematicPlan) == 2


# --- completion and missing plans -----------------------------------------------------------


async def test_programme_completion_numbers(db):
    """R-LESSON-2: planned hours up to today vs lessons held up to today, and the year's total;
    lessons whose topic came from the plan."""
    s = await journal_school()
    v = viewer(s, "uchitel", "journal.teach")
    rows = [["№", "Тема", "Часы", "Дата"]] + [[str(n), f"Тема {n}", "2", f"{n:02d}.11.2026"] for n in range(1, 11)] \
        + [[str(n), f"Тема {n}", "5", ""] for n in range(11, 17)]
    await plans.do_import_plan(v, s.math, preview(csv(*rows)).items, "ktp.csv")
    items = await plan_queries.active_plan_items(s.math)
    for day, item in zip([date(2026, 11, 2), date(2026, 11, 4)], items, strict=False):
        await LessonEntry.insert(LessonEntry(lesson=s.lessons[day], topic=item["topic"], plan_item=item["id"],
                                             updated_at=datetime.now(UTC))).run()
    # 5А maths: Mon/Wed/Fri from 2 November — 11 lessons up to Wednesday 25 November
    page = await plan_queries.plan_page(v, s.math, TODAY)
    assert page["held"] == 11 and page["from_plan"] == 2 and page["used"] == 2
    assert page["planned_to_date"] == 20 and page["planned_total"] == 50
    assert page["percent_to_date"] == 55 and page["percent_total"] == 22
    data = await plan_queries.overview(v, TODAY)
    [row] = data["rows"]
    assert row["title"] == "5А · Математика" and row["has_plan"] and row["held"] == 11
    assert (row["due_hours"], row["total_hours"], row["from_plan"]) == (20, 50, 2)
    assert (row["percent_to_date"], row["percent_total"]) == (55, 22)


async def test_missing_plans_flagged_after_the_due_date(db):
    """Issue item 8: plans are due 10 September unless the school sets another date; after it a
    journal without a plan is flagged «КТП не загружено»."""
    s = await journal_school()
    admin = viewer(s, "admin", "journal.view")
    await plans.do_import_plan(viewer(s, "uchitel", "journal.teach"), s.math, preview(csv(*GOOD)).items, "a.csv")
    data = await plan_queries.overview(admin, TODAY)
    assert data["due"] == date(2026, 9, 10) and data["overdue"] and data["missing"] == 1
    flags = {r["title"]: r["missing"] for r in data["rows"]}
    assert flags == {"5А · Математика": False, "5А англ. 1 · Английский язык": True}
    await JournalSetting.insert(JournalSetting(year=s.t.year, plans_due=date(2026, 12, 1),
                                               updated_at=datetime.now(UTC))).run()
    data = await plan_queries.overview(admin, TODAY)
    assert not data["overdue"] and data["missing"] == 0
    # a teacher sees only their journals
    mine = await plan_queries.overview(viewer(s, "other", "journal.teach"), TODAY)
    assert [r["title"] for r in mine["rows"]] == ["5А англ. 1 · Английский язык"]


async def test_overview_costs_constant_queries(db, monkeypatch):
    """The overview costs the same few queries however many journals (journal.view)."""
    s = await journal_school()
    admin = viewer(s, "admin", "journal.view")
    with counting(monkeypatch) as seen:
        before = await plan_queries.overview(admin, TODAY)
    few = len(seen)
    assert few <= 4
    await plans.do_import_plan(viewer(s, "uchitel", "journal.teach"), s.math, preview(csv(*GOOD)).items, "a.csv")
    await TeachingLoad.insert(TeachingLoad(teacher=s.people["other"], subject=s.math.subject,
                                           school_class=s.classes["6Б"], hours_per_week=5,
                                           starts_on=date(2026, 9, 1))).run()
    with counting(monkeypatch) as seen:
        after = await plan_queries.overview(admin, TODAY)
    assert len(seen) == few and len(after["rows"]) == len(before["rows"]) + 1
    with counting(monkeypatch) as seen:
        await plan_queries.active_plan_items(s.math)
    assert len(seen) == 1


async def test_two_imports_at_once_leave_one_active_plan(pg_db):
    """Two uploads for one journal at the same moment (real concurrent connections): the
    journal's advisory lock orders them, so exactly one plan stays active and the chain holds."""
    import asyncio

    from service import db as dbmod
    from service.audit.verify import verify_chain

    s = await journal_school()
    v = viewer(s, "uchitel", "journal.teach")
    items = preview(csv(*GOOD)).items
    await dbmod.start_pool(4)
    try:
        await asyncio.gather(*[plans.do_import_plan(v, s.math, items, f"{n}.csv") for n in range(4)])
    finally:
        await dbmod.close_pool()
    assert await ThematicPlan.count().run() == 4
    assert await ThematicPlan.count().where(ThematicPlan.replaced_at.is_null()).run() == 1
    assert len(await plan_queries.active_plan_items(s.math)) == 3
    assert (await verify_chain()).ok
