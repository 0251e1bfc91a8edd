"""Everything that writes people's records: details of students, parents and staff, family
links, consents to the processing of personal data, the health sheet. Each ``do_*`` checks
who may do it (the same scope SQL the pages use), writes its change and its audit row in one
transaction; a refusal raises ``Refused`` (or ``NotFound`` for what the actor may not see) and
writes nothing."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from service import forms
from service.accounts.tables import Person
from service.accounts.viewer import Viewer
from service.audit.log import record
from service.db import atomic, xact_lock
from service.errors import NotFound, Refused
from service.people import rules
from service.people.queries import edit_scope, health_scope
from service.people.tables import Consent, HealthRecord, ParentLink
from service.school.tables import StaffMember

# The fields of a person's record as forms send them (routes parse with these; the actions
# check the same limits again, so the command line and imports cannot pass them either).
PERSON_FIELDS = {
    "last_name": forms.Text("Фамилия", forms.NAME_MAX, required=True),
    "first_name": forms.Text("Имя", forms.NAME_MAX, required=True),
    "middle_name": forms.Text("Отчество", forms.NAME_MAX),
    "sex": forms.Choice("Пол", rules.SEXES, default=""),
    "birth_date": forms.Day("Дата рождения"),
    "snils": forms.Text("СНИЛС", 20),
    "phone": forms.Text("Телефон", 40),
    "email": forms.Text("Электронная почта", 200),
}
_PHONE = re.compile(r"^\+?[0-9()\- ]{5,30}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SCOPE_MAX = 300
DOCUMENT_MAX = 100
POST_MAX = 150


def now() -> datetime:
    return datetime.now(UTC)


def clean_person(data: dict[str, Any], today: date) -> dict[str, Any]:
    """A person's details checked field by field: the form's limits, the SNILS checksum, a
    phone made of digits, an e-mail with an @, a birth date in the past. Raises FormErrors
    naming every bad field."""
    raw = {k: v for k, v in data.items() if k != "birth_date"}
    birth = data.get("birth_date")
    # every field is checked, so that the form names all its mistakes at once
    values, errors = forms.parse_filters({k: f for k, f in PERSON_FIELDS.items() if k != "birth_date"}, raw)
    if isinstance(birth, str):
        try:
            birth = forms.value(PERSON_FIELDS["birth_date"], birth, "birth_date")
        except forms.FormErrors as exc:
            errors.update({"birth_date": exc.message})
            birth = None
    if birth is not None and not (date(1900, 1, 1) <= birth <= today):
        errors["birth_date"] = "Дата рождения: не позже сегодняшнего дня"
    if values["snils"] and (problem := rules.snils_problem(values["snils"])):
        errors["snils"] = problem
    if values["phone"] and not _PHONE.match(values["phone"]):
        errors["phone"] = "Телефон: цифры, пробелы, скобки, дефисы и «+» в начале"
    if values["email"] and not _EMAIL.match(values["email"]):
        errors["email"] = "Электронная почта: адрес вида name@example.ru"
    if errors:
        raise forms.FormErrors(errors)
    values["birth_date"] = birth
    values["snils"] = rules.format_snils(values["snils"])
    return values


async def _in_scope(sql: str, args: list, person_id: int) -> bool:
    rows = await Person.raw(f"SELECT 1 AS x FROM person WHERE id = {{}} AND id IN ({sql})",
                            person_id, *args).run()
    return bool(rows)


async def _check_may_edit(viewer: Viewer, person_id: int, today: date) -> None:
    """NotFound unless the person exists and is within the viewer's editing scope: a record
    the viewer may not change answers exactly like one that does not exist."""
    sql, args = edit_scope(viewer, today)
    if not await _in_scope(sql, args, person_id):
        raise NotFound()


def _check_edit_all(viewer: Viewer) -> None:
    if not viewer.can("people.edit_all"):
        raise Refused("Вносить новых людей и сотрудников могут секретарь и администрация школы")


async def _check_snils_unique(snils: str, person_id: int | None) -> None:
    if not snils:
        return
    await xact_lock(f"snils:{snils}")
    query = Person.select(Person.id, Person.last_name, Person.first_name).where(Person.snils == snils)
    if person_id is not None:
        query = query.where(Person.id != person_id)
    if other := await query.first().run():
        raise Refused(f"СНИЛС {snils} уже записан у человека: {other['last_name']} {other['first_name']}",
                      field="snils")


async def _insert_person(details: dict[str, Any]) -> int:
    rows = await Person.insert(Person(**details, created_at=now())).returning(Person.id).run()
    return rows[0]["id"]


def _audit_value(details: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in details.items()}


# --- people ----------------------------------------------------------------------------------


async def do_create_person(viewer: Viewer, data: dict[str, Any], today: date) -> int:
    """A new student (or any person the office keeps) — enrolment is the order book's."""
    _check_edit_all(viewer)
    details = clean_person(data, today)
    async with atomic():
        await _check_snils_unique(details["snils"], None)
        person_id = await _insert_person(details)
        await record(viewer.actor, "people.person_created", "person", person_id,
                     new=_audit_value(details))
    return person_id


async def do_update_person(viewer: Viewer, person_id: int, data: dict[str, Any], today: date) -> bool:
    """Correct a person's details. Returns False when nothing changed (nothing is written);
    the audit row keeps the old and new values of the changed fields only."""
    details = clean_person(data, today)
    async with atomic():
        await _check_may_edit(viewer, person_id, today)
        current = await Person.select(*[getattr(Person, k) for k in details]).where(
            Person.id == person_id).first().run()
        changed = {k: v for k, v in details.items() if current[k] != v}
        if not changed:
            return False
        if "snils" in changed:
            await _check_snils_unique(changed["snils"], person_id)
        await Person.update({getattr(Person, k): v for k, v in changed.items()}).where(
            Person.id == person_id).run()
        await record(viewer.actor, "people.person_changed", "person", person_id,
                     old=_audit_value({k: current[k] for k in changed}), new=_audit_value(changed))
    return True


async def do_add_parent(viewer: Viewer, child_id: int, kind: str, is_legal_representative: bool,
                        today: date, data: dict[str, Any] | None = None,
                        parent_id: int | None = None) -> int:
    """Link a parent or legal representative to a pupil: a new person (``data``) or one already
    on file (``parent_id``: the office; a class teacher only a parent of her own pupils, e.g.
    a brother's). Returns the parent's id."""
    if kind not in rules.PARENT_KINDS:
        raise Refused("Кем приходится: выберите значение из списка", field="kind")
    if (data is None) == (parent_id is None):
        raise Refused("Укажите нового родителя или выберите уже записанного", field="parent")
    details = clean_person(data, today) if data is not None else None
    async with atomic():
        await _check_may_edit(viewer, child_id, today)
        if not await Person.raw("SELECT 1 AS x FROM enrolment WHERE student = {}", child_id).run():
            raise Refused("Родителей записывают ученику: этот человек не зачислен ни в один класс",
                          field="parent")
        if parent_id is not None:
            await _check_may_edit(viewer, parent_id, today)
            if parent_id == child_id:
                raise Refused("Человек не может быть родителем самому себе", field="parent")
            if await ParentLink.exists().where((ParentLink.parent == parent_id)
                                               & (ParentLink.child == child_id)).run():
                raise Refused("Этот родитель уже записан у ученика", field="parent")
        else:
            assert details is not None
            await _check_snils_unique(details["snils"], None)
            parent_id = await _insert_person(details)
            await record(viewer.actor, "people.person_created", "person", parent_id,
                         new=_audit_value(details))
        await ParentLink.insert(ParentLink(parent=parent_id, child=child_id, kind=kind,
                                           is_legal_representative=is_legal_representative,
                                           created_at=now())).run()
        await record(viewer.actor, "people.parent_linked", "person", child_id,
                     new={"parent": parent_id, "kind": kind,
                          "is_legal_representative": is_legal_representative})
    return parent_id


# --- staff -----------------------------------------------------------------------------------


async def do_add_staff(viewer: Viewer, data: dict[str, Any], post: str, starts_on: date | None,
                       today: date) -> int:
    """A new staff member: the person, the post as written in the staff list, the start date."""
    _check_edit_all(viewer)
    details = clean_person(data, today)
    post = forms.value(forms.Text("Должность", POST_MAX, required=True), post, "post")
    if starts_on is None:
        raise Refused("Дата приёма: укажите дату", field="starts_on")
    async with atomic():
        await _check_snils_unique(details["snils"], None)
        person_id = await _insert_person(details)
        await StaffMember.insert(StaffMember(person=person_id, post=post, starts_on=starts_on)).run()
        await record(viewer.actor, "people.staff_added", "person", person_id,
                     new={**_audit_value(details), "post": post, "starts_on": starts_on.isoformat()})
    return person_id


async def do_end_staff(viewer: Viewer, person_id: int, ends_on: date | None) -> None:
    """A staff member leaves: the last working day closes their post (never deleted)."""
    _check_edit_all(viewer)
    if ends_on is None:
        raise Refused("Дата увольнения: укажите дату", field="ends_on")
    async with atomic():
        await xact_lock(f"staff:{person_id}")  # two at once: the second finds the date written
        staff = await StaffMember.select().where(StaffMember.person == person_id).first().run()
        if staff is None:
            raise NotFound()
        if staff["ends_on"] is not None:
            raise Refused(f"Дата увольнения уже записана: {staff['ends_on']:%d.%m.%Y}", field="ends_on")
        if ends_on < staff["starts_on"]:
            raise Refused(f"Дата увольнения раньше даты приёма ({staff['starts_on']:%d.%m.%Y})",
                          field="ends_on")
        await StaffMember.update({StaffMember.ends_on: ends_on}).where(StaffMember.id == staff["id"]).run()
        await record(viewer.actor, "people.staff_left", "person", person_id,
                     old={"ends_on": None}, new={"ends_on": ends_on.isoformat(), "post": staff["post"]})


# --- consent to the processing of personal data (152-ФЗ) -------------------------------------


async def do_record_consent(viewer: Viewer, person_id: int, scope: str, given_on: date | None,
                            document_ref: str, today: date, signed_by: int | None = None) -> int:
    """Record a signed consent. A minor's consent is signed by a parent or legal representative
    linked to them; an adult signs their own (``signed_by`` None means the person themself)."""
    scope = forms.value(forms.Text("Цели и объём согласия", SCOPE_MAX, required=True), scope, "scope")
    document_ref = forms.value(forms.Text("Документ", DOCUMENT_MAX), document_ref, "document_ref")
    if given_on is None:
        raise Refused("Дата подписания: укажите дату", field="given_on")
    if given_on > today:
        raise Refused("Дата подписания: не позже сегодняшнего дня", field="given_on")
    async with atomic():
        await _check_may_edit(viewer, person_id, today)
        person = await Person.select(Person.birth_date).where(Person.id == person_id).first().run()
        links = {r["parent"]: r["is_legal_representative"] for r in await ParentLink.select(
            ParentLink.parent, ParentLink.is_legal_representative).where(ParentLink.child == person_id).run()}
        signer = signed_by if signed_by is not None else person_id
        minor = rules.is_minor(person["birth_date"], bool(links), given_on)
        if problem := rules.consent_signer_problem(minor, signer == person_id, bool(links.get(signer))):
            raise Refused(problem, field="signed_by")
        rows = await Consent.insert(Consent(person=person_id, signed_by=signer, scope=scope,
                                            given_on=given_on, document_ref=document_ref,
                                            created_at=now())).returning(Consent.id).run()
        await record(viewer.actor, "people.consent_recorded", "person", person_id,
                     new={"consent": rows[0]["id"], "signed_by": signer, "scope": scope,
                          "given_on": given_on.isoformat(), "document_ref": document_ref})
    return rows[0]["id"]


async def do_withdraw_consent(viewer: Viewer, consent_id: int, withdrawn_on: date | None,
                              today: date) -> None:
    """A consent is withdrawn from a date (the written withdrawal); the record stays."""
    if withdrawn_on is None:
        raise Refused("Дата отзыва: укажите дату", field="withdrawn_on")
    if withdrawn_on > today:
        raise Refused("Дата отзыва: не позже сегодняшнего дня", field="withdrawn_on")
    async with atomic():
        await xact_lock(f"consent:{consent_id}")  # two at once: the second finds it withdrawn
        consent = await Consent.select().where(Consent.id == consent_id).first().run()
        if consent is None:
            raise NotFound()
        await _check_may_edit(viewer, consent["person"], today)
        if consent["withdrawn_on"] is not None:
            raise Refused(f"Согласие уже отозвано {consent['withdrawn_on']:%d.%m.%Y}", field="withdrawn_on")
        if withdrawn_on < consent["given_on"]:
            raise Refused(f"Дата отзыва раньше даты подписания ({consent['given_on']:%d.%m.%Y})",
                          field="withdrawn_on")
        await Consent.update({Consent.withdrawn_on: withdrawn_on}).where(Consent.id == consent_id).run()
        await record(viewer.actor, "people.consent_withdrawn", "person", consent["person"],
                     old={"consent": consent_id, "withdrawn_on": None},
                     new={"consent": consent_id, "withdrawn_on": withdrawn_on.isoformat()})


# --- the health sheet («листок здоровья») ----------------------------------------------------


async def do_add_health_record(viewer: Viewer, student_id: int, health_group: str, pe_group: str,
                               recommendations: str, valid_from: date | None, today: date) -> int:
    """A new line of a pupil's health sheet from a date; it closes the line in force before
    it (the day before). A line from a date on or before the newest one is refused: history is
    added to, never rewritten. Two nurses saving at once: the second sees the first's line."""
    if not viewer.can("health.edit"):
        raise Refused("Листок здоровья ведёт медицинский работник школы")
    if health_group not in rules.HEALTH_GROUPS:
        raise Refused("Группа здоровья: выберите значение из списка", field="health_group")
    if pe_group not in rules.PE_GROUPS:
        raise Refused("Физкультурная группа: выберите значение из списка", field="pe_group")
    recommendations = forms.value(forms.Text("Рекомендации", forms.TEXT_MAX, multiline=True),
                                  recommendations, "recommendations")
    if valid_from is None:
        raise Refused("Действует с: укажите дату", field="valid_from")
    if valid_from > today + timedelta(days=366):
        raise Refused("Действует с: не дальше чем через год", field="valid_from")
    async with atomic():
        _, _, any_sql, any_args = health_scope(viewer, today)
        if not await _in_scope(any_sql, any_args, student_id) or not await Person.raw(
                "SELECT 1 AS x FROM enrolment WHERE student = {}", student_id).run():
            raise NotFound()
        await xact_lock(f"health:{student_id}")  # one pupil's health sheet, one writer at a time
        latest = await HealthRecord.select().where(HealthRecord.student == student_id).order_by(
            HealthRecord.valid_from, ascending=False).first().run()
        if latest is not None and latest["valid_from"] >= valid_from:
            raise Refused(f"В листке уже есть запись с {latest['valid_from']:%d.%m.%Y}: новая запись "
                          "должна начинаться позже", field="valid_from")
        old = None
        if latest is not None and (latest["valid_to"] is None or latest["valid_to"] >= valid_from):
            closed_on = valid_from - timedelta(days=1)
            await HealthRecord.update({HealthRecord.valid_to: closed_on}).where(
                HealthRecord.id == latest["id"]).run()
            old = {"record": latest["id"], "health_group": latest["health_group"],
                   "pe_group": latest["pe_group"], "valid_to": closed_on.isoformat()}
        rows = await HealthRecord.insert(HealthRecord(
            student=student_id, health_group=health_group, pe_group=pe_group,
            recommendations=recommendations, valid_from=valid_from, created_at=now(),
        )).returning(HealthRecord.id).run()
        await record(viewer.actor, "people.health_recorded", "person", student_id, old=old,
                     new={"record": rows[0]["id"], "health_group": health_group, "pe_group": pe_group,
                          "recommendations": recommendations, "valid_from": valid_from.isoformat()})
    return rows[0]["id"]
