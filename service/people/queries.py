"""Reads of people's records, always scoped by the viewer: a record the viewer may not see
is indistinguishable from one that does not exist."""

from __future__ import annotations

from datetime import date

from service.accounts.tables import Person
from service.accounts.viewer import Viewer
from service.people import rules
from service.school.queries import class_scope, in_force


def student_scope(viewer: Viewer, today: date) -> tuple[str, list]:
    """SQL (a subquery of person ids) and arguments: the students the viewer may see."""
    classes, args = class_scope(viewer, today)
    parts = [f"SELECT student FROM enrolment WHERE school_class IN ({classes}) AND {in_force()}"]
    args = [*args, today, today]
    if viewer.person_id is not None:
        if viewer.can("people.view_taught"):
            # Members of the cross-class groups the viewer teaches (clubs, electives, ГПД).
            parts.append("SELECT m.student FROM group_member m JOIN teaching_load t "
                         f"ON t.study_group = m.study_group WHERE t.teacher = {{}} "
                         f"AND {in_force('t')} AND {in_force('m')}")
            args += [viewer.person_id, today, today, today, today]
        if viewer.can("people.view_children"):
            parts.append("SELECT child FROM parent_link WHERE parent = {}")
            args.append(viewer.person_id)
        if viewer.can("people.view_self"):
            parts.append("SELECT id FROM person WHERE id = {}")
            args.append(viewer.person_id)
    return " UNION ".join(parts), args


async def class_students(viewer: Viewer, class_id: int, today: date) -> list[dict]:
    """Pupils of a class on ``today`` that the viewer may see, with whether each (and each
    parent) already has an account — for the class page and the invitation sheet. 2 queries."""
    scope, args = student_scope(viewer, today)
    students = await Person.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, p.birth_date,
                   EXISTS (SELECT 1 FROM account a WHERE a.person = p.id) AS has_account
            FROM enrolment e JOIN person p ON p.id = e.student
            WHERE e.school_class = {{}} AND {in_force("e")} AND p.id IN ({scope})
            ORDER BY p.last_name, p.first_name, p.middle_name""",
        class_id, today, today, *args,
    ).run()
    if not students:
        return []
    ids = [s["id"] for s in students]
    placeholders = ", ".join("{}" for _ in ids)
    parents = await Person.raw(
        f"""SELECT l.child, l.kind, p.id, p.last_name, p.first_name, p.middle_name,
                   EXISTS (SELECT 1 FROM account a WHERE a.person = p.id) AS has_account
            FROM parent_link l JOIN person p ON p.id = l.parent
            WHERE l.child IN ({placeholders})
            ORDER BY p.last_name, p.first_name""",
        *ids,
    ).run()
    by_child: dict[int, list[dict]] = {i: [] for i in ids}
    for parent in parents:
        by_child[parent["child"]].append(parent)
    for student in students:
        student["parents"] = by_child[student["id"]]
        student["has_account"] = bool(student["has_account"])
        student["full_name"] = full_name(student)
        for parent in student["parents"]:
            parent["has_account"] = bool(parent["has_account"])
            parent["full_name"] = full_name(parent)
    return students


def full_name(row: dict) -> str:
    """«Фамилия Имя Отчество», built once here rather than per cell in the template."""
    return " ".join(p for p in (row["last_name"], row["first_name"], row["middle_name"]) if p)


async def student_card(viewer: Viewer, person_id: int, today: date) -> dict | None:
    """A student's card, or None (→ 404) if there is no such student visible to the viewer."""
    scope, args = student_scope(viewer, today)
    rows = await Person.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, p.sex, p.birth_date,
                   c.id AS class_id, c.name AS class_name,
                   EXISTS (SELECT 1 FROM account a WHERE a.person = p.id AND a.is_active) AS has_account
            FROM person p
            LEFT JOIN enrolment e ON e.student = p.id AND {in_force("e")}
            LEFT JOIN school_class c ON c.id = e.school_class
            WHERE p.id = {{}} AND p.id IN ({scope})""",
        today, today, person_id, *args,
    ).run()
    if not rows:
        return None
    card = rows[0]
    card["has_account"] = bool(card["has_account"])
    card["parents"] = await Person.raw(
        """SELECT p.id, p.last_name, p.first_name, p.middle_name, l.kind,
                  EXISTS (SELECT 1 FROM account a WHERE a.person = p.id AND a.is_active) AS has_account
           FROM parent_link l JOIN person p ON p.id = l.parent WHERE l.child = {}
           ORDER BY p.last_name""", person_id).run()
    for parent in card["parents"]:
        parent["has_account"] = bool(parent["has_account"])
    return card


async def children_of(viewer: Viewer, today: date) -> list[dict]:
    if viewer.person_id is None:
        return []
    return await Person.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, c.id AS class_id, c.name AS class_name
           FROM parent_link l JOIN person p ON p.id = l.child
           LEFT JOIN enrolment e ON e.student = p.id AND {in_force("e")}
           LEFT JOIN school_class c ON c.id = e.school_class
           WHERE l.parent = {{}} ORDER BY p.first_name""",
        today, today, viewer.person_id,
    ).run()


async def staff_members(today: date) -> list[dict]:
    """Current staff with their post, the class they lead (if any) and whether they already
    have an account — for the staff invitation sheet. One query."""
    return await Person.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, s.post,
                  (SELECT c.name FROM school_class c JOIN academic_year y ON y.id = c.year
                    WHERE c.class_teacher = p.id AND y.is_current = {{}} LIMIT 1) AS leads_class,
                  EXISTS (SELECT 1 FROM account a WHERE a.person = p.id) AS has_account
           FROM staff_member s JOIN person p ON p.id = s.person
           WHERE {in_force("s")}
           ORDER BY p.last_name, p.first_name, p.middle_name""",
        True, today, today,
    ).run()


# --- editing scope ---------------------------------------------------------------------------


def edit_scope(viewer: Viewer, today: date) -> tuple[str, list]:
    """SQL (a subquery of person ids) and arguments: whose records the viewer may change —
    everyone (the office), or the pupils of the class they lead and those pupils' parents.
    Actions check it and pages show edit links by it: one rule for both."""
    if viewer.can("people.edit_all"):
        return "SELECT id FROM person", []
    if viewer.person_id is None or not viewer.can("people.edit_class"):
        return "SELECT CAST(NULL AS INTEGER) WHERE 1 = 0", []
    own = ("SELECT e.student FROM enrolment e JOIN school_class c ON c.id = e.school_class "
           f"WHERE c.class_teacher = {{}} AND {in_force('e')}")
    args = [viewer.person_id, today, today]
    return f"{own} UNION SELECT l.parent FROM parent_link l WHERE l.child IN ({own})", [*args, *args]


# --- health sheet: who sees it ---------------------------------------------------------------

_NOBODY = "SELECT CAST(NULL AS INTEGER) WHERE 1 = 0"


def _pe_subject(alias: str) -> tuple[str, list]:
    """SQL: the subject is physical education (its name starts with «Физическ»)."""
    likes = " OR ".join(f"{alias}.name LIKE {{}}" for _ in rules.PE_SUBJECT_PREFIXES)
    return f"({likes})", [f"{p}%" for p in rules.PE_SUBJECT_PREFIXES]


def health_scope(viewer: Viewer, today: date) -> tuple[str, list, str, list]:
    """Two subqueries of student ids with their arguments: whose whole health sheet the viewer
    sees (the administration, the nurse, the class teacher of the pupil's class), and whose PE
    group and recommendations only (teachers with a current PE load for the pupil's class or a
    group the pupil belongs to). Special-category data (152-ФЗ, ст. 10): nobody else."""
    full, full_args = [], []
    if viewer.can("health.view_all"):
        full.append("SELECT id FROM person")
    elif viewer.person_id is not None and viewer.can("health.view_class"):
        full.append("SELECT e.student FROM enrolment e JOIN school_class c ON c.id = e.school_class "
                    f"WHERE c.class_teacher = {{}} AND {in_force('e')}")
        full_args += [viewer.person_id, today, today]
    pe, pe_args = [], []
    if viewer.person_id is not None and viewer.can("health.view_pe") and not viewer.can("health.view_all"):
        subject, subject_args = _pe_subject("s")
        pe.append("SELECT e.student FROM enrolment e JOIN teaching_load t ON t.school_class = e.school_class "
                  f"JOIN subject s ON s.id = t.subject WHERE t.teacher = {{}} AND {in_force('t')} "
                  f"AND {in_force('e')} AND {subject}")
        pe_args += [viewer.person_id, today, today, today, today, *subject_args]
        pe.append("SELECT g.student FROM group_member g JOIN teaching_load t ON t.study_group = g.study_group "
                  f"JOIN subject s ON s.id = t.subject WHERE t.teacher = {{}} AND {in_force('t')} "
                  f"AND {in_force('g')} AND {subject}")
        pe_args += [viewer.person_id, today, today, today, today, *subject_args]
    full_sql = " UNION ".join(full) or _NOBODY
    any_sql = " UNION ".join([*full, *pe]) or _NOBODY
    return full_sql, full_args, any_sql, [*full_args, *pe_args]


def _current_record(alias: str = "h") -> str:
    return f"{alias}.valid_from <= {{}} AND ({alias}.valid_to IS NULL OR {alias}.valid_to >= {{}})"


async def health_classes(viewer: Viewer, today: date) -> list[dict]:
    """Classes of the current year with at least one pupil whose health sheet the viewer sees,
    with how many pupils have a current record (the nurse's and the class teacher's list).
    One query."""
    _, _, any_sql, any_args = health_scope(viewer, today)
    return await Person.raw(
        f"""SELECT c.id, c.name, c.grade, c.letter,
                   COUNT(DISTINCT e.student) AS pupils,
                   COUNT(DISTINCT h.student) AS with_record
            FROM school_class c JOIN academic_year y ON y.id = c.year AND y.is_current = {{}}
            JOIN enrolment e ON e.school_class = c.id AND {in_force("e")}
            LEFT JOIN health_record h ON h.student = e.student AND {_current_record()}
            WHERE e.student IN ({any_sql})
            GROUP BY c.id, c.name, c.grade, c.letter
            ORDER BY c.grade, c.letter""",
        True, today, today, today, today, *any_args,
    ).run()


async def class_health(viewer: Viewer, class_id: int, today: date) -> tuple[dict | None, list[dict]]:
    """A class's health sheet: the class (None → 404 when the viewer sees nobody's health in
    it) and its pupils with their current record, each marked ``full`` or PE-only. 2 queries."""
    full_sql, full_args, any_sql, any_args = health_scope(viewer, today)
    rows = await Person.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, p.birth_date,
                   CASE WHEN p.id IN ({full_sql}) THEN 1 ELSE 0 END AS full_access,
                   h.health_group, h.pe_group, h.recommendations, h.valid_from
            FROM enrolment e JOIN person p ON p.id = e.student
            LEFT JOIN health_record h ON h.student = p.id AND {_current_record()}
            WHERE e.school_class = {{}} AND {in_force("e")} AND p.id IN ({any_sql})
            ORDER BY p.last_name, p.first_name, p.middle_name""",
        *full_args, today, today, class_id, today, today, *any_args,
    ).run()
    if not rows:
        return None, []
    school_class = await class_header(class_id)
    for row in rows:
        row["full"] = bool(row.pop("full_access"))
        row["full_name"] = full_name(row)
    return school_class, rows


async def class_header(class_id: int) -> dict | None:
    rows = await Person.raw(
        """SELECT c.id, c.name, c.class_teacher, y.name AS year_name,
                  p.last_name AS teacher_last, p.first_name AS teacher_first,
                  p.middle_name AS teacher_middle
           FROM school_class c JOIN academic_year y ON y.id = c.year
           LEFT JOIN person p ON p.id = c.class_teacher WHERE c.id = {}""", class_id).run()
    return rows[0] if rows else None


async def student_health(viewer: Viewer, person_id: int, today: date) -> dict | None:
    """One pupil's health sheet with its history (newest first), or None (→ 404) when the
    viewer may not see it. ``full`` False: the PE group and recommendations only. 2 queries."""
    full_sql, full_args, any_sql, any_args = health_scope(viewer, today)
    rows = await Person.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, p.birth_date,
                   CASE WHEN p.id IN ({full_sql}) THEN 1 ELSE 0 END AS full_access,
                   c.id AS class_id, c.name AS class_name
            FROM person p
            LEFT JOIN enrolment e ON e.student = p.id AND {in_force("e")}
            LEFT JOIN school_class c ON c.id = e.school_class
            WHERE p.id = {{}} AND p.id IN ({any_sql})
              AND EXISTS (SELECT 1 FROM enrolment x WHERE x.student = p.id)""",
        *full_args, today, today, person_id, *any_args,
    ).run()
    if not rows:
        return None
    sheet = rows[0]
    sheet["full"] = bool(sheet.pop("full_access"))
    sheet["full_name"] = full_name(sheet)
    sheet["records"] = await Person.raw(
        """SELECT id, health_group, pe_group, recommendations, valid_from, valid_to
           FROM health_record WHERE student = {} ORDER BY valid_from DESC, id DESC""",
        person_id).run()
    for record in sheet["records"]:
        record["current"] = rules.in_force_on(record["valid_from"], record["valid_to"], today)
    return sheet


# --- consent, card extras --------------------------------------------------------------------


def _consent_in_force(alias: str = "k") -> str:
    """SQL: the consent holds on the day passed as the next TWO arguments."""
    return f"{alias}.given_on <= {{}} AND ({alias}.withdrawn_on IS NULL OR {alias}.withdrawn_on > {{}})"


async def card_extras(viewer: Viewer, person_id: int, today: date) -> dict:
    """What the student card adds for this viewer: is a consent on file today, may the viewer
    change the records, may they open the health sheet. One query."""
    edit_sql, edit_args = edit_scope(viewer, today)
    _, _, health_sql, health_args = health_scope(viewer, today)
    rows = await Person.raw(
        f"""SELECT
              CASE WHEN EXISTS (SELECT 1 FROM pd_consent k WHERE k.person = p.id
                                AND {_consent_in_force()}) THEN 1 ELSE 0 END AS consent,
              CASE WHEN p.id IN ({edit_sql}) THEN 1 ELSE 0 END AS may_edit,
              CASE WHEN p.id IN ({health_sql}) THEN 1 ELSE 0 END AS may_see_health
            FROM person p WHERE p.id = {{}}""",
        today, today, *edit_args, *health_args, person_id,
    ).run()
    row = rows[0] if rows else {"consent": 0, "may_edit": 0, "may_see_health": 0}
    return {key: bool(value) for key, value in row.items()}


async def person_record(viewer: Viewer, person_id: int, today: date) -> dict | None:
    """A person's details, family links, consents and staff post for the edit page, or None
    (→ 404) outside the viewer's editing scope. 3 queries."""
    edit_sql, edit_args = edit_scope(viewer, today)
    rows = await Person.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, p.sex, p.birth_date, p.snils,
                   p.phone, p.email, s.post, s.starts_on AS staff_from, s.ends_on AS staff_to,
                   c.id AS class_id, c.name AS class_name,
                   CASE WHEN EXISTS (SELECT 1 FROM enrolment x WHERE x.student = p.id)
                        THEN 1 ELSE 0 END AS is_student
            FROM person p
            LEFT JOIN staff_member s ON s.person = p.id
            LEFT JOIN enrolment e ON e.student = p.id AND {in_force("e")}
            LEFT JOIN school_class c ON c.id = e.school_class
            WHERE p.id = {{}} AND p.id IN ({edit_sql})""",
        today, today, person_id, *edit_args,
    ).run()
    if not rows:
        return None
    record = rows[0]
    record["is_student"] = bool(record["is_student"])
    record["full_name"] = full_name(record)
    links = await Person.raw(
        """SELECT l.id, l.kind, l.is_legal_representative, l.parent, l.child,
                  p.id AS person_id, p.last_name, p.first_name, p.middle_name
           FROM parent_link l JOIN person p ON p.id = CASE WHEN l.child = {} THEN l.parent ELSE l.child END
           WHERE l.child = {} OR l.parent = {}
           ORDER BY p.last_name, p.first_name""",
        person_id, person_id, person_id).run()
    for link in links:
        link["full_name"] = full_name(link)
        link["is_legal_representative"] = bool(link["is_legal_representative"])
    record["parents"] = [link for link in links if link["child"] == person_id]
    record["children"] = [link for link in links if link["parent"] == person_id]
    record["consents"] = await Person.raw(
        """SELECT k.id, k.scope, k.given_on, k.withdrawn_on, k.document_ref, k.signed_by,
                  p.last_name, p.first_name, p.middle_name
           FROM pd_consent k LEFT JOIN person p ON p.id = k.signed_by
           WHERE k.person = {} ORDER BY k.given_on DESC, k.id DESC""", person_id).run()
    for consent in record["consents"]:
        consent["signer"] = full_name(consent) if consent["last_name"] else ""
        consent["in_force"] = rules.consent_in_force(consent["given_on"], consent["withdrawn_on"], today)
    record["consent_on_file"] = any(c["in_force"] for c in record["consents"])
    return record


async def class_without_consent(viewer: Viewer, class_id: int, today: date) -> list[dict]:
    """Pupils of the class (that the viewer may see) with no consent in force today. 1 query."""
    scope, args = student_scope(viewer, today)
    rows = await Person.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, p.birth_date
            FROM enrolment e JOIN person p ON p.id = e.student
            WHERE e.school_class = {{}} AND {in_force("e")} AND p.id IN ({scope})
              AND NOT EXISTS (SELECT 1 FROM pd_consent k WHERE k.person = p.id
                              AND {_consent_in_force()})
            ORDER BY p.last_name, p.first_name, p.middle_name""",
        class_id, today, today, *args, today, today,
    ).run()
    for row in rows:
        row["full_name"] = full_name(row)
    return rows


# --- search ----------------------------------------------------------------------------------

SEARCH_LIMIT = 50


def search_scope(viewer: Viewer, today: date) -> tuple[str, list]:
    """Whom a search may find: everyone for those who see every card; otherwise the pupils the
    viewer may see and those pupils' parents (the same people their class pages show)."""
    if viewer.can("people.view_all"):
        return "SELECT id FROM person", []
    scope, args = student_scope(viewer, today)
    return f"{scope} UNION SELECT parent FROM parent_link WHERE child IN ({scope})", [*args, *args]


async def search_people(viewer: Viewer, query: str, today: date) -> tuple[list[dict], bool]:
    """People whose name contains every word of ``query`` (case- and ё/е-insensitive), within
    the viewer's scope; at most SEARCH_LIMIT, and whether there were more. The names are
    folded in Python (rules.fold): neither engine folds Cyrillic the same way in SQL. 3 queries
    whatever the number of people found."""
    if not rules.fold(query):
        return [], False
    scope, args = search_scope(viewer, today)
    names = await Person.raw(
        f"""SELECT id, last_name, first_name, middle_name FROM person WHERE id IN ({scope})""",
        *args).run()
    found = sorted((n for n in names if rules.name_matches(query, full_name(n))),
                   key=lambda n: (rules.fold(full_name(n)), n["id"]))
    more = len(found) > SEARCH_LIMIT
    found = found[:SEARCH_LIMIT]
    if not found:
        return [], False
    ids = [n["id"] for n in found]
    marks = ", ".join("{}" for _ in ids)
    details = {r["id"]: r for r in await Person.raw(
        f"""SELECT p.id, p.birth_date, c.id AS class_id, c.name AS class_name, s.post,
                   s.ends_on AS staff_to,
                   CASE WHEN p.id IN ({scope}) AND EXISTS (SELECT 1 FROM enrolment x
                        WHERE x.student = p.id) THEN 1 ELSE 0 END AS is_student
            FROM person p
            LEFT JOIN enrolment e ON e.student = p.id AND {in_force("e")}
            LEFT JOIN school_class c ON c.id = e.school_class
            LEFT JOIN staff_member s ON s.person = p.id
            WHERE p.id IN ({marks})""",
        *args, today, today, *ids).run()}
    children: dict[int, list[dict]] = {i: [] for i in ids}
    for row in await Person.raw(
            f"""SELECT l.parent, l.kind, p.id, p.last_name, p.first_name, p.middle_name
                FROM parent_link l JOIN person p ON p.id = l.child
                WHERE l.parent IN ({marks}) AND l.child IN ({scope})
                ORDER BY p.last_name, p.first_name""", *ids, *args).run():
        row["full_name"] = full_name(row)
        children[row["parent"]].append(row)
    results = []
    for n in found:
        d = details.get(n["id"], {})
        results.append({**n, "full_name": full_name(n), "birth_date": d.get("birth_date"),
                        "class_id": d.get("class_id"), "class_name": d.get("class_name"),
                        "post": d.get("post") if d.get("staff_to") is None else None,
                        "is_student": bool(d.get("is_student")), "children": children[n["id"]]})
    return results, more


async def consent_person(consent_id: int) -> int | None:
    """Whose consent this is (the withdrawal form returns to that person's page)."""
    rows = await Person.raw("SELECT person FROM pd_consent WHERE id = {}", consent_id).run()
    return rows[0]["person"] if rows else None
