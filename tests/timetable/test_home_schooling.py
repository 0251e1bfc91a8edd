"""Home schooling — «надомное обучение» and «семейное образование» (R-ORG-5, issue 8 item 4):
the order's dates and subjects take the student out of the class journal for exactly those
subjects and days; every refusal writes nothing; only holders of timetable.home see the pages,
and every view of them is in the access log."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from service.accounts.actions import do_create_user
from service.audit.tables import AccessLog, AuditEvent
from service.errors import NotFound, Refused
from service.school.tables import AcademicYear, StaffMember
from service.timetable.home_schooling import (
    do_change_home_schooling,
    do_start_home_schooling,
    excluded_from_class,
    excluded_subjects,
)
from service.timetable.tables import HomeSchooling, HomeSchoolingSubject, Lesson, Slot
from tests.factories import PASSWORD, SYSTEM
from tests.routes import client, post_form, sign_in
from tests.timetable.factories import timetable_school

pytestmark = pytest.mark.anyio
ORDER = "Приказ № 45-у от 12.11.2026"


async def _counts() -> tuple[int, int, int]:
    return (await HomeSchooling.count().run(), await HomeSchoolingSubject.count().run(),
            await AuditEvent.count().run())


async def test_home_schooling_leaves_the_student_out_of_the_class_journal(db):
    """R-ORG-5: for the order's subjects and dates only — the day before and after, and the
    other subjects, the student stays in the class journal."""
    t = await timetable_school()
    pupil, math, russian = t.school.people["pupil1"], t.subjects["Математика"], t.subjects["Русский язык"]
    five_a = t.school.classes["5А"]
    home_id = await do_start_home_schooling(SYSTEM, pupil, "home", date(2026, 11, 16),
                                            date(2026, 12, 20), ORDER, [math], "заключение ВК")
    assert await excluded_from_class(five_a, math, date(2026, 11, 16)) == {pupil}
    assert await excluded_from_class(five_a, math, date(2026, 12, 20)) == {pupil}
    assert await excluded_from_class(five_a, math, date(2026, 11, 15)) == set()
    assert await excluded_from_class(five_a, math, date(2026, 12, 21)) == set()
    assert await excluded_from_class(five_a, russian, date(2026, 11, 20)) == set()
    assert await excluded_from_class(t.school.classes["6Б"], math, date(2026, 11, 20)) == set()
    audit = await AuditEvent.select().where(AuditEvent.action == "timetable.home_started").run()
    assert len(audit) == 1 and audit[0]["object_id"] == str(home_id) and ORDER in audit[0]["new"]

    # ending early and widening to every subject (none listed)
    await do_change_home_schooling(SYSTEM, home_id, date(2026, 11, 16), date(2026, 11, 30), [], ORDER)
    assert await excluded_from_class(five_a, russian, date(2026, 11, 20)) == {pupil}
    assert await excluded_from_class(five_a, math, date(2026, 12, 1)) == set()
    assert await AuditEvent.count().where(AuditEvent.action == "timetable.home_changed").run() == 1

    other = t.school.people["pupil2"]
    await do_start_home_schooling(SYSTEM, other, "family", date(2026, 12, 1), None, "Приказ № 50-у",
                                  [russian, math])
    spans = await excluded_subjects([pupil, other, t.school.people["pupil3"]],
                                    date(2026, 11, 1), date(2027, 1, 31))
    assert spans == {pupil: [(date(2026, 11, 16), date(2026, 11, 30), None)],
                     other: [(date(2026, 12, 1), None, {russian, math})]}
    assert await excluded_subjects([pupil], date(2026, 12, 1), date(2026, 12, 31)) == {}
    assert await excluded_from_class(five_a, math, date(2027, 5, 31)) == {other}


@pytest.mark.parametrize(("case", "message", "field"), [
    ("not_enrolled", "не зачислен", "starts_on"),
    ("before_year", "не зачислен", "starts_on"),
    ("ends_before", "раньше даты начала", "ends_on"),
    ("ends_after_year", "вне учебного года", "ends_on"),
    ("overlap", "сроки не должны пересекаться", "starts_on"),
    ("no_order", "Приказ (номер и дата): заполните поле", "order_ref"),
    ("bad_kind", "надомное или семейное", "kind"),
    ("bad_subject", "Предметы", "subjects"),
    ("closed_year", "закрыт", "starts_on"),
])
async def test_a_refusal_writes_nothing(db, case, message, field):
    t = await timetable_school()
    pupil, math = t.school.people["pupil1"], t.subjects["Математика"]
    await do_start_home_schooling(SYSTEM, t.school.people["pupil2"], "home", date(2026, 10, 1),
                                  None, ORDER, [])
    args = {"student": pupil, "kind": "home", "starts_on": date(2026, 11, 16),
            "ends_on": date(2026, 12, 20), "order_ref": ORDER, "subjects": [math]}
    if case == "not_enrolled":
        args["student"] = t.school.people["roditel"]
    elif case == "before_year":
        args["starts_on"] = date(2026, 8, 20)
    elif case == "ends_before":
        args["ends_on"] = date(2026, 11, 1)
    elif case == "ends_after_year":
        args["ends_on"] = date(2027, 6, 20)
    elif case == "overlap":
        args["student"] = t.school.people["pupil2"]
    elif case == "no_order":
        args["order_ref"] = "  "
    elif case == "bad_kind":
        args["kind"] = "hospital"
    elif case == "bad_subject":
        args["subjects"] = [math, 999_999]
    elif case == "closed_year":
        await AcademicYear.update({AcademicYear.closed_at: datetime.now(UTC)}, force=True).run()
    before = await _counts()
    with pytest.raises(Refused) as exc:
        await do_start_home_schooling(SYSTEM, **args)
    assert message in exc.value.message and exc.value.field == field
    assert await _counts() == before


async def test_a_change_is_checked_like_a_new_order(db):
    t = await timetable_school()
    pupil = t.school.people["pupil1"]
    first = await do_start_home_schooling(SYSTEM, pupil, "home", date(2026, 9, 7),
                                          date(2026, 10, 20), ORDER, [])
    second = await do_start_home_schooling(SYSTEM, pupil, "home", date(2026, 11, 16), None,
                                           "Приказ № 60-у от 13.11.2026", [])
    before = await _counts()
    with pytest.raises(Refused, match="пересекаться"):
        await do_change_home_schooling(SYSTEM, first, date(2026, 9, 7), date(2026, 11, 20), [], ORDER)
    with pytest.raises(Refused, match="Ничего не изменилось"):
        await do_change_home_schooling(SYSTEM, second, date(2026, 11, 16), None, [],
                                       "Приказ № 60-у от 13.11.2026")
    with pytest.raises(NotFound):
        await do_change_home_schooling(SYSTEM, 999_999, date(2026, 11, 16), None, [], ORDER)
    assert await _counts() == before


async def test_the_deputy_records_home_schooling_in_the_browser(db):
    """R-ORG-5: the pages; every view is in the access log (health-related personal data)."""
    t = await timetable_school()
    await do_create_user(SYSTEM, "zavuch", PASSWORD, ["deputy"], None)
    pupil, math = t.school.people["pupil1"], t.subjects["Математика"]
    five_a = t.school.classes["5А"]
    await StaffMember.insert(StaffMember(person=t.school.people["uchitel"], post="учитель математики",
                                         starts_on=date(2020, 8, 25))).run()
    await Slot.insert(Slot(timetable=t.version, weekday=2, number=7, week=1, student=pupil,
                           subject=math, teacher=t.school.people["uchitel"])).run()
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        assert "Сейчас никто не обучается" in (await c.get("/timetable/home")).text
        page = await c.get(f"/timetable/home/new?class_id={five_a}")
        assert page.status_code == 200 and "Морозов Артём" in page.text
        bad = await post_form(c, "/timetable/home/new", {
            "class_id": str(five_a), "student": str(pupil), "kind": "home",
            "starts_on": "2026-11-16", "ends_on": "2026-11-01", "order_ref": ORDER,
            "subjects": str(math)}, page=f"/timetable/home/new?class_id={five_a}")
        assert bad.status_code == 400 and "раньше даты начала" in bad.text
        assert await HomeSchooling.count().run() == 0
        r = await post_form(c, "/timetable/home/new", {
            "class_id": str(five_a), "student": str(pupil), "kind": "home",
            "starts_on": "2026-11-16", "ends_on": "", "order_ref": ORDER, "subjects": str(math),
            "note": "по заключению врачебной комиссии"}, page=f"/timetable/home/new?class_id={five_a}")
        assert r.status_code == 303, r.text
        detail = await c.get(r.headers["location"])
        assert detail.status_code == 200 and "Морозов Артём Дмитриевич" in detail.text
        assert ORDER in detail.text and "Математика" in detail.text
        assert "вторник" in detail.text and "Попова Мария Сергеевна" in detail.text  # the individual slot
        assert "Добавить индивидуальный урок" in detail.text
        listing = await c.get("/timetable/home")
        assert "Морозов Артём Дмитриевич" in listing.text and "надомное обучение" in listing.text
        home_id = int(r.headers["location"].rsplit("/", 1)[1])
        changed = await post_form(c, f"/timetable/home/{home_id}", {
            "starts_on": "2026-11-16", "ends_on": "2026-12-25", "order_ref": ORDER}, page=r.headers["location"])
        assert changed.status_code == 303
        assert (await HomeSchooling.select(HomeSchooling.ends_on).first().run())["ends_on"] == date(2026, 12, 25)
        assert await excluded_from_class(five_a, t.subjects["Русский язык"], date(2026, 12, 1)) == {pupil}
        wrong = await post_form(c, f"/timetable/home/{home_id}", {
            "starts_on": "2027-07-01", "ends_on": "", "order_ref": ORDER}, page=r.headers["location"])
        assert wrong.status_code == 400 and "вне учебного года" in wrong.text
        # the individual timetable: the grid's rules, a clash named, a lesson removed
        slot_page = r.headers["location"]
        clash = await post_form(c, f"/timetable/home/{home_id}/slots", {
            "weekday": "2", "number": "7", "week": "0", "subject": str(math),
            "teacher": str(t.school.people["uchitel"])}, page=slot_page)
        assert clash.status_code == 400 and "учитель уже ведёт урок" in clash.text
        added = await post_form(c, f"/timetable/home/{home_id}/slots", {
            "weekday": "3", "number": "6", "week": "0", "subject": str(math),
            "teacher": str(t.school.people["uchitel"]), "room": ""}, page=slot_page)
        assert added.status_code == 303, added.text
        [new_slot] = await Slot.select().where((Slot.student == pupil) & (Slot.weekday == 3)).run()
        assert await Lesson.count().where(Lesson.slot == new_slot["id"]).run() > 0
        foreign = await Slot.insert(Slot(timetable=t.version, weekday=4, number=1, school_class=five_a,
                                         subject=math, teacher=t.school.people["klruk"])).returning(Slot.id).run()
        gone = await post_form(c, f"/timetable/home/{home_id}/slots/{foreign[0]['id']}/remove", {},
                               page=slot_page)
        assert gone.status_code == 404
        removed = await post_form(c, f"/timetable/home/{home_id}/slots/{new_slot['id']}/remove", {},
                                  page=slot_page)
        assert removed.status_code == 303
        assert not await Slot.exists().where(Slot.id == new_slot["id"]).run()
        assert (await c.get("/timetable/home/999999")).status_code == 404
        assert (await c.get("/timetable/home/99999999999")).status_code == 404
    logged = await AccessLog.select(AccessLog.person_id, AccessLog.what).where(
        AccessLog.person_id == pupil).run()
    assert {r["what"] for r in logged} >= {"список надомного и семейного обучения",
                                           "надомное или семейное обучение"}


@pytest.mark.parametrize("login", ["roditel", "uchitel", "klruk", "pupil1"])
async def test_families_and_teachers_cannot_open_home_schooling(db, login):
    t = await timetable_school()
    home_id = await do_start_home_schooling(SYSTEM, t.school.people["pupil1"], "home",
                                            date(2026, 11, 16), None, ORDER, [])
    async with client() as c:
        await sign_in(c, login, PASSWORD)
        for path in ("/timetable/home", "/timetable/home/new", f"/timetable/home/{home_id}"):
            assert (await c.get(path)).status_code in (403, 404), path
    assert await AccessLog.count().where(AccessLog.what.like("%обучени%")).run() == 0
