"""The demo school generator: names, realism, determinism, demo logins, one transaction."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from datetime import date, timedelta
from itertools import pairwise

import pytest

from service import db as dbmod
from service import demo, demo_names
from service.accounts.actions import do_login
from service.accounts.tables import Account, AccountRole, Person
from service.audit.tables import AuditEvent
from service.audit.verify import verify_chain
from service.demo import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    LETTERS,
    birth_window,
    generate_demo_school,
    has_demo_school,
    plan_school,
    print_logins,
    stored_logins,
)
from service.errors import Refused
from service.people.tables import ParentLink
from service.school.tables import (
    AcademicYear,
    Enrolment,
    SchoolClass,
    StaffMember,
    Subject,
    TeachingLoad,
)
from tests.conftest import fresh_database

pytestmark = pytest.mark.anyio

# Surnames (both forms) of the real school staff named in /work/shared/seeds. Those documents
# forbid putting the names themselves into tests, so only a SHA-256 prefix of each lower-cased
# form is kept here.
REAL_SURNAME_HASHES = frozenset({
    "e122d6c35de25bb4", "2643cd1488496c88", "31efd9b0eb984481", "fc81189de0fef522",
    "c85051abfb1af963", "1a826f721a775acb", "9c4e849fcccfa6ea", "2cb7091356b23282",
    "c154e71085970329", "48bb81b55bdc2e36", "cb1fdc04ecdc35ee", "ea237361ed5303b6",
    "f18db732198fac86", "31831c9632748e9c", "ec1fe45c37aadf34", "57c3f0ec1b3305f9",
    "721397cd697eb813", "9234e6ae28cb0c19", "a9c1028a5a7e45b1", "b45928e0d90f2444",
    "a10ba6f2a1c5e145",
})


def _is_real(surname: str) -> bool:
    key = surname.lower().replace("ё", "е")
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16] in REAL_SURNAME_HASHES


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize(("father", "son", "daughter"), [
    ("Иван", "Иванович", "Ивановна"), ("Сергей", "Сергеевич", "Сергеевна"),
    ("Николай", "Николаевич", "Николаевна"), ("Никита", "Никитич", "Никитична"),
    ("Илья", "Ильич", "Ильинична"), ("Кузьма", "Кузьмич", "Кузьминична"),
    ("Данила", "Данилович", "Даниловна"), ("Пётр", "Петрович", "Петровна"),
    ("Лев", "Львович", "Львовна"), ("Павел", "Павлович", "Павловна"),
    ("Михаил", "Михайлович", "Михайловна"), ("Яков", "Яковлевич", "Яковлевна"),
    ("Евгений", "Евгеньевич", "Евгеньевна"), ("Юрий", "Юрьевич", "Юрьевна"),
    ("Анатолий", "Анатольевич", "Анатольевна"), ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Георгий", "Георгиевич", "Георгиевна"), ("Игорь", "Игоревич", "Игоревна"),
    ("Артём", "Артёмович", "Артёмовна"), ("Даниил", "Даниилович", "Данииловна"),
])
def test_patronymic(father, son, daughter):
    assert demo_names.patronymic(father, female=False) == son
    assert demo_names.patronymic(father, female=True) == daughter


@pytest.mark.parametrize(("male", "female"), [
    ("Иванов", "Иванова"), ("Соловьёв", "Соловьёва"), ("Ильин", "Ильина"),
    ("Покровский", "Покровская"), ("Городецкий", "Городецкая"), ("Красный", "Красная"),
    ("Береговой", "Береговая"), ("Шевчук", "Шевчук"), ("Ким", "Ким"), ("Ткаченко", "Ткаченко"),
    ("Седых", "Седых"), ("Бондарь", "Бондарь"),
])
def test_female_surname(male, female):
    assert demo_names.female_surname(male) == female


def test_every_name_list_is_usable():
    for group in (demo_names.SURNAMES, demo_names.BOYS, demo_names.GIRLS, demo_names.MEN,
                  demo_names.WOMEN, demo_names.GRANDFATHERS):
        assert len(set(group)) == len(group), "duplicates skew the distribution"
    for name in {*demo_names.MEN, *demo_names.GRANDFATHERS}:
        son = demo_names.patronymic(name, female=False)
        daughter = demo_names.patronymic(name, female=True)
        assert son.endswith(("ович", "евич", "ич")) and daughter.endswith(("овна", "евна", "ична"))


def test_real_people_surnames_can_never_be_produced():
    producible = {demo_names.surname(s, female) for s in demo_names.SURNAMES
                  for female in (False, True)}
    assert not [s for s in producible if _is_real(s)]
    # and, belt and braces, in a generated school
    assert not [p for p in plan_school("M", 99).people if _is_real(p.last_name)]


# --- the plan (no database) --------------------------------------------------------------


def test_plan_is_deterministic():
    assert plan_school("M", 5) == plan_school("M", 5)
    assert plan_school("M", 5).people != plan_school("M", 6).people


@pytest.mark.parametrize(("size", "classes", "students", "teachers", "parents"), [
    ("S", 1, 25, (5, 15), (25, 50)),
    ("M", 36, 1000, (75, 75), (1450, 1750)),
    ("L", 88, 2500, (180, 180), (3700, 4300)),
])
def test_plan_is_a_realistic_school(size, classes, students, teachers, parents):
    plan = plan_school(size, 2026)
    counts = plan.counts()
    assert counts["classes"] == classes and counts["students"] == students
    assert teachers[0] <= counts["teachers"] <= teachers[1]
    assert parents[0] <= counts["parents"] <= parents[1]
    assert "З" not in LETTERS and all(c.letter in LETTERS for c in plan.classes)
    # distinct class teachers, each of them a teacher
    leaders = [c.class_teacher for c in plan.classes]
    assert len(set(leaders)) == len(leaders) and set(leaders) <= set(plan.teachers)
    # every class gets its whole curriculum for its grade
    taught = defaultdict(set)
    for _, subject, ci, hours in plan.loads:
        assert 1 <= hours <= 6
        taught[ci].add(demo.SUBJECTS[subject][0])
    for ci, c in enumerate(plan.classes):
        wanted = {name for name, _, hours in demo._CURRICULUM if hours[c.grade - 1]}
        assert taught[ci] == wanted, c.name
    # pupils: born for their grade; sex agrees with the patronymic
    grade_of = {s: plan.classes[ci].grade for s, ci, _ in plan.enrolments}
    for student, grade in grade_of.items():
        person = plan.people[student]
        first, last = birth_window(grade)
        assert first <= person.birth_date <= last
        assert person.middle_name.endswith(("на",) if person.sex == "ж" else ("ич",))
    # families: siblings share parents, surname and patronymic and are not born too close
    for family in plan.families:
        kids = [plan.people[c] for c in family.children]
        assert 1 <= len(family.parents) <= 2
        assert len({demo_names.female_surname(k.last_name) for k in kids}) == 1
        fathers = [plan.people[p] for p, kind in family.parents if kind == "отец"]
        for father in fathers:
            assert all(k.middle_name == demo_names.patronymic(father.first_name, k.sex == "ж")
                       for k in kids)
        for parent, kind in family.parents:
            assert kind in ("мать", "отец", "опекун")
            assert plan.people[parent].sex == ("м" if kind == "отец" else "ж")
            assert plan.people[parent].birth_date < min(k.birth_date for k in kids) - timedelta(
                days=19 * 365)
        births = sorted(k.birth_date for k in kids)
        assert all(b - a >= timedelta(days=330) for a, b in pairwise(births))
    if size != "S":
        with_sibling = sum(len(f.children) for f in plan.families if len(f.children) > 1)
        assert 0.10 <= with_sibling / students <= 0.20


# --- generation into a database ----------------------------------------------------------


async def _names() -> list[tuple]:
    rows = await Person.select(Person.last_name, Person.first_name, Person.middle_name,
                               Person.sex, Person.birth_date).order_by(Person.id).run()
    return [tuple(r.values()) for r in rows]


_NOW = Enrolment.school_class.year.is_current.eq(True)  # this year's classes, not last year's


async def _table_counts() -> dict[str, int]:
    tables = (AcademicYear, SchoolClass, Subject, Person, StaffMember, TeachingLoad, Enrolment,
              ParentLink, Account, AccountRole, AuditEvent)
    return {t._meta.tablename: await t.count().run() for t in tables}


async def _login_person(login: str) -> int:
    row = await Account.select(Account.person).where(Account.login == login).first().run()
    return row["person"]


async def test_generate_small_school(db):
    assert not await has_demo_school()
    before = await _table_counts()
    result = await generate_demo_school("S", 2026)
    assert await has_demo_school()
    counts = await _table_counts()
    # this year and last year, closed (issue 9 item 10): 5А now, 4А, 9А and 11А last year
    assert counts["academic_year"] == 2 and counts["school_class"] == 4
    year = await AcademicYear.select().where(AcademicYear.is_current.eq(True)).first().run()
    assert (year["name"], year["is_current"]) == ("2026/2027", True)
    leavers = len(plan_school("S", 2026).leavers)
    assert counts["enrolment"] == 25 + 25 + leavers and counts["subject"] == len(demo.SUBJECTS)
    assert counts["account"] == len(DEMO_LOGINS)
    assert counts["audit_event"] > before["audit_event"]  # the rights' sync wrote the first rows
    students = {r["student"] for r in await Enrolment.select(Enrolment.student).where(_NOW).run()}
    linked = Counter(r["child"] for r in await ParentLink.select(ParentLink.child).run())
    assert len(students) == 25 and all(1 <= linked[s] <= 2 for s in students)
    orders = {r["order_ref"] for r in await Enrolment.select(Enrolment.order_ref).where(_NOW).run()}
    assert orders == {"Приказ № 105-у от 31.08.2026"}
    assert "25 учеников" in result.summary() and "1 класс," in result.summary()
    teaching = {r["teacher"] for r in await TeachingLoad.select(TeachingLoad.teacher).run()}
    assert len(teaching) == result.counts["teachers"]


async def test_demo_logins(db):
    result = await generate_demo_school("S", 3)
    assert [row[1] for row in result.logins] == list(DEMO_LOGINS)
    roles = defaultdict(set)
    for r in await AccountRole.select(AccountRole.account.login, AccountRole.role.code).run():
        roles[r["account.login"]].add(r["role.code"])
    assert roles == {login: set(codes) for login, codes in demo.DEMO_ACCOUNTS}
    for login in DEMO_LOGINS:
        assert await do_login(login, DEMO_PASSWORD, "127.0.0.1")

    klruk, uchitel = await _login_person("klruk"), await _login_person("uchitel")
    roditel, uchenik = await _login_person("roditel"), await _login_person("uchenik")
    led = await SchoolClass.select(SchoolClass.id).where(
        (SchoolClass.class_teacher == klruk) & SchoolClass.year.is_current.eq(True)).run()
    pupil_in = await Enrolment.select(Enrolment.school_class).where(
        (Enrolment.student == uchenik) & _NOW).run()
    assert [r["id"] for r in led] == [r["school_class"] for r in pupil_in]
    assert await ParentLink.exists().where(
        (ParentLink.parent == roditel) & (ParentLink.child == uchenik)).run()
    assert not await SchoolClass.exists().where(SchoolClass.class_teacher == uchitel).run()
    assert await TeachingLoad.exists().where(
        (TeachingLoad.teacher == uchitel) & (TeachingLoad.school_class == led[0]["id"])).run()
    assert await StaffMember.exists().where(StaffMember.person == klruk).run()


async def test_same_seed_gives_the_same_school(db, request):
    await generate_demo_school("S", 11)
    first = await _names()
    other = fresh_database(db.kind, request)
    dbmod.use_database(other.url)
    await generate_demo_school("S", 11)
    assert await _names() == first
    assert len(first) == plan_school("S", 11).counts()["people"]


async def test_second_generation_is_refused_and_writes_nothing(db):
    await generate_demo_school("S", 1)
    before = await _table_counts()
    with pytest.raises(Refused) as refused:
        await generate_demo_school("M", 2)
    assert "уже есть школа" in refused.value.message
    assert await _table_counts() == before


async def test_a_failure_leaves_nothing_behind(db, monkeypatch):
    before = await _table_counts()

    async def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo, "record", broken)  # fails after every row has been written
    with pytest.raises(RuntimeError):
        await generate_demo_school("S", 1)
    assert await _table_counts() == before
    assert not await has_demo_school()


async def test_audited_as_one_event_and_the_chain_verifies(db):
    await generate_demo_school("S", 1)
    events = await AuditEvent.select(AuditEvent.actor_name, AuditEvent.new).where(
        AuditEvent.action == "school.demo_generated").run()
    assert len(events) == 1 and events[0]["actor_name"] == "ezh demo-data"
    assert '"size":"S"' in events[0]["new"] and '"students":25' in events[0]["new"]
    result = await verify_chain()
    assert result.ok, result.problem


async def test_stored_logins_lists_only_accounts_with_the_demo_password(db, capsys):
    assert (await stored_logins()).logins == []
    generated = await generate_demo_school("S", 1)
    await Account.update({Account.password_hash: "changed"}).where(
        Account.login == "admin").run()
    stored = await stored_logins()
    assert stored.logins == [row for row in generated.logins if row[1] != "admin"]
    print_logins(stored)
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8000" in out and "klruk" in out and DEMO_PASSWORD in out
    assert "Классный руководитель" in out


async def test_a_database_in_use_is_refused(db):
    """Issue 6: the demo logins and their public password never join real accounts or people
    (an account, a person, anything but what `ezh migrate` writes)."""
    from service.accounts.actions import do_create_person, do_create_user
    from service.audit.log import Actor

    await do_create_person(Actor.system("tests"), "Иванова", "Анна")
    before = await _table_counts()
    with pytest.raises(Refused) as refused:
        await generate_demo_school("S", 1)
    assert "таблица person" in refused.value.message and "Ничего не изменено" in refused.value.message
    assert await _table_counts() == before
    await do_create_user(Actor.system("tests"), "admin", "настоящий-пароль-1", ["admin"])
    with pytest.raises(Refused):
        await generate_demo_school("S", 1)
    assert await Account.count().where(Account.login == "admin").run() == 1


async def test_medium_school_on_sqlite(sqlite_db):
    result = await generate_demo_school("M", 2026)
    plan = plan_school("M", 2026)
    # every pupil once, plus one more enrolment for each pupil moved to another class
    now = await Enrolment.count().where(_NOW).run()
    assert await SchoolClass.count().where(SchoolClass.year.is_current.eq(True)).run() == 36
    assert now == 1000 + len(plan.transfers)
    assert result.counts["teachers"] == 75
    children = Counter(r["parent"] for r in await ParentLink.select(ParentLink.parent).run())
    assert children[await _login_person("roditel")] >= 2  # a parent of two pupils
    assert (await verify_chain()).ok


async def test_the_demo_year_is_fully_set_up(db):
    """Issue 7 item 10 (R-YEAR-1..2, R-ORG-1..3, R-SEC-2): the demo fills the calendar,
    groups, the order book with movement during the year, consents and the health sheet."""
    from service.people.tables import Consent, HealthRecord
    from service.school.tables import (
        CalendarDay,
        GroupMember,
        Movement,
        SchoolOrder,
        StudyGroup,
        StudyPeriod,
    )

    await generate_demo_school("M", 2026)
    plan = plan_school("M", 2026)
    periods = await StudyPeriod.select(StudyPeriod.name, StudyPeriod.grade_from,
                                       StudyPeriod.grade_to).run()
    assert {(p["name"], p["grade_from"], p["grade_to"]) for p in periods} >= {
        ("1 четверть", 1, 9), ("2 полугодие", 10, 11)}
    assert await CalendarDay.count().where(CalendarDay.kind == "holidays").run() == 4
    week = {r["grade"]: r["week_days"] for r in await SchoolClass.select(
        SchoolClass.grade, SchoolClass.week_days).run()}
    assert week[1] == 5 and week[11] == 6
    # subgroups of large classes carry the split subjects' load; clubs have members
    kinds = Counter(r["kind"] for r in await StudyGroup.select(StudyGroup.kind).run())
    assert kinds["subgroup"] > 0 and kinds["gpd"] == 2 and kinds["club"] == 1
    group_loads = await TeachingLoad.count().where(TeachingLoad.study_group.is_not_null()).run()
    assert group_loads == kinds["subgroup"] + kinds["club"] + kinds["elective"]
    assert await TeachingLoad.count().where(
        TeachingLoad.study_group.is_null() & TeachingLoad.school_class.is_null()).run() == 0
    # the order book: one enrolment order per grade, one order per move, a line per pupil
    assert await SchoolOrder.count().where(SchoolOrder.kind.not_in(["promote", "graduate"])).run() == (
        11 + len(plan.transfers) + len(plan.withdrawals))
    assert await Movement.count().where(Movement.kind == "enrol").run() == 1000
    # nobody is in two classes on the same day, and the withdrawn are in none after leaving
    rows = await Enrolment.select(Enrolment.student, Enrolment.starts_on, Enrolment.ends_on).where(_NOW).run()
    spans = defaultdict(list)
    for r in rows:
        spans[r["student"]].append((r["starts_on"], r["ends_on"] or date(2099, 1, 1)))
    for student, found in spans.items():
        found.sort()
        assert all(a[1] < b[0] for a, b in pairwise(found)), student
    left = await Movement.select(Movement.student, Movement.on_date).where(
        Movement.kind == "withdraw").run()
    assert left
    for r in left:
        assert max(end for _, end in spans[r["student"]]) < r["on_date"]
    # members of a subgroup belong to its class
    members = await GroupMember.select(GroupMember.student, GroupMember.study_group.school_class,
                                       GroupMember.starts_on).where(
        GroupMember.study_group.kind == "subgroup").run()
    enrolled = {(r["student"], r["school_class"], r["starts_on"]) for r in
                await Enrolment.select(Enrolment.student, Enrolment.school_class,
                                       Enrolment.starts_on).where(_NOW).run()}
    classes_of = defaultdict(set)
    for student, cls, _ in enrolled:
        classes_of[student].add(cls)
    assert all(m["study_group.school_class"] in classes_of[m["student"]] for m in members)
    # consents for almost every pupil; a health record for every pupil
    consented = {r["person"] for r in await Consent.select(Consent.person).run()}
    assert 0.9 <= len(consented & set(spans)) / len(spans) < 1
    assert await HealthRecord.count().run() == len(spans)
    # the nurse can sign in
    assert await do_login("medsestra", DEMO_PASSWORD, "127.0.0.1")
