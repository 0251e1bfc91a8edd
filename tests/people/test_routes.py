"""Pages of people's records with rights and scope (R-ROLE-3, R-SEC-2, R-ORG-1, R-ORG-4): the
health sheet only for the class teacher, PE teachers, the nurse and the administration, each
read in the access log; search scoped by the viewer; printable class lists; forms that refuse
with a Russian message and change nothing."""

from __future__ import annotations

import re
from datetime import date

import pytest

from service.audit.tables import AccessLog, AuditEvent
from service.people import actions
from service.people.tables import Consent, HealthRecord
from tests.factories import PASSWORD
from tests.people.helpers import TODAY, people_school, viewer
from tests.routes import client, post_form, sign_in

pytestmark = pytest.mark.anyio


async def _health_lines(s) -> None:
    nurse = await viewer(s, "medsestra")
    for key, group, pe, advice in [("pupil1", "II", "подготовительная", "без бега на длинные дистанции"),
                                   ("pupil2", "I", "основная", ""),
                                   ("pupil3", "III", "специальная А", "без прыжков")]:
        await actions.do_add_health_record(nurse, s.people[key], group, pe, advice, date(2026, 9, 1), TODAY)


async def _reads(what: str) -> list[int]:
    return sorted(r["person_id"] for r in await AccessLog.select(AccessLog.person_id)
                  .where(AccessLog.what == what).run())


async def test_health_sheet_is_seen_only_by_those_who_need_it(db):
    s = await people_school()
    await _health_lines(s)
    pupil1, pupil3 = s.people["pupil1"], s.people["pupil3"]
    # the nurse: everyone, the whole line, and each read logged
    async with client() as c:
        await sign_in(c, "medsestra", PASSWORD)
        home = (await c.get("/home")).text
        assert "Медицинский работник" in home and f"/classes/{s.classes['5А']}/health" in home
        page = await c.get(f"/students/{pupil3}/health")
        assert page.status_code == 200 and "III" in page.text and "без прыжков" in page.text
    assert await _reads("листок здоровья") == [pupil3]
    # the class teacher of 5А: her pupils in full, 6Б is not hers
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        sheet = await c.get(f"/classes/{s.classes['5А']}/health")
        assert sheet.status_code == 200
        assert "Группа здоровья" in sheet.text and "без бега на длинные дистанции" in sheet.text
        assert (await c.get(f"/classes/{s.classes['6Б']}/health")).status_code == 404
        assert (await c.get(f"/students/{pupil3}/health")).status_code == 404
        card = (await c.get(f"/students/{pupil1}")).text
        assert f"/students/{pupil1}/health" in card
    assert await _reads("листок здоровья, 5А класс") == sorted([pupil1, s.people["pupil2"]])
    # the PE teacher of 5А: the PE group and the advice, not the health group
    async with client() as c:
        await sign_in(c, "fizruk", PASSWORD)
        sheet = await c.get(f"/classes/{s.classes['5А']}/health")
        assert sheet.status_code == 200 and "подготовительная" in sheet.text
        assert "Группа здоровья" not in sheet.text
        line = await c.get(f"/students/{pupil1}/health")
        assert "подготовительная" in line.text and ">II<" not in line.text
        assert (await c.get(f"/students/{pupil3}/health")).status_code == 404
    # the coach of a cross-class group sees its member from 6Б, nobody else
    async with client() as c:
        await sign_in(c, "trener", PASSWORD)
        assert (await c.get(f"/students/{pupil3}/health")).status_code == 200
        assert (await c.get(f"/students/{pupil1}/health")).status_code == 404
    # a teacher without a PE load, a parent, a pupil: nothing, the same 404 as a missing page
    before = await AccessLog.count().run()
    for login in ("uchitel", "roditel", "pupil1"):
        async with client() as c:
            await sign_in(c, login, PASSWORD)
            missing = await c.get("/students/999999/health")
            assert missing.status_code == 404
            for path in (f"/students/{pupil1}/health", f"/students/{pupil3}/health",
                         f"/classes/{s.classes['5А']}/health"):
                response = await c.get(path)
                assert response.status_code == 404, (login, path)
                assert "III" not in response.text and "подготовительная" not in response.text
    assert await AccessLog.count().run() == before  # nothing was shown, nothing logged


async def test_parent_cannot_open_another_child_s_health_sheet(db):
    s = await people_school()
    await _health_lines(s)
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        other = await c.get(f"/students/{s.people['pupil2']}/health")
        own = await c.get(f"/students/{s.people['pupil1']}/health")  # special-category: not even her own
        missing = await c.get("/students/999999/health")
        assert other.status_code == own.status_code == missing.status_code == 404
        request_id = re.compile(r"[0-9a-f]{16}")  # each answer names its own request
        assert request_id.sub("", other.text) == request_id.sub("", missing.text)
        assert (await c.get(f"/students/{s.people['pupil2']}")).status_code == 404


async def test_nurse_writes_a_line_through_the_form(db):
    s = await people_school()
    pupil = s.people["pupil2"]
    async with client() as c:
        await sign_in(c, "medsestra", PASSWORD)
        path = f"/students/{pupil}/health"
        bad = await post_form(c, path, {"health_group": "VII", "pe_group": "основная", "valid_from": ""})
        assert bad.status_code == 400 and "Группа здоровья: выберите значение из списка" in bad.text
        assert "Действует с: укажите дату" in bad.text
        assert await HealthRecord.count().run() == 0
        good = await post_form(c, path, {"health_group": "II", "pe_group": "специальная Б",
                                         "recommendations": "щадящий режим", "valid_from": "2026-10-01"})
        assert good.status_code == 303
        assert "щадящий режим" in (await c.get(path)).text
    # a class teacher may read but not write
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        refused = await post_form(c, f"/students/{pupil}/health", {
            "health_group": "I", "pe_group": "основная", "valid_from": "2026-11-01"})
        assert refused.status_code == 403
    assert await HealthRecord.count().run() == 1


async def test_search_finds_cyrillic_names_within_the_viewer_s_scope(db):
    s = await people_school()
    async with client() as c:
        await sign_in(c, "sekretar", PASSWORD)
        found = (await c.get("/search", params={"q": "АРТЕМ мороз"})).text
        assert "Морозов Артём Дмитриевич" in found and f"/students/{s.people['pupil1']}" in found
        staff = (await c.get("/search", params={"q": "белова"})).text
        assert "Белова Нина" in staff
        assert "Никого не нашлось" in (await c.get("/search", params={"q": "%"})).text
        long = await c.get("/search", params={"q": "я" * 300})
        assert long.status_code == 200 and "не длиннее" in long.text
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)  # teaches 5А only
        found = (await c.get("/search", params={"q": "соколов"})).text
        assert "Соколов Максим" not in found and "Никого не нашлось" in found
        assert "Павлова Софья" in (await c.get("/search", params={"q": "павлова"})).text
        assert "Белова" not in (await c.get("/search", params={"q": "белова"})).text


async def test_printable_class_list_and_consent_list(db):
    s = await people_school()
    klruk = await viewer(s, "klruk")
    await actions.do_record_consent(klruk, s.people["pupil1"], "ведение журнала", date(2026, 9, 1),
                                    "", TODAY, signed_by=s.people["roditel"])
    class_5a = s.classes["5А"]
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        printed = (await c.get(f"/classes/{class_5a}/print")).text
        assert "Список учеников 5А класса" in printed and "data-print" in printed
        assert "Морозова Елена Викторовна (мать)" in printed
        without = (await c.get(f"/classes/{class_5a}/consents")).text
        assert "Павлова Софья" in without and "Морозов Артём" not in without
        assert (await c.get(f"/classes/{s.classes['6Б']}/consents")).status_code == 404
        assert (await c.get(f"/classes/{s.classes['6Б']}/print")).status_code == 404
        card = (await c.get(f"/students/{s.people['pupil1']}")).text
        assert "Согласие на обработку персональных данных" in card
    assert len(await _reads("список класса для печати 5А")) == 2


async def test_class_teacher_edits_through_the_person_page(db):
    s = await people_school()
    pupil = s.people["pupil2"]
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        page = await c.get(f"/people/{pupil}")
        assert page.status_code == 200 and "Записать согласие" in page.text
        before = await AuditEvent.count().run()
        bad = await post_form(c, f"/people/{pupil}", {"last_name": "Павлова", "first_name": "Софья",
                                                     "snils": "112-233-445 96"})
        assert bad.status_code == 400 and "контрольное число" in bad.text
        assert await AuditEvent.count().run() == before
        ok = await post_form(c, f"/people/{pupil}", {"last_name": "Павлова", "first_name": "Софья",
                                                    "snils": "112-233-445 95", "sex": "ж"})
        assert ok.status_code == 303
        consent = await post_form(c, f"/people/{pupil}/consents", {
            "scope": "ведение журнала", "given_on": "2026-09-02", "document_ref": "папка 5А",
            "signed_by": str(s.people["parent2"])}, page=f"/people/{pupil}")
        assert consent.status_code == 303
        assert await Consent.count().run() == 1
        parent = await post_form(c, f"/people/{pupil}/parents", {
            "kind": "мать", "legal": "1", "last_name": "Павлова", "first_name": "Анна"},
            page=f"/people/{pupil}")
        assert parent.status_code == 303
        # another class's pupil: 404 for the page and for a direct POST
        assert (await c.get(f"/people/{s.people['pupil3']}")).status_code == 404
        direct = await post_form(c, f"/people/{s.people['pupil3']}", {
            "last_name": "Соколов", "first_name": "Иван"}, page=f"/people/{pupil}")
        assert direct.status_code == 404
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)  # sees 5А, keeps no records: as if there were none
        assert (await c.get(f"/people/{pupil}")).status_code == 404
        assert (await c.get(f"/classes/{s.classes['5А']}/consents")).status_code == 404


async def test_secretary_adds_a_staff_member(db):
    await people_school()
    async with client() as c:
        await sign_in(c, "sekretar", PASSWORD)
        bad = await post_form(c, "/staff/new", {"last_name": "Егорова", "first_name": "Вера",
                                                "post": "", "starts_on": "2026-09-01"})
        assert bad.status_code == 400 and "Должность: заполните поле" in bad.text
        ok = await post_form(c, "/staff/new", {"last_name": "Егорова", "first_name": "Вера",
                                               "post": "учитель музыки", "starts_on": "2026-09-01"})
        assert ok.status_code == 303
        assert "учитель музыки" in (await c.get("/staff")).text
        pupil = await post_form(c, "/people/new", {"last_name": "Новикова", "first_name": "Ёлка",
                                                   "birth_date": "2019-05-02"})
        assert pupil.status_code == 303
        assert "Новикова Ёлка" in (await c.get("/search", params={"q": "елка"})).text
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        assert (await c.get("/staff/new")).status_code == 403
        refused = await post_form(c, "/people/new", {"last_name": "Новиков", "first_name": "Лев"},
                                  page="/classes")
        assert refused.status_code == 403
