"""Reads of the order book. The book is the school office's: every page here needs
``orders.view`` (checked by the routes), and shows the whole school's movement. A constant
number of queries per page."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from service.accounts.tables import Person
from service.errors import NotFound, Refused
from service.orders import rules
from service.school.queries import in_force
from service.school.tables import AcademicYear, SchoolClass, SchoolOrder, StudyGroup

PAGE_SIZE = 200


def _full(row: dict, prefix: str = "") -> str:
    parts = (row[f"{prefix}last_name"], row[f"{prefix}first_name"], row[f"{prefix}middle_name"])
    return " ".join(p for p in parts if p)


async def years() -> list[dict]:
    return await AcademicYear.select().order_by(AcademicYear.starts_on, ascending=False).run()


async def working_year() -> dict | None:
    """The year the office works in: the current one, else the newest that is not closed."""
    rows = await years()
    return (next((y for y in rows if y["is_current"]), None)
            or next((y for y in rows if y["closed_at"] is None), None))


async def classes_of(year_id: int) -> list[dict]:
    return await SchoolClass.select(SchoolClass.id, SchoolClass.name, SchoolClass.grade).where(
        SchoolClass.year == year_id).order_by(SchoolClass.grade).order_by(SchoolClass.letter).run()


async def groups_of(year_id: int) -> list[dict]:
    return await StudyGroup.raw(
        """SELECT g.id, g.name, g.kind, c.name AS class_name FROM study_group g
           LEFT JOIN school_class c ON c.id = g.school_class
           WHERE g.year = {} ORDER BY c.grade, c.letter, g.name""", year_id).run()


async def class_pupils(class_id: int, day: date) -> list[dict]:
    rows = await Person.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, p.birth_date FROM enrolment e
            JOIN person p ON p.id = e.student
            WHERE e.school_class = {{}} AND {in_force("e")}
            ORDER BY p.last_name, p.first_name, p.middle_name""", class_id, day, day).run()
    for r in rows:
        r["full_name"] = _full(r)
    return rows


async def group_pupils(group_id: int, day: date) -> list[dict]:
    rows = await Person.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, p.birth_date FROM group_member m
            JOIN person p ON p.id = m.student
            WHERE m.study_group = {{}} AND {in_force("m")}
            ORDER BY p.last_name, p.first_name, p.middle_name""", group_id, day, day).run()
    for r in rows:
        r["full_name"] = _full(r)
    return rows


async def enrol_candidates(day: date, limit: int = 1000) -> list[dict]:
    """People who could be enrolled: in no class on ``day``, and neither staff nor a parent."""
    rows = await Person.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, p.birth_date FROM person p
            WHERE NOT EXISTS (SELECT 1 FROM enrolment e WHERE e.student = p.id AND {in_force("e")})
              AND NOT EXISTS (SELECT 1 FROM staff_member s WHERE s.person = p.id)
              AND NOT EXISTS (SELECT 1 FROM parent_link l WHERE l.parent = p.id)
              AND NOT EXISTS (SELECT 1 FROM account a JOIN account_role ar ON ar.account = a.id
                              JOIN role r ON r.id = ar.role
                              WHERE a.person = p.id AND r.code <> {{}})
            ORDER BY p.last_name, p.first_name, p.middle_name LIMIT {{}}""",
        day, day, "student", limit).run()
    for r in rows:
        r["full_name"] = _full(r)
    return rows


async def names_of(ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(ids))
    if not ids:
        return {}
    marks = ", ".join("{}" for _ in ids)
    rows = await Person.raw(f"SELECT id, last_name, first_name, middle_name FROM person "
                            f"WHERE id IN ({marks})", *ids).run()
    return {r["id"]: _full(r) for r in rows}


# --- the book --------------------------------------------------------------------------------


async def order_book(year: dict | None, kind: str | None) -> list[dict]:
    """Orders by date (newest first) with their students and whether they were cancelled.
    Two queries. A year filters by the order's date within the year's span."""
    where, args = ["1 = 1"], []
    if year is not None:
        where.append("o.dated >= {} AND o.dated <= {}")
        args += [year["starts_on"], year["ends_on"]]
    if kind:
        where.append("o.kind = {}")
        args.append(kind)
    orders = await SchoolOrder.raw(
        f"""SELECT o.id, o.number, o.dated, o.kind, o.title, o.cancels,
                   x.id AS cancelled_by, x.number AS cancelled_number,
                   t.number AS cancels_number
            FROM school_order o
            LEFT JOIN school_order x ON x.cancels = o.id
            LEFT JOIN school_order t ON t.id = o.cancels
            WHERE {" AND ".join(where)}
            ORDER BY o.dated DESC, o.id DESC LIMIT {{}}""", *args, PAGE_SIZE).run()
    if not orders:
        return []
    ids = [o["id"] for o in orders]
    marks = ", ".join("{}" for _ in ids)
    lines = await Person.raw(
        f"""SELECT DISTINCT m.school_order, p.id, p.last_name, p.first_name, p.middle_name
            FROM movement m JOIN person p ON p.id = m.student
            WHERE m.school_order IN ({marks})
            ORDER BY p.last_name, p.first_name""", *ids).run()
    by_order: dict[int, list[str]] = {i: [] for i in ids}
    for line in lines:
        by_order[line["school_order"]].append(f"{line['last_name']} {line['first_name']}")
    for o in orders:
        o["students"] = by_order[o["id"]]
    return orders


async def order_detail(order_id: int) -> dict:
    rows = await SchoolOrder.raw(
        """SELECT o.id, o.number, o.dated, o.kind, o.title, o.cancels, o.created_at,
                  x.id AS cancelled_by, x.number AS cancelled_number, x.dated AS cancelled_dated,
                  t.number AS cancels_number, t.dated AS cancels_dated
           FROM school_order o
           LEFT JOIN school_order x ON x.cancels = o.id
           LEFT JOIN school_order t ON t.id = o.cancels
           WHERE o.id = {}""", order_id).run()
    if not rows:
        raise NotFound()
    order = rows[0]
    order["lines"] = await _lines("m.school_order = {}", order_id)
    return order


async def _lines(condition: str, *args) -> list[dict]:
    rows = await Person.raw(
        f"""SELECT m.id, m.kind, m.on_date, m.reason, m.school_order, m.student,
                   p.last_name, p.first_name, p.middle_name,
                   fc.name AS from_name, tc.name AS to_name, g.name AS group_name,
                   o.number, o.dated, o.kind AS order_kind,
                   x.number AS cancelled_number
            FROM movement m JOIN person p ON p.id = m.student
            JOIN school_order o ON o.id = m.school_order
            LEFT JOIN school_order x ON x.cancels = o.id
            LEFT JOIN school_class fc ON fc.id = m.from_class
            LEFT JOIN school_class tc ON tc.id = m.to_class
            LEFT JOIN study_group g ON g.id = m.study_group
            WHERE {condition}
            ORDER BY m.on_date, o.dated, m.id""", *args).run()
    for r in rows:
        r["full_name"] = _full(r)
    return rows


async def student_history(person_id: int) -> dict:
    """A student's movement: every order line about them and their class and group intervals
    (undone ones left out). 404 for a person the order book knows nothing about."""
    person = await Person.select(Person.id, Person.last_name, Person.first_name,
                                 Person.middle_name, Person.birth_date).where(
        Person.id == person_id).first().run()
    if person is None:
        raise NotFound()
    enrolments = await SchoolClass.raw(
        """SELECT e.starts_on, e.ends_on, c.name AS class_name, y.name AS year_name,
                  o.number, o.dated
           FROM enrolment e JOIN school_class c ON c.id = e.school_class
           JOIN academic_year y ON y.id = c.year
           LEFT JOIN school_order o ON o.id = e.school_order
           WHERE e.student = {} ORDER BY e.starts_on""", person_id).run()
    groups = await SchoolClass.raw(
        """SELECT m.starts_on, m.ends_on, g.name AS group_name, o.number, o.dated
           FROM group_member m JOIN study_group g ON g.id = m.study_group
           LEFT JOIN school_order o ON o.id = m.school_order
           WHERE m.student = {} ORDER BY m.starts_on""", person_id).run()
    lines = await _lines("m.student = {}", person_id)
    if not enrolments and not lines and not groups:
        raise NotFound()
    person["full_name"] = _full(person)
    person["enrolments"] = [e for e in enrolments
                            if not rules.Interval(e["starts_on"], e["ends_on"]).void]
    person["groups"] = [g for g in groups if not rules.Interval(g["starts_on"], g["ends_on"]).void]
    person["lines"] = lines
    return person


# --- the rollover ----------------------------------------------------------------------------


async def old_classes(year_id: int, day: date) -> list[rules.OldClass]:
    """The year's classes with the pupils in force on ``day`` (its last day)."""
    classes = await SchoolClass.select(
        SchoolClass.id, SchoolClass.grade, SchoolClass.letter, SchoolClass.class_teacher,
        SchoolClass.week_days).where(SchoolClass.year == year_id).run()
    pupils = await SchoolClass.raw(
        f"""SELECT e.student, e.school_class FROM enrolment e
            JOIN school_class c ON c.id = e.school_class
            WHERE c.year = {{}} AND {in_force("e")}""", year_id, day, day).run()
    by_class: dict[int, list[int]] = {c["id"]: [] for c in classes}
    for p in pupils:
        by_class[p["school_class"]].append(p["student"])
    return [rules.OldClass(c["id"], c["grade"], c["letter"], c["class_teacher"], c["week_days"],
                           tuple(sorted(by_class[c["id"]]))) for c in classes]


async def new_classes(year_id: int) -> list[rules.NewClass]:
    return [rules.NewClass(c["grade"], c["letter"], c["class_teacher"], c["week_days"], c["id"])
            for c in await SchoolClass.select(
                SchoolClass.id, SchoolClass.grade, SchoolClass.letter, SchoolClass.class_teacher,
                SchoolClass.week_days).where(SchoolClass.year == year_id).run()]


def _ru(day: date) -> str:
    return f"{day:%d.%m.%Y}"


async def rollover_plan(old_year: int, new_year: int, leaving: Iterable[int] = (),
                        held_back: Iterable[int] = ()) -> tuple[dict, dict, rules.Plan]:
    """The two years and what the rollover would do — for the preview and for the action,
    which refuses the same things."""
    old = await AcademicYear.select().where(AcademicYear.id == old_year).first().run()
    new = await AcademicYear.select().where(AcademicYear.id == new_year).first().run()
    if old is None or new is None:
        raise NotFound()
    if old["closed_at"] is not None:
        raise Refused(f"{old['name']} учебный год уже закрыт: перевод на следующий год из него уже "
                      "сделан", field="old_year")
    if new["closed_at"] is not None:
        raise Refused(f"{new['name']} учебный год закрыт", field="new_year")
    # a year reopened for corrections after its seal is open again, but was rolled over already
    done = await SchoolOrder.raw(
        "SELECT o.number, o.dated FROM school_order o JOIN movement m ON m.school_order = o.id "
        "JOIN school_class c ON c.id = m.from_class WHERE o.kind = 'promote' AND c.year = {} "
        "AND NOT EXISTS (SELECT 1 FROM school_order x WHERE x.cancels = o.id) LIMIT 1", old_year).run()
    if done:
        raise Refused(f"Перевод из {old['name']} учебного года уже сделан (приказ № {done[0]['number']}): "
                      "второй перевод не делается", field="old_year")
    if new["starts_on"] <= old["ends_on"]:
        raise Refused(f"{new['name']} учебный год должен начинаться после конца {old['name']} "
                      f"({_ru(old['ends_on'])})", field="new_year")
    classes = await old_classes(old_year, old["ends_on"])
    leaving, held_back = set(leaving), set(held_back)
    grade_of = {s: c.grade for c in classes for s in c.pupils}
    if stray := sorted((leaving | held_back) - grade_of.keys()):
        raise Refused(f"В списках есть ученики, которых нет в классах {old['name']} учебного года "
                      f"на его последний день (номера {', '.join(map(str, stray[:5]))})",
                      field="held_back")
    if both := leaving & held_back:
        raise Refused("Ученик не может одновременно выбыть после 9 класса и остаться на "
                      f"повторное обучение ({len(both)})", field="held_back")
    if not_ninth := [s for s in leaving if grade_of[s] != rules.BASIC_GRADE]:
        raise Refused("Выбывающими после 9 класса отмечают только учеников 9 классов "
                      f"({len(not_ninth)} не из 9 класса)", field="leaving")
    plan = rules.promotion_plan(classes, leaving, held_back, await new_classes(new_year))
    return old, new, plan


async def rollover_preview(old_year: int, new_year: int, leaving: Iterable[int] = (),
                           held_back: Iterable[int] = ()) -> dict:
    """What the rollover page shows before it is confirmed: each old class with its pupils and
    where they go, the classes to be created. A few queries, whatever the school's size."""
    old, new, plan = await rollover_plan(old_year, new_year, leaving, held_back)
    classes = await SchoolClass.raw(
        """SELECT c.id, c.name, c.grade, c.letter, p.last_name, p.first_name, p.middle_name
           FROM school_class c LEFT JOIN person p ON p.id = c.class_teacher
           WHERE c.year = {} ORDER BY c.grade, c.letter""", old_year).run()
    names = await names_of(m.student for m in plan.moves)
    moves_by_class: dict[int, list] = {c["id"]: [] for c in classes}
    for m in plan.moves:
        target = f"{m.to[0]}{m.to[1]}" if m.to else ""
        moves_by_class[m.from_class].append({"id": m.student, "name": names.get(m.student, ""),
                                             "kind": m.kind, "to": target})
    for c in classes:
        c["teacher"] = _full(c) if c["last_name"] else ""
        c["pupils"] = sorted(moves_by_class[c["id"]], key=lambda p: p["name"])
        c["to"] = f"{c['grade'] + 1}{c['letter']}" if c["grade"] < rules.FINAL_GRADE else ""
    teachers = await names_of(n.class_teacher for n in plan.new_classes if n.class_teacher)
    return {
        "old": old, "new": new, "classes": classes,
        "create": [{"name": n.name, "teacher": teachers.get(n.class_teacher, "")}
                   for n in plan.new_classes if n.id is None],
        "counts": {k: len(plan.of_kind(k)) for k in ("promote", "repeat", "graduate")},
    }
