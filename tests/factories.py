"""A tiny school for tests that need a few specific people (the demo generator makes the big
ones). People and accounts go through the real actions; school structure rows, whose actions
belong to a later issue, are arranged directly."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from service.accounts.actions import do_create_person, do_create_user
from service.audit.log import Actor
from service.demo import generate_demo_school
from service.people.tables import ParentLink
from service.school.tables import AcademicYear, Enrolment, SchoolClass, Subject, TeachingLoad
from tests.snapshots import snapshotted

PASSWORD = "Проверка-пароля-2026"
SYSTEM = Actor.system("tests")
YEAR_START = date(2026, 9, 1)


@dataclass
class TinySchool:
    classes: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)


async def _person(school: TinySchool, key: str, last: str, first: str, middle: str = "") -> int:
    school.people[key] = await do_create_person(SYSTEM, last, first, middle)
    return school.people[key]


async def _user(school: TinySchool, key: str, roles: list[str]) -> None:
    school.users[key] = await do_create_user(SYSTEM, key, PASSWORD, roles, school.people.get(key))


@snapshotted
async def tiny_school() -> TinySchool:
    """Two classes (5А led by klruk, 6Б led by other), a teacher teaching 5А only, two pupils
    in 5А with parents, one pupil in 6Б with its own parent; accounts for the staff, one
    parent and one pupil."""
    s = TinySchool()
    now = datetime.now(UTC)
    year = (await AcademicYear.insert(AcademicYear(name="2026/2027", starts_on=YEAR_START,
                                                   ends_on=date(2027, 5, 31), is_current=True))
            .returning(AcademicYear.id).run())[0]["id"]
    for key, last, first, middle in [
        ("klruk", "Смирнова", "Анна", "Петровна"), ("other", "Кузнецов", "Олег", "Иванович"),
        ("uchitel", "Попова", "Мария", "Сергеевна"), ("admin", "Волков", "Игорь", "Андреевич"),
        ("pupil1", "Морозов", "Артём", "Дмитриевич"), ("pupil2", "Павлова", "Софья", "Алексеевна"),
        ("pupil3", "Соколов", "Максим", "Романович"), ("roditel", "Морозова", "Елена", "Викторовна"),
        ("parent2", "Павлов", "Алексей", "Николаевич"), ("parent3", "Соколова", "Ольга", "Юрьевна"),
    ]:
        await _person(s, key, last, first, middle)
    for name, grade, letter, teacher in [("5А", 5, "А", "klruk"), ("6Б", 6, "Б", "other")]:
        s.classes[name] = (await SchoolClass.insert(SchoolClass(
            year=year, grade=grade, letter=letter, name=name, class_teacher=s.people[teacher],
            created_at=now)).returning(SchoolClass.id).run())[0]["id"]
    subject = (await Subject.insert(Subject(name="Математика", short_name="Матем."))
               .returning(Subject.id).run())[0]["id"]
    await TeachingLoad.insert(
        TeachingLoad(teacher=s.people["uchitel"], subject=subject, school_class=s.classes["5А"],
                     hours_per_week=5, starts_on=YEAR_START),
        TeachingLoad(teacher=s.people["klruk"], subject=subject, school_class=s.classes["5А"],
                     hours_per_week=5, starts_on=YEAR_START),
    ).run()
    await Enrolment.insert(*[
        Enrolment(student=s.people[p], school_class=s.classes[c], starts_on=YEAR_START)
        for p, c in [("pupil1", "5А"), ("pupil2", "5А"), ("pupil3", "6Б")]
    ]).run()
    await ParentLink.insert(*[
        ParentLink(parent=s.people[p], child=s.people[c], kind=k, created_at=now)
        for p, c, k in [("roditel", "pupil1", "мать"), ("parent2", "pupil2", "отец"),
                        ("parent3", "pupil3", "мать")]
    ]).run()
    for key, roles in [("admin", ["admin"]), ("klruk", ["class_teacher", "teacher"]),
                       ("other", ["class_teacher", "teacher"]), ("uchitel", ["teacher"]),
                       ("roditel", ["parent"]), ("pupil1", ["student"])]:
        await _user(s, key, roles)
    return s


# the demo school of a size and seed, as `ezh demo-data` makes it (copied after the first build)
demo_school = snapshotted(generate_demo_school)
