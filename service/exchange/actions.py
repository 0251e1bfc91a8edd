"""Imports: the only code here that writes. ``do_import`` reads the file's rows, checks every
line again inside the writing transaction (what passed the preview may have been added by
someone else since), and then writes all of it — or nothing: any bad line refuses the whole
file. One audit row per created record (a pupil with their enrolment, a parent with the
link to the child, a staff member with their post, a subject, a class, a line of load).

Rows are written in bulk (``db.bulk_insert``: COPY on PostgreSQL), and the audit rows with
them, chained in one go under the chain's lock: 10,000 pupils cost a few statements rather
than 30,000 round trips."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from service import db
from service.accounts.tables import Person
from service.audit.log import Actor, record_many
from service.errors import Refused
from service.exchange import queries
from service.exchange.mapping import KINDS
from service.exchange.preview import Preview, build_preview
from service.people.tables import ParentLink
from service.readers import NotReadable, Table, read_table
from service.school.tables import Enrolment, SchoolClass, StaffMember, Subject, TeachingLoad

IMPORT_LOCK_KEY = 0x657A68_0007  # the advisory lock that serialises imports

ACTIONS = {
    "students": "exchange.student_imported",
    "parents": "exchange.parent_imported",
    "staff": "exchange.staff_imported",
    "subjects": "exchange.subject_imported",
    "classes": "exchange.class_imported",
    "load": "exchange.load_imported",
}


class ImportRefused(Refused):
    """The file has problems; ``preview`` lists them line by line. Nothing was written."""

    def __init__(self, preview: Preview):
        errors = preview.errors or ["в файле нет строк для загрузки"]
        super().__init__(f"Файл не загружен: {errors[0]}" + (
            f" (и ещё ошибок: {len(errors) - 1})" if len(errors) > 1 else ""))
        self.preview = preview


def _acting(who: Any) -> Actor:
    """The actor of an import: the command line (``Actor.system``, trusted) or a signed-in
    viewer, who must hold exchange.import — checked by the route's guard and again here."""
    if isinstance(who, Actor):
        return who
    if not who.can("exchange.import"):
        raise Refused("Нет права загружать списки")
    return who.actor


def read(data: bytes) -> Table:
    try:
        return read_table(data)
    except NotReadable as exc:
        raise Refused(f"Файл не прочитан: {exc.message}", field="file") from None


async def preview_file(kind: str, data: bytes, today: date,
                       chosen: dict[int, str] | None = None) -> Preview:
    """The preview without writing (pages and ``ezh import`` without --apply)."""
    if kind not in KINDS:
        raise Refused("Неизвестный вид списка", field="kind")
    table = read(data)
    return build_preview(kind, table, await queries.lookups(kind, today), chosen)


async def do_import(who: Any, kind: str, data: bytes, today: date,
                    chosen: dict[int, str] | None = None, *, source: str = "") -> Preview:
    """Write the whole file or nothing. Raises ``ImportRefused`` (with the preview) when any
    line is wrong."""
    actor = _acting(who)
    if kind not in KINDS:
        raise Refused("Неизвестный вид списка", field="kind")
    table = read(data)
    try:
        return await _write(actor, kind, table, today, chosen, source)
    except Refused:
        raise
    except Exception as exc:
        # A subject or class added on another page between our check and our write (the
        # lock orders imports only): the database's unique index refuses, all is rolled back.
        if "unique" not in str(exc).lower():
            raise
        raise Refused("Файл не загружен: пока он проверялся, такие же записи добавили на "
                      "другой странице. Проверьте файл ещё раз.") from exc


async def _write(actor: Actor, kind: str, table: Table, today: date,
                 chosen: dict[int, str] | None, source: str) -> Preview:
    async with db.atomic():
        if db.is_postgres():
            # Imports queue behind each other: two uploads of one list at once would both
            # see the people missing and both write them (SQLite's write lock does the same).
            await Person.raw("SELECT pg_advisory_xact_lock({})", IMPORT_LOCK_KEY).run()
        preview = build_preview(kind, table, await queries.lookups(kind, today), chosen)
        if not preview.clean:
            raise ImportRefused(preview)
        audit = await WRITERS[kind](preview.items, today, source)
        await record_many(actor, ACTIONS[kind], [(t, i, None, new) for t, i, new in audit],
                          reason=source)
    return preview


# --- writers per kind ------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _person_rows(items: list[dict], ids: list[int]) -> list[tuple]:
    now = _now()
    return [(pid, i["last_name"], i["first_name"], i["middle_name"], i.get("sex", ""),
             i["birth_date"], now, i["snils"], i["phone"], i["email"])
            for pid, i in zip(ids, items, strict=True)]


PERSON_COLUMNS = (Person.id, Person.last_name, Person.first_name, Person.middle_name, Person.sex,
                  Person.birth_date, Person.created_at, Person.snils, Person.phone, Person.email)


def _person_new(i: dict) -> dict:
    return {k: i.get(k, "") for k in ("last_name", "first_name", "middle_name", "sex",
                                      "birth_date", "snils", "phone", "email")}


async def _insert_people(items: list[dict]) -> list[int]:
    ids = await db.reserve_ids(Person, len(items))
    await db.bulk_insert(Person, PERSON_COLUMNS, _person_rows(items, ids))
    return ids


async def _students(items: list[dict], today: date, source: str) -> list[tuple]:
    year = await queries.current_year()
    starts = max(today, year["starts_on"])
    people = await _insert_people(items)
    enrolments = await db.reserve_ids(Enrolment, len(items))
    order_ref = f"импорт {today:%d.%m.%Y}"
    await db.bulk_insert(
        Enrolment, (Enrolment.id, Enrolment.student, Enrolment.school_class, Enrolment.starts_on,
                    Enrolment.ends_on, Enrolment.order_ref, Enrolment.school_order),
        [(e, p, i["class_id"], starts, None, order_ref, None)
         for e, p, i in zip(enrolments, people, items, strict=True)])
    return [("person", p, {**_person_new(i), "class": i["class_name"], "enrolment": e,
                           "starts_on": starts, "line": i["line"]})
            for p, e, i in zip(people, enrolments, items, strict=True)]


async def _staff(items: list[dict], today: date, source: str) -> list[tuple]:
    people = await _insert_people(items)
    await db.bulk_insert(
        StaffMember, (StaffMember.person, StaffMember.post, StaffMember.starts_on,
                      StaffMember.ends_on),
        [(p, i["post"], i["starts_on"], None) for p, i in zip(people, items, strict=True)])
    return [("person", p, {**_person_new(i), "post": i["post"], "starts_on": i["starts_on"],
                           "line": i["line"]}) for p, i in zip(people, items, strict=True)]


async def _parents(items: list[dict], today: date, source: str) -> list[tuple]:
    new = [i for i in items if "same_as" not in i]
    ids = await _insert_people(new)
    by_line = {i["line"]: pid for pid, i in zip(ids, new, strict=True)}
    now = _now()
    links = await db.reserve_ids(ParentLink, len(items))
    parent_of = [by_line[i.get("same_as", i["line"])] for i in items]
    await db.bulk_insert(
        ParentLink, (ParentLink.id, ParentLink.parent, ParentLink.child, ParentLink.kind,
                     ParentLink.is_legal_representative, ParentLink.created_at),
        [(link, parent, i["child_id"], i["kind"], True, now)
         for link, parent, i in zip(links, parent_of, items, strict=True)])
    audit = []
    for link, parent, i in zip(links, parent_of, items, strict=True):
        entry = {"child": i["child_id"], "child_name": i["child_name"], "kind": i["kind"],
                 "link": link, "line": i["line"]}
        if "same_as" not in i:
            entry.update(_person_new(i))
        audit.append(("person", parent, entry))
    return audit


async def _subjects(items: list[dict], today: date, source: str) -> list[tuple]:
    ids = await db.reserve_ids(Subject, len(items))
    await db.bulk_insert(Subject, (Subject.id, Subject.name, Subject.short_name),
                         [(s, i["name"], i["short_name"]) for s, i in zip(ids, items, strict=True)])
    return [("subject", s, {"name": i["name"], "short_name": i["short_name"], "line": i["line"]})
            for s, i in zip(ids, items, strict=True)]


async def _classes(items: list[dict], today: date, source: str) -> list[tuple]:
    year = await queries.current_year()
    ids = await db.reserve_ids(SchoolClass, len(items))
    now = _now()
    await db.bulk_insert(
        SchoolClass, (SchoolClass.id, SchoolClass.year, SchoolClass.grade, SchoolClass.letter,
                      SchoolClass.name, SchoolClass.class_teacher, SchoolClass.created_at,
                      SchoolClass.week_days),
        [(c, year["id"], i["grade"], i["letter"], i["name"], i["class_teacher"], now,
          i["week_days"]) for c, i in zip(ids, items, strict=True)])
    return [("school_class", c, {"name": i["name"], "year": year["name"],
                                 "class_teacher": i["class_teacher"], "week_days": i["week_days"],
                                 "line": i["line"]}) for c, i in zip(ids, items, strict=True)]


async def _load(items: list[dict], today: date, source: str) -> list[tuple]:
    ids = await db.reserve_ids(TeachingLoad, len(items))
    await db.bulk_insert(
        TeachingLoad, (TeachingLoad.id, TeachingLoad.teacher, TeachingLoad.subject,
                       TeachingLoad.school_class, TeachingLoad.study_group,
                       TeachingLoad.hours_per_week, TeachingLoad.starts_on, TeachingLoad.ends_on),
        [(t, i["teacher"], i["subject"], i["class_id"], None, i["hours"], i["starts_on"], None)
         for t, i in zip(ids, items, strict=True)])
    return [("teaching_load", t, {"teacher": i["teacher"], "teacher_name": i["teacher_name"],
                                  "subject": i["subject_name"], "class": i["class_name"],
                                  "hours_per_week": i["hours"], "starts_on": i["starts_on"],
                                  "line": i["line"]}) for t, i in zip(ids, items, strict=True)]


WRITERS = {"students": _students, "parents": _parents, "staff": _staff, "subjects": _subjects,
           "classes": _classes, "load": _load}


# --- the audit rows ----------------------------------------------------------------------------


