"""Actions on people's records, on both engines: who may change what (R-ORG-4, R-ROLE-3), the
consent rules (R-SEC-2), the health sheet's dated lines (R-SEC-2), staff posts (R-ORG-1).
Every refusal changes nothing: the rows and the audit log are counted before and after."""

from __future__ import annotations

import json
from datetime import date

import pytest

from service.accounts.tables import Person
from service.audit.tables import AuditEvent
from service.errors import NotFound, Refused
from service.people import actions
from service.people.tables import Consent, HealthRecord, ParentLink
from service.school.tables import StaffMember
from tests.people.helpers import TODAY, people_school, viewer

pytestmark = pytest.mark.anyio

NEW_PARENT = {"last_name": "Морозов", "first_name": "Дмитрий", "middle_name": "Олегович",
              "sex": "м", "phone": "+7 (900) 123-45-67", "email": "papa@example.ru"}


async def _counts() -> tuple[int, ...]:
    return (await Person.count().run(), await ParentLink.count().run(), await Consent.count().run(),
            await HealthRecord.count().run(), await StaffMember.count().run(),
            await AuditEvent.count().run())


async def _refused(call, match: str | None = None, exc=Refused):
    """The call is refused and nothing changed; returns the refusal."""
    before = await _counts()
    with pytest.raises(exc, match=match) as info:
        await call
    assert await _counts() == before
    return info.value


async def test_class_teacher_corrects_her_pupils_and_their_parents_only(db):
    """R-ORG-4: the class teacher keeps her class's records; another class is not hers (404)."""
    s = await people_school()
    klruk = await viewer(s, "klruk")
    changed = await actions.do_update_person(klruk, s.people["pupil1"], {
        "last_name": "Морозов", "first_name": "Артём", "middle_name": "Дмитриевич", "sex": "м",
        "birth_date": date(2015, 3, 14), "snils": "11223344595", "phone": "", "email": ""}, TODAY)
    assert changed
    row = await Person.select().where(Person.id == s.people["pupil1"]).first().run()
    assert row["snils"] == "112-233-445 95" and row["birth_date"] == date(2015, 3, 14)
    audit = await AuditEvent.select().order_by(AuditEvent.seq, ascending=False).first().run()
    assert audit["action"] == "people.person_changed"
    assert json.loads(audit["old"]) == {"sex": "", "birth_date": None, "snils": ""}
    assert json.loads(audit["new"])["snils"] == "112-233-445 95"
    # her pupil's parent too
    assert await actions.do_update_person(klruk, s.people["roditel"], {
        "last_name": "Морозова", "first_name": "Елена", "middle_name": "Викторовна",
        "phone": "8 900 000 00 00"}, TODAY)
    # saving the same again writes nothing
    before = await _counts()
    assert not await actions.do_update_person(klruk, s.people["roditel"], {
        "last_name": "Морозова", "first_name": "Елена", "middle_name": "Викторовна",
        "phone": "8 900 000 00 00"}, TODAY)
    assert await _counts() == before
    # 6Б's pupil and parent, a colleague: as if they did not exist
    for key in ("pupil3", "parent3", "uchitel"):
        await _refused(actions.do_update_person(klruk, s.people[key], {
            "last_name": "Иванов", "first_name": "Иван"}, TODAY), exc=NotFound)
    # a subject teacher sees 5А but keeps no records
    await _refused(actions.do_update_person(await viewer(s, "uchitel"), s.people["pupil1"], {
        "last_name": "Иванов", "first_name": "Иван"}, TODAY), exc=NotFound)


async def test_bad_details_are_refused_field_by_field(db):
    s = await people_school()
    secretary = await viewer(s, "sekretar")
    refusal = await _refused(actions.do_update_person(secretary, s.people["pupil3"], {
        "last_name": "", "first_name": "Максим", "snils": "112-233-445 96",
        "phone": "звоните", "email": "нет", "birth_date": date(2031, 1, 1)}, TODAY))
    assert set(refusal.errors) == {"last_name", "snils", "phone", "email", "birth_date"}
    assert "контрольное число" in refusal.errors["snils"]
    await _refused(actions.do_update_person(secretary, s.people["pupil3"], {
        "last_name": "Соколов\x00", "first_name": "Максим"}, TODAY), "недопустимый символ")
    await _refused(actions.do_update_person(secretary, s.people["pupil3"], {
        "last_name": "С" * 101, "first_name": "Максим"}, TODAY), "не длиннее")


async def test_one_snils_belongs_to_one_person(db):
    s = await people_school()
    secretary = await viewer(s, "sekretar")
    await actions.do_update_person(secretary, s.people["pupil1"], {
        "last_name": "Морозов", "first_name": "Артём", "snils": "112-233-445 95"}, TODAY)
    await _refused(actions.do_update_person(secretary, s.people["pupil2"], {
        "last_name": "Павлова", "first_name": "Софья", "snils": "112 233 445 95"}, TODAY),
        "уже записан у человека: Морозов Артём")


async def test_parents_are_added_to_pupils_by_their_class_teacher(db):
    s = await people_school()
    klruk = await viewer(s, "klruk")
    parent = await actions.do_add_parent(klruk, s.people["pupil1"], "отец", True, TODAY,
                                         data=NEW_PARENT)
    link = await ParentLink.select().where(ParentLink.parent == parent).first().run()
    assert link["child"] == s.people["pupil1"] and link["kind"] == "отец"
    assert link["is_legal_representative"]
    actions_written = [r["action"] for r in await AuditEvent.select(AuditEvent.action)
                       .order_by(AuditEvent.seq, ascending=False).limit(2).run()]
    assert actions_written == ["people.parent_linked", "people.person_created"]
    # the same parent again, a kind not on the list, another class's pupil
    await _refused(actions.do_add_parent(klruk, s.people["pupil1"], "отец", True, TODAY,
                                         parent_id=parent), "уже записан")
    await _refused(actions.do_add_parent(klruk, s.people["pupil1"], "сосед", True, TODAY,
                                         data=NEW_PARENT), "Кем приходится")
    await _refused(actions.do_add_parent(klruk, s.people["pupil3"], "мать", True, TODAY,
                                         data=NEW_PARENT), exc=NotFound)
    # a parent of another class is not hers to link
    await _refused(actions.do_add_parent(klruk, s.people["pupil2"], "мать", True, TODAY,
                                         parent_id=s.people["parent3"]), exc=NotFound)
    # a parent is not a pupil: no parents of parents
    await _refused(actions.do_add_parent(klruk, s.people["roditel"], "мать", True, TODAY,
                                         data=NEW_PARENT), "не зачислен")


async def test_office_adds_students_and_staff_teachers_do_not(db):
    s = await people_school()
    secretary = await viewer(s, "sekretar")
    pupil = await actions.do_create_person(secretary, {"last_name": "Новикова", "first_name": "Ева",
                                                       "birth_date": date(2019, 5, 2)}, TODAY)
    assert (await Person.select(Person.first_name).where(Person.id == pupil).first().run())["first_name"] == "Ева"
    member = await actions.do_add_staff(secretary, {"last_name": "Егорова", "first_name": "Вера"},
                                        "учитель музыки", date(2026, 9, 1), TODAY)
    staff = await StaffMember.select().where(StaffMember.person == member).first().run()
    assert staff["post"] == "учитель музыки" and staff["ends_on"] is None
    klruk = await viewer(s, "klruk")
    await _refused(actions.do_create_person(klruk, {"last_name": "Новиков", "first_name": "Лев"}, TODAY),
                   "секретарь и администрация")
    await _refused(actions.do_add_staff(klruk, {"last_name": "Новиков", "first_name": "Лев"},
                                        "учитель", date(2026, 9, 1), TODAY), "секретарь")
    await _refused(actions.do_add_staff(secretary, {"last_name": "Новиков", "first_name": "Лев"},
                                        "", date(2026, 9, 1), TODAY), "Должность")
    # leaving: not before the start, once only
    await _refused(actions.do_end_staff(secretary, member, date(2026, 8, 31)), "раньше даты приёма")
    await actions.do_end_staff(secretary, member, date(2026, 12, 31))
    staff = await StaffMember.select().where(StaffMember.person == member).first().run()
    assert staff["ends_on"] == date(2026, 12, 31)
    await _refused(actions.do_end_staff(secretary, member, date(2027, 1, 31)), "уже записана")
    await _refused(actions.do_end_staff(secretary, s.people["pupil1"], date(2027, 1, 31)), exc=NotFound)


async def test_a_minor_s_consent_is_signed_by_a_linked_representative(db):
    """R-SEC-2: consent recorded per person; for a child, signed by a parent linked to them."""
    s = await people_school()
    klruk = await viewer(s, "klruk")
    pupil = s.people["pupil1"]
    await _refused(actions.do_record_consent(klruk, pupil, "ведение журнала", date(2026, 9, 1),
                                             "папка 5А", TODAY), "родитель или законный представитель")
    await _refused(actions.do_record_consent(klruk, pupil, "ведение журнала", date(2026, 9, 1),
                                             "папка 5А", TODAY, signed_by=s.people["parent2"]),
                   "законный представитель")
    await _refused(actions.do_record_consent(klruk, pupil, "ведение журнала", date(2026, 12, 1),
                                             "", TODAY, signed_by=s.people["roditel"]),
                   "не позже сегодняшнего")
    await _refused(actions.do_record_consent(klruk, pupil, "", date(2026, 9, 1), "", TODAY,
                                             signed_by=s.people["roditel"]), "заполните")
    consent = await actions.do_record_consent(klruk, pupil, "ведение журнала", date(2026, 9, 1),
                                              "папка 5А, № 3", TODAY, signed_by=s.people["roditel"])
    row = await Consent.select().where(Consent.id == consent).first().run()
    assert row["signed_by"] == s.people["roditel"] and row["withdrawn_on"] is None
    # the parent signs her own consent herself
    await actions.do_record_consent(klruk, s.people["roditel"], "ведение журнала", date(2026, 9, 1),
                                    "", TODAY)
    # another class's pupil: not found
    await _refused(actions.do_record_consent(klruk, s.people["pupil3"], "журнал", date(2026, 9, 1),
                                             "", TODAY, signed_by=s.people["parent3"]), exc=NotFound)
    # withdrawal: by a date, never deleted, once
    await _refused(actions.do_withdraw_consent(klruk, consent, date(2026, 8, 1), TODAY), "раньше даты подписания")
    await actions.do_withdraw_consent(klruk, consent, date(2026, 11, 1), TODAY)
    row = await Consent.select().where(Consent.id == consent).first().run()
    assert row["withdrawn_on"] == date(2026, 11, 1)
    await _refused(actions.do_withdraw_consent(klruk, consent, date(2026, 11, 2), TODAY), "уже отозвано")
    other = await viewer(s, "other")
    await _refused(actions.do_withdraw_consent(other, consent, date(2026, 11, 2), TODAY), exc=NotFound)


async def test_a_new_health_line_closes_the_previous_one(db):
    s = await people_school()
    nurse = await viewer(s, "medsestra")
    pupil = s.people["pupil1"]
    first = await actions.do_add_health_record(nurse, pupil, "II", "подготовительная",
                                               "без бега на длинные дистанции", date(2026, 9, 1), TODAY)
    second = await actions.do_add_health_record(nurse, pupil, "I", "основная", "", date(2026, 11, 1), TODAY)
    rows = {r["id"]: r for r in await HealthRecord.select().where(HealthRecord.student == pupil).run()}
    assert rows[first]["valid_to"] == date(2026, 10, 31)
    assert rows[second]["valid_to"] is None
    audit = await AuditEvent.select().order_by(AuditEvent.seq, ascending=False).first().run()
    assert audit["action"] == "people.health_recorded"
    assert json.loads(audit["old"])["valid_to"] == "2026-10-31"
    # history is added to, never rewritten; absurd values; only the nurse writes
    await _refused(actions.do_add_health_record(nurse, pupil, "I", "основная", "", date(2026, 11, 1), TODAY),
                   "уже есть запись")
    await _refused(actions.do_add_health_record(nurse, pupil, "VI", "основная", "", date(2026, 12, 1), TODAY),
                   "Группа здоровья")
    await _refused(actions.do_add_health_record(nurse, pupil, "I", "лёгкая", "", date(2026, 12, 1), TODAY),
                   "Физкультурная группа")
    await _refused(actions.do_add_health_record(nurse, s.people["roditel"], "I", "основная", "",
                                                date(2026, 12, 1), TODAY), exc=NotFound)
    await _refused(actions.do_add_health_record(await viewer(s, "klruk"), pupil, "I", "основная", "",
                                                date(2026, 12, 1), TODAY), "медицинский работник")
