"""Reads for imports and exports. An import checks a whole file against what the school
already has with a constant number of queries (``lookups``), whatever the file's length; an
export reads one list in one query. Both are for the office (rights exchange.import and
exchange.export): the lists are the whole school's."""

from __future__ import annotations

from datetime import date

from service.accounts.tables import Person
from service.exchange.preview import Lookups
from service.exchange.rules import person_key
from service.people.rules import fold
from service.school.queries import in_force
from service.school.tables import AcademicYear


async def current_year() -> dict | None:
    return await (AcademicYear.select(AcademicYear.id, AcademicYear.name, AcademicYear.starts_on,
                                      AcademicYear.ends_on, AcademicYear.closed_at)
                  .where(AcademicYear.is_current == True)  # noqa: E712 - Piccolo's column DSL
                  .first().run())


def _full(row: dict, prefix: str = "") -> str:
    return fold(" ".join(p for p in (row[prefix + "last_name"], row[prefix + "first_name"],
                                     row[prefix + "middle_name"]) if p))


async def lookups(kind: str, today: date) -> Lookups:
    """What a file of ``kind`` is checked against; at most six queries."""
    year = await current_year()
    found = Lookups(today=today, year=year)
    if kind in ("students", "parents", "staff", "classes", "load") and year is not None:
        for row in await Person.raw(
                "SELECT id, name FROM school_class WHERE year = {}", year["id"]).run():
            found.classes[row["name"].upper()] = row["id"]
    if kind in ("subjects", "load"):
        for row in await Person.raw("SELECT id, name FROM subject").run():
            found.subjects[fold(row["name"])] = row["id"]
    if kind in ("students", "parents", "staff"):
        for row in await Person.raw(
                "SELECT id, last_name, first_name, middle_name, birth_date, snils FROM person").run():
            if row["snils"]:
                found.snils[row["snils"]] = row["id"]
            found.people[person_key(row["last_name"], row["first_name"], row["middle_name"],
                                    row["birth_date"])] = row["id"]
    if kind in ("staff", "classes", "load"):
        for row in await Person.raw(
                f"""SELECT p.id, p.last_name, p.first_name, p.middle_name
                    FROM staff_member s JOIN person p ON p.id = s.person
                    WHERE {in_force("s")}""", today, today).run():
            found.staff.setdefault(_full(row), []).append(row["id"])
    if kind == "parents" and year is not None:
        for row in await Person.raw(
                f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, p.birth_date,
                           c.name AS class_name
                    FROM enrolment e JOIN person p ON p.id = e.student
                    JOIN school_class c ON c.id = e.school_class
                    WHERE c.year = {{}} AND {in_force("e")}""", year["id"], today, today).run():
            found.students.setdefault(_full(row), []).append(
                (row["id"], row["birth_date"], row["class_name"].upper()))
        for row in await Person.raw("SELECT parent, child FROM parent_link").run():
            found.links.add((row["parent"], row["child"]))
    if kind == "load":
        for row in await Person.raw(
                f"SELECT teacher, subject, school_class FROM teaching_load WHERE {in_force()}",
                today, today).run():
            found.loads.add((row["teacher"], row["subject"], row["school_class"]))
    return found


# --- exports ---------------------------------------------------------------------------------

EXPORT_HEADERS = {
    "students": ["Фамилия", "Имя", "Отчество", "Дата рождения", "Пол", "СНИЛС", "Класс",
                 "Телефон", "Электронная почта"],
    "parents": ["Фамилия", "Имя", "Отчество", "Дата рождения", "СНИЛС", "Телефон",
                "Электронная почта", "Кем приходится", "ФИО ребёнка", "Дата рождения ребёнка",
                "Класс ребёнка"],
    "staff": ["Фамилия", "Имя", "Отчество", "Дата рождения", "Пол", "СНИЛС", "Телефон",
              "Электронная почта", "Должность", "Дата приёма"],
    "subjects": ["Предмет", "Сокращение"],
    "classes": ["Класс", "Классный руководитель", "Учебная неделя"],
    "load": ["Учитель", "Предмет", "Класс", "Часов в неделю", "С даты"],
}


def _name(row: dict, prefix: str = "") -> str:
    return " ".join(p for p in (row[prefix + "last_name"], row[prefix + "first_name"],
                                row[prefix + "middle_name"]) if p)


async def export_rows(kind: str, today: date) -> list[list[object]]:
    """The rows of one list as on ``today`` (the current year's classes, posts and load in
    force), in the column order of ``EXPORT_HEADERS[kind]``. One query (two for a year)."""
    return (await export_list(kind, today))[0]


async def export_list(kind: str, today: date) -> tuple[list[list[object]], list[int]]:
    """The rows, and the ids of the people whose personal data they carry (for the access
    log: who took whose data out of the journal)."""
    year = await current_year()
    year_id = year["id"] if year else -1
    person = "p.id, p.last_name, p.first_name, p.middle_name, p.birth_date, p.sex, p.snils, p.phone, p.email"
    if kind == "subjects":
        rows = await Person.raw("SELECT name, short_name FROM subject ORDER BY name").run()
        return [[r["name"], r["short_name"]] for r in rows], []
    if kind == "classes":
        rows = await Person.raw(
            """SELECT c.name, c.week_days, t.last_name, t.first_name, t.middle_name
               FROM school_class c LEFT JOIN person t ON t.id = c.class_teacher
               WHERE c.year = {} ORDER BY c.grade, c.letter""", year_id).run()
        return [[r["name"], _name(r) if r["last_name"] else "", r["week_days"]] for r in rows], []
    if kind == "load":
        rows = await Person.raw(
            f"""SELECT p.last_name, p.first_name, p.middle_name, s.name AS subject,
                       c.name AS class_name, l.hours_per_week, l.starts_on
                FROM teaching_load l JOIN person p ON p.id = l.teacher
                JOIN subject s ON s.id = l.subject JOIN school_class c ON c.id = l.school_class
                WHERE c.year = {{}} AND {in_force("l")}
                ORDER BY p.last_name, p.first_name, s.name, c.grade, c.letter""",
            year_id, today, today).run()
        return [[_name(r), r["subject"], r["class_name"], r["hours_per_week"], r["starts_on"]]
                for r in rows], []
    if kind == "staff":
        rows = await Person.raw(
            f"""SELECT {person}, s.post, s.starts_on FROM staff_member s
                JOIN person p ON p.id = s.person WHERE {in_force("s")}
                ORDER BY p.last_name, p.first_name, p.middle_name""", today, today).run()
        return [[r["last_name"], r["first_name"], r["middle_name"], r["birth_date"], r["sex"],
                 r["snils"], r["phone"], r["email"], r["post"], r["starts_on"]] for r in rows], \
            [r["id"] for r in rows]
    if kind == "students":
        rows = await Person.raw(
            f"""SELECT {person}, c.name AS class_name FROM enrolment e
                JOIN person p ON p.id = e.student JOIN school_class c ON c.id = e.school_class
                WHERE c.year = {{}} AND {in_force("e")}
                ORDER BY c.grade, c.letter, p.last_name, p.first_name, p.middle_name""",
            year_id, today, today).run()
        return [[r["last_name"], r["first_name"], r["middle_name"], r["birth_date"], r["sex"],
                 r["snils"], r["class_name"], r["phone"], r["email"]] for r in rows], \
            [r["id"] for r in rows]
    rows = await Person.raw(
        f"""SELECT {person}, l.kind, k.last_name AS k_last_name, k.first_name AS k_first_name,
                   k.middle_name AS k_middle_name, k.birth_date AS k_birth_date,
                   c.name AS class_name
            FROM parent_link l JOIN person p ON p.id = l.parent JOIN person k ON k.id = l.child
            JOIN enrolment e ON e.student = k.id AND {in_force("e")}
            JOIN school_class c ON c.id = e.school_class AND c.year = {{}}
            ORDER BY c.grade, c.letter, k.last_name, k.first_name, p.last_name""",
        today, today, year_id).run()
    return [[r["last_name"], r["first_name"], r["middle_name"], r["birth_date"], r["snils"],
             r["phone"], r["email"], r["kind"], _name(r, "k_"), r["k_birth_date"], r["class_name"]]
            for r in rows], sorted({r["id"] for r in rows})
