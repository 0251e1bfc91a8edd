"""Imports on both engines (R-X-1, R-SEC-3): a whole file or nothing, one audit entry per
created record with the chain intact, students enrolled into their class, parents linked to
their child, staff → classes → load in the order a school loads them, and 10,000 lines with
one bad line: nothing written, the bad line named by its number and value."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from service.accounts.tables import Person
from service.audit.tables import AuditEvent
from service.audit.verify import verify_chain
from service.errors import Refused
from service.exchange.actions import ImportRefused, do_import, preview_file
from service.people.tables import ParentLink
from service.school.tables import Enrolment, SchoolClass, StaffMember, Subject, TeachingLoad
from tests.factories import SYSTEM, tiny_school

pytestmark = pytest.mark.anyio
TODAY = date(2026, 11, 27)
SAMPLES = {p.name: p.read_bytes()
           for p in (Path(__file__).resolve().parents[2] / "docs" / "samples").iterdir()}


def csv(*rows: list[str], encoding: str = "utf-8") -> bytes:
    return "\r\n".join(";".join(r) for r in rows).encode(encoding)


async def _audit(action: str) -> list[dict]:
    return await AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.seq).run()


async def test_subjects_one_audit_row_each_and_chain_intact(db):
    """R-SEC-3: one audit entry per created record, chained like any other."""
    await tiny_school()
    before = await Subject.count().run()
    preview = await do_import(SYSTEM, "subjects", csv(
        ["Учебные предметы 2026/2027"], ["Предмет", "Сокращение"],
        ["Русский язык", "Рус."], ["Литература", "Лит."], ["Физическая культура", "Физ-ра"]),
        TODAY, source="файл «предметы.csv»")
    assert len(preview.items) == 3
    assert await Subject.count().run() == before + 3
    rows = await _audit("exchange.subject_imported")
    assert [r["object_type"] for r in rows] == ["subject"] * 3
    assert "Литература" in rows[1]["new"] and rows[1]["reason"] == "файл «предметы.csv»"
    assert (await verify_chain()).ok


async def test_all_or_nothing_and_the_bad_line_is_named(db):
    """R-X-1: one bad line refuses the whole file; nothing is written, not even audit rows."""
    await tiny_school()
    people, events = await Person.count().run(), await AuditEvent.count().run()
    data = csv(["Фамилия", "Имя", "Дата рождения", "Класс"],
               ["Орлова", "Анна", "02.01.2015", "5А"],
               ["Зайцев", "Лев", "31.02.2015", "5А"])
    with pytest.raises(ImportRefused) as exc:
        await do_import(SYSTEM, "students", data, TODAY)
    assert exc.value.preview.errors == [
        "Строка 3: «Дата рождения» = «31.02.2015» — такой даты нет в календаре"]
    assert "Строка 3" in exc.value.message
    assert await Person.count().run() == people and await AuditEvent.count().run() == events


async def test_students_enrolled_into_their_class_of_the_current_year(db):
    school = await tiny_school()
    await do_import(SYSTEM, "students", csv(
        ["ФИО", "Д.р.", "Класс", "СНИЛС", "Пол"],
        ["Орлова Анна Сергеевна", "02.01.2015", "5а", "112-233-445 95", "ж"],
        ["Зайцев Лев", "1.3.14", "6 Б", "", "м"]), TODAY)
    anna = await Person.select().where(Person.last_name == "Орлова").first().run()
    assert anna["snils"] == "112-233-445 95" and anna["birth_date"] == date(2015, 1, 2)
    enrolment = await Enrolment.select().where(Enrolment.student == anna["id"]).first().run()
    assert enrolment["school_class"] == school.classes["5А"]
    assert enrolment["starts_on"] == TODAY and enrolment["order_ref"] == "импорт 27.11.2026"
    rows = await _audit("exchange.student_imported")
    assert len(rows) == 2 and rows[0]["object_id"] == str(anna["id"])
    # the same file again: every line a duplicate, already in the database
    with pytest.raises(ImportRefused) as exc:
        await do_import(SYSTEM, "students", csv(
            ["ФИО", "Д.р.", "Класс", "СНИЛС"], ["Орлова Анна Сергеевна", "02.01.2015", "5а", ""]),
            TODAY)
    assert exc.value.preview.errors == ["Строка 2: Орлова Анна Сергеевна, 02.01.2015 — уже есть в базе"]


async def test_staff_then_classes_then_load(db):
    """A school's order: staff, subjects, classes with their class teacher, teaching load;
    a teacher not on staff, an unknown subject or class is a line error."""
    await tiny_school()
    await do_import(SYSTEM, "staff", csv(
        ["ФИО сотрудника", "Должность", "Телефон"],
        ["Белова Ирина Павловна", "учитель истории", "+7 900 000-00-01"],
        ["Голубев Марк Ильич", "учитель физики", ""]), TODAY)
    assert await StaffMember.count().run() == 2
    await do_import(SYSTEM, "subjects", csv(["Предмет"], ["История"], ["Физика"]), TODAY)
    await do_import(SYSTEM, "classes", csv(
        ["Класс", "Классный руководитель", "Учебная неделя"],
        ["7Б", "Белова Ирина Павловна", "6"], ["8А", "", ""]), TODAY)
    seventh = await SchoolClass.select().where(SchoolClass.name == "7Б").first().run()
    assert seventh["grade"] == 7 and seventh["letter"] == "Б" and seventh["week_days"] == 6
    with pytest.raises(ImportRefused) as exc:
        await do_import(SYSTEM, "load", csv(
            ["Учитель", "Предмет", "Класс", "Часов в неделю"],
            ["Белова Ирина Павловна", "История", "7Б", "2"],
            ["Смирнова Анна Петровна", "История", "7Б", "2"],
            ["Голубев Марк Ильич", "Астрономия", "7Б", "1"],
            ["Голубев Марк Ильич", "Физика", "9В", "50"]), TODAY)
    assert exc.value.preview.errors == [
        "Строка 3: «Учитель» = «Смирнова Анна Петровна» — такого сотрудника нет в штате "
        "(сначала загрузите список сотрудников)",
        "Строка 4: предмета «Астрономия» нет в списке предметов",
        "Строка 5: класса «9В» нет в текущем учебном году",
        "Строка 5: «Часов в неделю» = «50» — часов в неделю — целое число от 1 до 40",
    ]
    assert await TeachingLoad.count().run() == 2  # the tiny school's own
    await do_import(SYSTEM, "load", csv(
        ["Учитель", "Предмет", "Класс", "Часы"],
        ["Белова Ирина Павловна", "История", "7б", "2"],
        ["Голубев Марк Ильич", "физика", "8А", "2"]), TODAY)
    assert await TeachingLoad.count().run() == 4
    assert len(await _audit("exchange.load_imported")) == 2


async def test_parents_linked_to_their_child(db):
    school = await tiny_school()
    await do_import(SYSTEM, "parents", csv(
        ["ФИО родителя", "Кем приходится", "Телефон", "ФИО ребёнка", "Класс"],
        ["Морозов Дмитрий Олегович", "отец", "+7 900 111-22-33", "Морозов Артём Дмитриевич", "5А"],
        ["Морозов Дмитрий Олегович", "папа", "+7 900 111-22-33", "Павлова Софья Алексеевна", "5А"]),
        TODAY)
    father = await Person.select().where(Person.first_name == "Дмитрий").run()
    assert len(father) == 1  # one person on two lines
    links = await ParentLink.select().where(ParentLink.parent == father[0]["id"]).run()
    assert {(link["child"], link["kind"]) for link in links} == {
        (school.people["pupil1"], "отец"), (school.people["pupil2"], "отец")}
    assert len(await _audit("exchange.parent_imported")) == 2
    with pytest.raises(ImportRefused) as exc:
        await do_import(SYSTEM, "parents", csv(
            ["ФИО", "ФИО ребёнка", "Класс ребёнка"],
            ["Лебедева Нина", "Неизвестный Ученик", "5А"],
            ["Лебедева Нина", "Соколов Максим Романович", ""]), TODAY)
    assert exc.value.preview.errors == [
        "Строка 2: ребёнок «Неизвестный Ученик» не найден среди учеников текущего года",
        "Строка 3: для поиска ребёнка нужна его дата рождения или класс"]


async def test_missing_columns_are_named(db):
    await tiny_school()
    preview = await preview_file("students", csv(["Фамилия", "Имя"], ["Орлова", "Анна"]), TODAY)
    assert preview.errors == ["нет обязательных столбцов: «Дата рождения»; «Класс» или "
                              "«Параллель»+«Литера»"]


async def test_not_a_spreadsheet_changes_nothing(db):
    await tiny_school()
    events = await AuditEvent.count().run()
    with pytest.raises(Refused, match="не таблица"):
        await do_import(SYSTEM, "students", b"%PDF-1.4 " + b"\x00" * 500, TODAY)
    assert await AuditEvent.count().run() == events


async def test_ten_thousand_lines_with_one_bad_line(db):
    """R-X-1: 10,000 lines with one bad line: nothing imported, the line named by its number
    and value; then the corrected file goes in whole, with 10,000 audit rows, quickly."""
    await tiny_school()
    rows = [["Список учеников"], ["Фамилия", "Имя", "Отчество", "Дата рождения", "Класс"]]
    for n in range(10_000):
        rows.append([f"Ученик{'абвгдежзик'[n % 10]}", f"Имя{'абвгдежзик'[n // 10 % 10]}",
                     f"Отч{'абвгдежзик'[n // 100 % 10]}{'абвгдежзик'[n // 1000 % 10]}",
                     f"{1 + n % 28:02d}.{1 + n // 28 % 12:02d}.2015", "5А" if n % 2 else "6Б"])
    rows[7002][3] = "31.04.2015"
    events = await AuditEvent.count().run()
    with pytest.raises(ImportRefused) as exc:
        await do_import(SYSTEM, "students", csv(*rows), TODAY)
    assert exc.value.preview.errors == [
        "Строка 7003: «Дата рождения» = «31.04.2015» — такой даты нет в календаре"]
    assert await AuditEvent.count().run() == events
    rows[7002][3] = "30.04.2015"
    started = time.monotonic()
    await do_import(SYSTEM, "students", csv(*rows), TODAY)
    assert time.monotonic() - started < 60
    assert await Enrolment.count().run() == 3 + 10_000
    assert await AuditEvent.count().run() == events + 10_000
    assert (await verify_chain()).ok


async def test_the_sample_files_load_in_order(db):
    """docs/samples/ as a school would load them into an empty year: staff (XLSX with a title
    row and merged cells), subjects (CSV and ODS), classes, load, pupils (UTF-8 with BOM),
    parents (Windows-1251 with semicolons)."""
    from service.school.tables import AcademicYear

    await AcademicYear.insert(AcademicYear(name="2026/2027", starts_on=date(2026, 9, 1),
                                           ends_on=date(2027, 5, 31), is_current=True)).run()
    for kind, name, count in [("staff", "staff-title-merged.xlsx", 3),
                              ("subjects", "subjects.csv", 5), ("subjects", "subjects.ods", 2),
                              ("classes", "classes.csv", 1), ("load", "load.csv", 2),
                              ("students", "students-utf8.csv", 3),
                              ("parents", "parents-windows1251.csv", 2)]:
        preview = await do_import(SYSTEM, kind, SAMPLES[name], TODAY)
        assert len(preview.items) == count, name
    posts = {r["post"] for r in await StaffMember.select(StaffMember.post).run()}
    assert posts == {"учитель", "заместитель директора по УВР"}  # the merged «учитель» filled down
    assert await ParentLink.count().run() == 2


async def test_two_imports_of_one_list_at_once_write_it_once(pg_db):
    """Two uploads of the same pupils at the same moment (real concurrent connections): one
    writes them, the other finds them already there and writes nothing."""
    import asyncio

    from service import db as dbmod

    await tiny_school()
    await dbmod.start_pool(4)
    try:
        data = csv(["ФИО", "Д.р.", "Класс"], ["Орлова Анна", "02.01.2015", "5А"],
                   ["Зайцев Лев", "01.03.2014", "6Б"])
        results = await asyncio.gather(do_import(SYSTEM, "students", data, TODAY),
                                       do_import(SYSTEM, "students", data, TODAY),
                                       return_exceptions=True)
    finally:
        await dbmod.close_pool()
    refused = [r for r in results if isinstance(r, ImportRefused)]
    assert len(refused) == 1, results
    assert "уже есть в базе" in refused[0].preview.errors[0]
    assert await Person.count().where(Person.last_name == "Орлова").run() == 1
    assert (await verify_chain()).ok


async def test_the_action_checks_the_right_itself(db):
    """A viewer without exchange.import is refused by the action, not only by the page."""
    from service.accounts.viewer import Viewer

    await tiny_school()
    teacher = Viewer(3, "uchitel", 3, "Попова Мария Сергеевна", ("teacher",), frozenset())
    with pytest.raises(Refused, match="Нет права"):
        await do_import(teacher, "subjects", csv(["Предмет"], ["Химия"]), TODAY)
    assert await Subject.count().where(Subject.name == "Химия").run() == 0
