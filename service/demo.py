"""The demo school («демонстрационная школа»): a realistic Russian school of entirely
synthetic people, generated from a seed for trying ezh out and for load tests.

Generation has two halves. :func:`plan_school` is pure: from the size and the seed it decides
every person, class, lesson load and family, with ``random.Random(seed)`` as the only source of
chance, so the same size and seed always give the same school. :func:`generate_demo_school`
then writes the plan in one transaction, in bulk (COPY on PostgreSQL, ``executemany`` on
SQLite) with ids it reserved itself, plus a single audit row for the whole generation: either
the school appears complete or nothing is written.

Demo accounts have fixed logins and one documented password (:data:`DEMO_PASSWORD`); everybody
else gets no account and would register with an invitation code.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from service import demo_names as names
from service.accounts.actions import do_sync_rights, hash_password
from service.accounts.rights import ROLES
from service.accounts.tables import Account, AccountRole, Permission, Person, Role, RolePermission
from service.audit.log import Actor, record
from service.audit.tables import AuditEvent
from service.db import all_tables, atomic, bulk_insert, is_postgres, reserve_ids
from service.demo_timetable import write_demo_timetable
from service.errors import Refused
from service.people.tables import Consent, HealthRecord, ParentLink
from service.school.tables import (
    AcademicYear,
    CalendarDay,
    Enrolment,
    GroupMember,
    Movement,
    SchoolClass,
    SchoolOrder,
    StaffMember,
    StudyGroup,
    StudyPeriod,
    Subject,
    TeachingLoad,
)
from service.settings import get_settings
from service.text import count
from service.timetable.tables import Lesson

DEMO_PASSWORD = "demo-ezh-2026"  # the one password of every demo login, printed with them
ACTOR = "ezh demo-data"

YEAR_NAME = "2026/2027"
YEAR_START = date(2026, 9, 1)
YEAR_END = date(2027, 5, 31)

# Class letters. «З» is skipped, as schools do: in a class name it reads like the digit 3
# («5З» ≈ «53»).
LETTERS = "АБВГДЕЖИ"

MAX_LOAD = 27  # hours a week one teacher can carry (1.5 of the 18-hour rate)
SPLIT_FROM = 25  # a class of 25 or more is split into two groups for languages and IT
SIBLING_FAMILIES = 0.078  # families with more than one child: ≈15 % of pupils have a sibling
# Movement orders for the new year, one per grade, signed the day before it starts.
ENROLMENT_ORDER = "Приказ № {number}-у от 31.08.2026"
ENROLMENT_ORDER_DATE = date(2026, 8, 31)

# The calendar of 2026/2027 (R-YEAR-1): quarters for grades 1–9, half-years for 10–11.
PERIODS: tuple[tuple[str, int, str, int, int, date, date], ...] = (
    ("quarters", 1, "1 четверть", 1, 9, date(2026, 9, 1), date(2026, 10, 25)),
    ("quarters", 2, "2 четверть", 1, 9, date(2026, 11, 5), date(2026, 12, 28)),
    ("quarters", 3, "3 четверть", 1, 9, date(2027, 1, 11), date(2027, 3, 21)),
    ("quarters", 4, "4 четверть", 1, 9, date(2027, 3, 30), date(2027, 5, 31)),
    ("halves", 1, "1 полугодие", 10, 11, date(2026, 9, 1), date(2026, 12, 28)),
    ("halves", 2, "2 полугодие", 10, 11, date(2027, 1, 11), date(2027, 5, 31)),
)
CALENDAR_DAYS: tuple[tuple[str, str, int, int, date, date], ...] = (
    ("holidays", "Осенние каникулы", 1, 11, date(2026, 10, 26), date(2026, 11, 4)),
    ("holidays", "Зимние каникулы", 1, 11, date(2026, 12, 29), date(2027, 1, 10)),
    ("holidays", "Дополнительные каникулы для первоклассников", 1, 1, date(2027, 2, 8),
     date(2027, 2, 14)),
    ("holidays", "Весенние каникулы", 1, 11, date(2027, 3, 22), date(2027, 3, 29)),
    ("day_off", "День защитника Отечества", 1, 11, date(2027, 2, 23), date(2027, 2, 23)),
    ("day_off", "Международный женский день", 1, 11, date(2027, 3, 8), date(2027, 3, 8)),
    ("day_off", "Праздник Весны и Труда", 1, 11, date(2027, 5, 1), date(2027, 5, 1)),
    ("day_off", "День Победы", 1, 11, date(2027, 5, 9), date(2027, 5, 10)),
)
SIX_DAY_FROM = 10  # senior classes study six days a week in the demo (R-YEAR-2)
# Movement during the year (R-ORG-3): between these dates, a few pupils change class or leave.
MOVES_FROM, MOVES_TO = date(2026, 9, 14), date(2026, 11, 20)
WITHDRAWAL_REASONS = ("переезд в другой город", "перевод в другую школу",
                      "перевод на семейное обучение", "переезд в другой район")
CONSENT_SCOPE = ("обработка персональных данных обучающегося и родителя (законного "
                 "представителя) в электронном журнале школы")
# Health groups and PE groups of the health sheet, with their shares among pupils.
HEALTH_GROUPS = (("I", 0.27), ("II", 0.58), ("III", 0.13), ("IV", 0.02))
PE_GROUPS = (("основная", 0.80), ("подготовительная", 0.13), ("специальная А", 0.04),
             ("освобождён", 0.03))
PE_ADVICE = {
    "подготовительная": "Без сдачи нормативов на выносливость; нагрузка постепенно.",
    "специальная А": "Занятия по отдельной программе; исключить прыжки и бег на время.",
    "освобождён": "Освобождение от практических занятий до конца полугодия; теория.",
}


@dataclass(frozen=True)
class SizeSpec:
    classes_per_grade: dict[int, int]
    students: int
    teachers: int | None  # None: as few as the curriculum needs
    deputies: int


SIZES: dict[str, SizeSpec] = {
    "S": SizeSpec({5: 1}, students=25, teachers=None, deputies=1),
    "M": SizeSpec({g: 4 if g <= 3 else 3 for g in range(1, 12)}, students=1000, teachers=75,
                  deputies=2),
    "L": SizeSpec({g: len(LETTERS) for g in range(1, 12)}, students=2500, teachers=180,
                  deputies=3),
}

# (full name, short name) of the subjects, and hours a week for grades 1…11 under the federal
# basic curriculum (ФОП НОО/ООО/СОО, five-day week).
_CURRICULUM: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("Русский язык", "Рус. яз.", (5, 5, 5, 5, 5, 6, 4, 3, 3, 2, 2)),
    ("Литературное чтение", "Лит. чт.", (4, 4, 4, 3, 0, 0, 0, 0, 0, 0, 0)),
    ("Литература", "Лит-ра", (0, 0, 0, 0, 3, 3, 2, 2, 3, 3, 3)),
    ("Английский язык", "Англ. яз.", (0, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3)),
    ("Математика", "Матем.", (4, 4, 4, 4, 5, 5, 0, 0, 0, 0, 0)),
    ("Алгебра", "Алгебра", (0, 0, 0, 0, 0, 0, 3, 3, 3, 3, 3)),
    ("Геометрия", "Геом.", (0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2)),
    ("Вероятность и статистика", "Вер. и стат.", (0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1)),
    ("Информатика", "Информ.", (0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1)),
    ("История", "История", (0, 0, 0, 0, 2, 2, 2, 2, 3, 2, 2)),
    ("Обществознание", "Общ.", (0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2)),
    ("География", "Геогр.", (0, 0, 0, 0, 1, 1, 2, 2, 2, 1, 1)),
    ("Биология", "Биол.", (0, 0, 0, 0, 1, 1, 1, 2, 2, 1, 1)),
    ("Физика", "Физика", (0, 0, 0, 0, 0, 0, 2, 2, 3, 2, 2)),
    ("Химия", "Химия", (0, 0, 0, 0, 0, 0, 0, 2, 2, 1, 1)),
    ("Окружающий мир", "Окр. мир", (2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0)),
    ("Основы религиозных культур и светской этики", "ОРКСЭ", (0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0)),
    ("Музыка", "Музыка", (1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0)),
    ("Изобразительное искусство", "ИЗО", (1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0)),
    ("Технология", "Технол.", (1, 1, 1, 1, 2, 2, 2, 1, 1, 0, 0)),
    ("Физическая культура", "Физ-ра", (2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2)),
    ("Основы безопасности и защиты Родины", "ОБЗР", (0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1)),
)
SUBJECTS: tuple[tuple[str, str], ...] = tuple((name, short) for name, short, _ in _CURRICULUM)
_SUBJECT_INDEX = {name: i for i, (name, _) in enumerate(SUBJECTS)}


@dataclass(frozen=True)
class Specialty:
    """What a teacher teaches, as the staff list names the post."""

    post: str
    subjects: tuple[str, ...]
    female_share: float
    split: bool = False  # taught in two groups when the class is large


# In grades 1–4 the class teacher teaches these; music, PE and English come from specialists.
PRIMARY = Specialty("учитель начальных классов",
                    ("Русский язык", "Литературное чтение", "Математика", "Окружающий мир",
                     "Изобразительное искусство", "Технология",
                     "Основы религиозных культур и светской этики"), 0.97)
SPECIALTIES: tuple[Specialty, ...] = (
    Specialty("учитель русского языка и литературы", ("Русский язык", "Литература"), 0.95),
    Specialty("учитель математики",
              ("Математика", "Алгебра", "Геометрия", "Вероятность и статистика"), 0.85),
    Specialty("учитель английского языка", ("Английский язык",), 0.93, split=True),
    Specialty("учитель информатики", ("Информатика",), 0.5, split=True),
    Specialty("учитель истории и обществознания", ("История", "Обществознание"), 0.75),
    Specialty("учитель географии", ("География",), 0.85),
    Specialty("учитель биологии", ("Биология",), 0.9),
    Specialty("учитель физики", ("Физика",), 0.6),
    Specialty("учитель химии", ("Химия",), 0.9),
    Specialty("учитель музыки", ("Музыка",), 0.85),
    Specialty("учитель изобразительного искусства", ("Изобразительное искусство",), 0.85),
    Specialty("учитель технологии", ("Технология",), 0.5),
    Specialty("учитель физической культуры", ("Физическая культура",), 0.45),
    Specialty("преподаватель-организатор ОБЗР", ("Основы безопасности и защиты Родины",), 0.2),
)
_SPECIALTY_OF = {subject: i for i, s in enumerate(SPECIALTIES) for subject in s.subjects}

# The demo logins: (login, role codes; the first names the row in the printed table).
DEMO_ACCOUNTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("admin", ("admin",)),
    ("zavuch", ("deputy",)),
    ("uchitel", ("teacher",)),
    ("klruk", ("class_teacher", "teacher")),
    ("sekretar", ("secretary",)),
    ("arhivist", ("archivist",)),
    ("nablyudatel", ("observer",)),
    ("roditel", ("parent",)),
    ("uchenik", ("student",)),
    ("medsestra", ("nurse",)),
)
DEMO_LOGINS = tuple(login for login, _ in DEMO_ACCOUNTS)
_ROLE_NAMES = {r.code: r.name for r in ROLES}


# --- the plan: pure Python, deterministic --------------------------------------------------


@dataclass
class PlannedPerson:
    last_name: str
    first_name: str
    middle_name: str
    sex: str  # «м» / «ж», as the person table keeps it
    birth_date: date

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name} {self.middle_name}"


@dataclass
class PlannedClass:
    grade: int
    letter: str
    size: int
    class_teacher: int = -1  # person index

    @property
    def name(self) -> str:
        return f"{self.grade}{self.letter}"


@dataclass
class Family:
    parents: list[tuple[int, str]]  # (person index, kind: мать / отец / опекун)
    children: list[int]


@dataclass
class DemoPlan:
    """Everything the demo school consists of; people and classes are referred to by their
    index in ``people`` and ``classes``, and become ids only when written."""

    size: str
    seed: int
    people: list[PlannedPerson] = field(default_factory=list)
    classes: list[PlannedClass] = field(default_factory=list)
    staff: list[tuple[int, str, date]] = field(default_factory=list)  # person, post, hired on
    teachers: list[int] = field(default_factory=list)
    # teacher, subject (index in SUBJECTS), class, hours a week
    loads: list[tuple[int, int, int, int]] = field(default_factory=list)
    enrolments: list[tuple[int, int, str]] = field(default_factory=list)  # student, class, order
    families: list[Family] = field(default_factory=list)
    accounts: list[tuple[str, int, tuple[str, ...]]] = field(default_factory=list)
    # Subgroups of large classes for split subjects: (class, subject, number 1 or 2); each
    # load says which subgroup it is for (index into ``subgroups``, or -1 for the whole class).
    subgroups: list[tuple[int, int, int]] = field(default_factory=list)
    load_group: list[int] = field(default_factory=list)
    # Cross-class groups: (name, kind, subject or -1, teacher or -1, hours, members).
    cross_groups: list[tuple[str, str, int, int, int, list[int]]] = field(default_factory=list)
    transfers: list[tuple[int, int, int, date]] = field(default_factory=list)  # pupil, from, to
    withdrawals: list[tuple[int, int, date, str]] = field(default_factory=list)  # pupil, class
    consents: list[tuple[int, int, date]] = field(default_factory=list)  # whose, signed by, on
    health: list[tuple[int, str, str]] = field(default_factory=list)  # pupil, health, PE group
    snils: dict[int, str] = field(default_factory=dict)
    phones: dict[int, str] = field(default_factory=dict)
    # Last year's pupils who finished school (9th and 11th grades): person, grade, letter.
    leavers: list[tuple[int, int, str]] = field(default_factory=list)
    person_ids: list[int] = field(default_factory=list)  # filled when written

    @property
    def parent_links(self) -> list[tuple[int, int, str]]:
        return [(p, c, kind) for f in self.families for p, kind in f.parents for c in f.children]

    def counts(self) -> dict[str, int]:
        return {
            "classes": len(self.classes),
            "students": len(self.enrolments),
            "parents": sum(len(f.parents) for f in self.families),
            "teachers": len(self.teachers),
            "administration": len(self.staff) - len(self.teachers),
            "people": len(self.people),
            "subjects": len(SUBJECTS),
            "teaching_load": len(self.loads),
            "parent_links": len(self.parent_links),
            "accounts": len(self.accounts),
            "groups": len(self.subgroups) + len(self.cross_groups),
            "movements": len(self.transfers) + len(self.withdrawals),
        }


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _years(n: float) -> timedelta:
    return timedelta(days=round(n * 365.25))


def birth_window(grade: int) -> tuple[date, date]:
    """Birth dates of a class of ``grade`` this year: a first-former is 6 y 10 m to 8 y 2 m
    old on 1 September."""
    cohort = date(YEAR_START.year - 7 - grade, 9, 1)
    return cohort - timedelta(days=60), cohort + timedelta(days=400)


class _Planner:
    def __init__(self, size: str, seed: int) -> None:
        if size not in SIZES:
            raise Refused(f"Неизвестный размер школы «{size}»: выберите S, M или L")
        self.spec = SIZES[size]
        self.rng = random.Random(seed)
        self.plan = DemoPlan(size, seed)

    # people

    def person(self, male_surname: str, sex: str, first_name: str, father: str,
               born: date) -> int:
        female = sex == "ж"
        self.plan.people.append(PlannedPerson(names.surname(male_surname, female), first_name,
                                              names.patronymic(father, female), sex, born))
        return len(self.plan.people) - 1

    def adult(self, female_share: float, born_from: date, born_to: date) -> int:
        rng = self.rng
        sex = "ж" if rng.random() < female_share else "м"
        first = rng.choice(names.WOMEN if sex == "ж" else names.MEN)
        return self.person(rng.choice(names.SURNAMES), sex, first,
                           rng.choice(names.GRANDFATHERS), _day_between(rng, born_from, born_to))

    def employ(self, post: str, female_share: float,
               born: tuple[date, date] = (date(1958, 1, 1), date(2002, 12, 31))) -> int:
        """A new member of staff with a plausible age and hiring date (late August)."""
        index = self.adult(female_share, *born)
        graduated = self.plan.people[index].birth_date.year + 22
        hired = self.rng.randint(max(1985, graduated), YEAR_START.year)
        self.plan.staff.append((index, post, date(hired, 8, self.rng.randint(20, 31))))
        return index

    # the school

    def classes(self) -> None:
        rng, spec = self.rng, self.spec
        grades = [(g, LETTERS[i]) for g, n in sorted(spec.classes_per_grade.items())
                  for i in range(n)]
        # Senior classes (10–11) are smaller: many pupils leave after the 9th grade.
        sizes = [rng.randint(25, 31) if g <= 9 else rng.randint(21, 27) for g, _ in grades]
        while (gap := spec.students - sum(sizes)) != 0:
            i, step = rng.randrange(len(sizes)), (1 if gap > 0 else -1)
            if 18 <= sizes[i] + step <= 34:
                sizes[i] += step
        self.plan.classes = [PlannedClass(g, letter, n)
                             for (g, letter), n in zip(grades, sizes, strict=True)]

    def administration(self) -> dict[str, int]:
        """The head, deputies and office staff, and the observer from the education
        authority (not on the staff). Returns the persons that get demo logins."""
        self.employ("директор", 0.7, (date(1962, 1, 1), date(1982, 12, 31)))
        deputies = [self.employ("заместитель директора по учебно-воспитательной работе", 0.85,
                                (date(1965, 1, 1), date(1990, 12, 31)))
                    for _ in range(self.spec.deputies)]
        return {
            "zavuch": deputies[0],
            "admin": self.employ("системный администратор", 0.2),
            "sekretar": self.employ("секретарь учебной части", 0.95),
            "arhivist": self.employ("архивариус", 0.9),
            "nablyudatel": self.adult(0.8, date(1965, 1, 1), date(1995, 12, 31)),
        }

    def teaching(self) -> None:
        """Teachers and teaching load («учебная нагрузка») for every class's curriculum."""
        plan = self.plan
        # specialty → blocks (class, [(subject, hours)]), one per group the class splits into.
        blocks: dict[int, list[tuple[int, list[tuple[int, int]]]]] = defaultdict(list)
        for ci, c in enumerate(plan.classes):
            own: dict[int, list[tuple[int, int]]] = defaultdict(list)
            primary: list[tuple[int, int]] = []
            for name, _, hours in _CURRICULUM:
                h = hours[c.grade - 1]
                if not h:
                    continue
                lesson = (_SUBJECT_INDEX[name], h)
                if c.grade <= 4 and name in PRIMARY.subjects:
                    primary.append(lesson)
                else:
                    own[_SPECIALTY_OF[name]].append(lesson)
            if primary:
                teacher = self.employ(PRIMARY.post, PRIMARY.female_share)
                plan.teachers.append(teacher)
                c.class_teacher = teacher
                plan.loads += [(teacher, s, ci, h) for s, h in primary]
                plan.load_group += [-1] * len(primary)
            for sp, lessons in own.items():
                if SPECIALTIES[sp].split and c.size >= SPLIT_FROM:
                    blocks[sp] += [(ci, lessons, 1), (ci, lessons, 2)]
                else:
                    blocks[sp] += [(ci, lessons, 0)]

        hours = {sp: sum(h for _, lessons, _ in bl for _, h in lessons)
                 for sp, bl in blocks.items()}
        # Enough teachers to keep everyone under MAX_LOAD, and two where a class is split.
        need = {sp: max(math.ceil(hours[sp] / MAX_LOAD), *Counter(ci for ci, _, _ in bl).values())
                for sp, bl in blocks.items()}
        if self.spec.teachers is not None:
            extra = self.spec.teachers - len(plan.teachers) - sum(need.values())
            if extra < 0:
                raise AssertionError(f"size {plan.size}: the curriculum needs more teachers")
            for _ in range(extra):  # each extra teacher goes where the load per head is highest
                busiest = max(sorted(need), key=lambda sp: hours[sp] / need[sp])
                need[busiest] += 1

        for sp in sorted(blocks):
            team = [self.employ(SPECIALTIES[sp].post, SPECIALTIES[sp].female_share)
                    for _ in range(need[sp])]
            plan.teachers += team
            load = dict.fromkeys(team, 0)
            teaching: dict[int, set[int]] = defaultdict(set)  # class → teachers of this specialty
            for ci, lessons, number in blocks[sp]:
                # The least busy teacher, never the one who already has the other group.
                teacher = min((t for t in team if t not in teaching[ci]), key=load.__getitem__)
                teaching[ci].add(teacher)
                load[teacher] += sum(h for _, h in lessons)
                plan.loads += [(teacher, s, ci, h) for s, h in lessons]
                for subject, _ in lessons:
                    if number:
                        plan.subgroups.append((ci, subject, number))
                    plan.load_group.append(len(plan.subgroups) - 1 if number else -1)
        self.class_teachers()

    def class_teachers(self) -> None:
        """A class teacher («классный руководитель») for every class from the 5th grade up:
        of the teachers who teach it, the one with most hours who leads no other class."""
        plan = self.plan
        hours: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for teacher, _, ci, h in plan.loads:
            hours[ci][teacher] += h
        leading = {c.class_teacher for c in plan.classes}
        for ci, c in enumerate(plan.classes):
            if c.class_teacher >= 0:
                continue
            free = [t for t in hours[ci] if t not in leading] or [
                t for t in plan.teachers if t not in leading]
            c.class_teacher = max(free, key=lambda t: (hours[ci].get(t, 0), -t))
            leading.add(c.class_teacher)

    def families(self) -> None:
        """Pupils and their parents. Seats are shuffled and grouped into families; about one
        family in thirteen has two or three children, at least two grades apart."""
        rng, plan = self.rng, self.plan
        seats = [ci for ci, c in enumerate(plan.classes) for _ in range(c.size)]
        rng.shuffle(seats)
        placed = [False] * len(seats)
        for i, ci in enumerate(seats):
            if placed[i]:
                continue
            placed[i] = True
            members = [ci]
            if rng.random() < SIBLING_FAMILIES:
                wanted = 3 if rng.random() < 0.1 else 2
                for j in range(i + 1, min(len(seats), i + 100)):
                    if len(members) == wanted:
                        break
                    grade = plan.classes[seats[j]].grade
                    if not placed[j] and all(abs(grade - plan.classes[m].grade) >= 2
                                             for m in members):
                        placed[j] = True
                        members.append(seats[j])
            self.family(members)

    def family(self, class_indexes: list[int]) -> None:
        rng, plan = self.rng, self.plan
        kids = sorted(class_indexes, key=lambda ci: -plan.classes[ci].grade)  # eldest first
        births: list[date] = []
        for ci in kids:
            first, last = birth_window(plan.classes[ci].grade)
            if births:  # a younger sibling is born at least 11 months after the elder one
                first = max(first, births[-1] + timedelta(days=330))
            births.append(_day_between(rng, first, last))
        eldest = births[0]
        surname = rng.choice(names.SURNAMES)
        father_name = rng.choice(names.MEN)  # the children's patronymic even if he is not here
        roll = rng.random()
        shape = ("both" if roll < 0.75 else "mother" if roll < 0.94
                 else "father" if roll < 0.97 else "guardian")
        parents: list[tuple[int, str]] = []
        mother_born = eldest - timedelta(days=rng.randint(20 * 365, 36 * 365))
        if shape in ("both", "mother"):
            # One married mother in ten kept her own surname.
            own = shape == "both" and rng.random() < 0.1
            parents.append((self.person(rng.choice(names.SURNAMES) if own else surname, "ж",
                                        rng.choice(names.WOMEN), rng.choice(names.GRANDFATHERS),
                                        mother_born), "мать"))
        if shape in ("both", "father"):
            born = min(mother_born - timedelta(days=rng.randint(-365, 7 * 365)),
                       eldest - _years(20))
            parents.append((self.person(surname, "м", father_name,
                                        rng.choice(names.GRANDFATHERS), born), "отец"))
        if shape == "guardian":  # a grandmother bringing the children up
            born = eldest - timedelta(days=rng.randint(42 * 365, 58 * 365))
            parents.append((self.person(surname, "ж", rng.choice(names.WOMEN),
                                        rng.choice(names.GRANDFATHERS), born), "опекун"))
        children = []
        for ci, born in zip(kids, births, strict=True):
            sex = "м" if rng.random() < 0.51 else "ж"
            pool = names.BOYS if sex == "м" else names.GIRLS
            taken = {plan.people[c].first_name for c in children}
            first = rng.choice([n for n in pool if n not in taken])
            child = self.person(surname, sex, first, father_name, born)
            children.append(child)
            order = ENROLMENT_ORDER.format(number=100 + plan.classes[ci].grade)
            plan.enrolments.append((child, ci, order))
        plan.families.append(Family(parents, children))

    def demo_accounts(self, office: dict[str, int]) -> None:
        """Pick the people behind the demo logins so that they meet: the pupil is in the class
        teacher's class, the parent is the pupil's (with another child in the school if any
        family has one), the subject teacher teaches that class and leads none."""
        plan = self.plan
        enrolled = {student: ci for student, ci, _ in plan.enrolments}

        def fit(f: Family) -> tuple[bool, bool, bool]:
            return (len(f.children) > 1, len(f.parents) == 2,
                    any(5 <= plan.classes[enrolled[c]].grade <= 9 for c in f.children))

        family = max(plan.families, key=fit)  # the first of the best: deterministic
        pupil = next((c for c in family.children if 5 <= plan.classes[enrolled[c]].grade <= 9),
                     family.children[0])
        cls = enrolled[pupil]
        leading = {c.class_teacher for c in plan.classes}
        in_class: dict[int, int] = defaultdict(int)
        for teacher, _, ci, h in plan.loads:
            if ci == cls and teacher not in leading:
                in_class[teacher] += h
        if not in_class:  # cannot happen with these curricula; keep the promise anyway
            in_class = {t: 0 for t, _, _, _ in plan.loads if t not in leading}
        teacher = max(in_class, key=lambda t: (in_class[t], -t))
        people = {**office, "uchitel": teacher, "klruk": plan.classes[cls].class_teacher,
                  "roditel": family.parents[0][0], "uchenik": pupil}
        plan.accounts = [(login, people[login], roles) for login, roles in DEMO_ACCOUNTS]


class _Life:
    """What happens to the school after the plan above: groups across classes, movement
    during the year, consents, the health sheet, the nurse. Drawn from a random generator of
    its own, so that the people above stay what they were before this existed."""

    def __init__(self, planner: _Planner, seed: int) -> None:
        self.planner = planner
        self.plan = planner.plan
        self.rng = random.Random(f"{seed}-life")
        planner.rng = self.rng  # the nurse is hired with this generator too

    def pupils_of_grades(self, grades: range) -> list[int]:
        plan = self.plan
        return [s for s, ci, _ in plan.enrolments if plan.classes[ci].grade in grades]

    def teacher_of(self, subject: str) -> int:
        index = _SUBJECT_INDEX[subject]
        found = sorted({t for t, s, _, _ in self.plan.loads if s == index})
        return found[0] if found else -1

    def cross_class_groups(self) -> None:
        """Extended-day groups for the youngest, a club and an elective (R-JOURNAL-1)."""
        plan, rng = self.plan, self.rng
        for grade in (1, 2):
            pupils = self.pupils_of_grades(range(grade, grade + 1))
            if pupils:
                members = sorted(rng.sample(pupils, max(1, len(pupils) * 2 // 5)))
                plan.cross_groups.append((f"ГПД, {grade} классы", "gpd", -1, -1, 0, members))
        for name, kind, subject, grades, size in (
                ("Робототехника", "club", "Информатика", range(5, 8), 14),
                ("Финансовая грамотность", "elective", "Обществознание", range(10, 12), 16)):
            pupils = self.pupils_of_grades(grades)
            teacher = self.teacher_of(subject)
            if pupils and teacher >= 0:
                members = sorted(rng.sample(pupils, min(size, len(pupils))))
                plan.cross_groups.append((name, kind, _SUBJECT_INDEX[subject], teacher, 1,
                                          members))

    def movement(self) -> None:
        """A few pupils move to a parallel class, a few leave the school (R-ORG-3). The demo
        logins' families stay where they are, so the guided tour stays true."""
        plan, rng = self.plan, self.rng
        keep = {p for login, p, _ in plan.accounts}
        for family in plan.families:
            if keep & ({p for p, _ in family.parents} | set(family.children)):
                keep |= set(family.children)
        class_of = {s: ci for s, ci, _ in plan.enrolments}
        by_grade: dict[int, list[int]] = defaultdict(list)
        for ci, c in enumerate(plan.classes):
            by_grade[c.grade].append(ci)
        moved: set[int] = set()

        def someone_from(ci: int) -> int | None:
            pupils = sorted(s for s, c in class_of.items()
                            if c == ci and s not in keep and s not in moved)
            return rng.choice(pupils) if pupils else None

        for grade in sorted(by_grade):
            classes = by_grade[grade]
            if len(classes) > 1 and rng.random() < 0.5:
                source, target = rng.sample(classes, 2)
                if (pupil := someone_from(source)) is not None:
                    moved.add(pupil)
                    plan.transfers.append((pupil, source, target,
                                           _day_between(rng, MOVES_FROM, MOVES_TO)))
        for ci in range(len(plan.classes)):
            if rng.random() < 0.35 and (pupil := someone_from(ci)) is not None:
                moved.add(pupil)
                plan.withdrawals.append((pupil, ci, _day_between(rng, MOVES_FROM, MOVES_TO),
                                         rng.choice(WITHDRAWAL_REASONS)))

    def records(self) -> None:
        """Consents (almost every family signed in the first week), the health sheet, SNILS
        of the pupils and the parents' phones."""
        plan, rng = self.plan, self.rng
        for family in plan.families:
            for child in family.children:
                plan.snils[child] = snils_number(rng)
                health = _weighted(rng, HEALTH_GROUPS)
                pe = "основная" if health == "I" else _weighted(rng, PE_GROUPS)
                plan.health.append((child, health, pe))
            for parent, _ in family.parents:
                plan.phones[parent] = (f"+7 9{rng.randint(0, 99):02d} {rng.randint(100, 999)}-"
                                       f"{rng.randint(10, 99)}-{rng.randint(10, 99)}")
            if not family.parents or rng.random() < 0.04:
                continue  # the office is still waiting for this family's form
            signer = family.parents[0][0]
            day = _day_between(rng, date(2026, 9, 1), date(2026, 9, 7))
            for person in [signer, *family.children]:
                plan.consents.append((person, signer, day))

    def nurse(self) -> None:
        nurse = self.planner.employ("медицинская сестра", 0.95)
        plan = self.plan
        plan.accounts = [(login, nurse if login == "medsestra" else p, roles)
                         for login, p, roles in plan.accounts]


def _weighted(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    roll, total = rng.random(), 0.0
    for value, share in choices:
        total += share
        if roll < total:
            return value
    return choices[-1][0]


def snils_number(rng: random.Random) -> str:
    """A made-up SNILS with a correct check number («123-456-789 01»)."""
    digits = [rng.randint(0, 9) for _ in range(9)]
    digits[0] = rng.randint(1, 9)  # numbers up to 001-001-998 are not checked: avoid them
    total = sum(d * (9 - i) for i, d in enumerate(digits))
    check = total if total < 100 else 0 if total in (100, 101) else total % 101 % 100
    text = "".join(map(str, digits))
    return f"{text[:3]}-{text[3:6]}-{text[6:]} {check:02d}"


def plan_school(size: str, seed: int) -> DemoPlan:
    """The whole demo school for ``size`` ("S", "M", "L") and ``seed``, without touching the
    database. The same arguments always give the same plan."""
    planner = _Planner(size, seed)
    planner.classes()
    office = planner.administration()
    planner.teaching()
    planner.families()
    planner.demo_accounts({**office, "medsestra": -1})
    life = _Life(planner, seed)
    life.cross_class_groups()
    life.movement()
    life.records()
    life.nurse()
    from service.demo_journal import plan_leavers

    planner.plan.leavers = plan_leavers(planner, seed)
    return planner.plan


# --- writing ------------------------------------------------------------------------------


async def _write(plan: DemoPlan, password_hash: str, moment: datetime) -> list[str]:
    """Write the plan inside the caller's transaction; returns the demo logins created (those
    already taken by real accounts are left alone)."""
    await do_sync_rights(Actor.system(ACTOR))  # the demo roles must exist; a no-op once they do
    roles = {r["code"]: r["id"] for r in await Role.select(Role.code, Role.id).run()}

    [year] = await reserve_ids(AcademicYear, 1)
    await bulk_insert(AcademicYear, (AcademicYear.id, AcademicYear.name, AcademicYear.starts_on,
                                      AcademicYear.ends_on, AcademicYear.is_current),
                       [(year, YEAR_NAME, YEAR_START, YEAR_END, True)])

    # Subjects someone already entered by hand are reused, not duplicated (names are unique).
    subject_ids = {r["name"]: r["id"] for r in await Subject.select(Subject.name, Subject.id).run()}
    missing = [(name, short) for name, short in SUBJECTS if name not in subject_ids]
    new_ids = await reserve_ids(Subject, len(missing))
    subject_ids |= {name: i for i, (name, _) in zip(new_ids, missing, strict=True)}
    await bulk_insert(Subject, (Subject.id, Subject.name, Subject.short_name),
                       [(subject_ids[name], name, short) for name, short in missing])
    subject = [subject_ids[name] for name, _ in SUBJECTS]

    person = await reserve_ids(Person, len(plan.people))
    plan.person_ids = person
    await bulk_insert(Person, (Person.id, Person.last_name, Person.first_name, Person.middle_name,
                                Person.sex, Person.birth_date, Person.created_at, Person.snils,
                                Person.phone),
                       [(person[i], p.last_name, p.first_name, p.middle_name, p.sex, p.birth_date,
                         moment, plan.snils.get(i, ""), plan.phones.get(i, ""))
                        for i, p in enumerate(plan.people)])

    school_class = await reserve_ids(SchoolClass, len(plan.classes))
    await bulk_insert(SchoolClass, (SchoolClass.id, SchoolClass.year, SchoolClass.grade,
                                     SchoolClass.letter, SchoolClass.name,
                                     SchoolClass.class_teacher, SchoolClass.created_at,
                                     SchoolClass.week_days),
                       [(school_class[i], year, c.grade, c.letter, c.name, person[c.class_teacher],
                         moment, 6 if c.grade >= SIX_DAY_FROM else 5)
                        for i, c in enumerate(plan.classes)])
    await bulk_insert(StaffMember, (StaffMember.person, StaffMember.post, StaffMember.starts_on,
                                     StaffMember.ends_on),
                       [(person[p], post, hired, None) for p, post, hired in plan.staff])
    await _write_calendar(year)
    group = await _write_groups(plan, year, subject, school_class, moment)
    await bulk_insert(TeachingLoad, (TeachingLoad.teacher, TeachingLoad.subject,
                                      TeachingLoad.school_class, TeachingLoad.study_group,
                                      TeachingLoad.hours_per_week, TeachingLoad.starts_on,
                                      TeachingLoad.ends_on),
                       [(person[t], subject[s], None if g >= 0 else school_class[c],
                         group[g] if g >= 0 else None, h, YEAR_START, None)
                        for (t, s, c, h), g in zip(plan.loads, plan.load_group, strict=True)]
                       + [(person[t], subject[s], None, group[len(plan.subgroups) + i], h,
                           YEAR_START, None)
                          for i, (_, _, s, t, h, _) in enumerate(plan.cross_groups) if t >= 0])
    await _write_movement(plan, person, school_class, group, moment)
    await bulk_insert(ParentLink, (ParentLink.parent, ParentLink.child, ParentLink.kind,
                                    ParentLink.is_legal_representative, ParentLink.created_at),
                       [(person[p], person[c], kind, True, moment)
                        for p, c, kind in plan.parent_links])
    await _write_records(plan, person, moment)

    taken = {r["login"] for r in await Account.select(Account.login)
             .where(Account.login.is_in(list(DEMO_LOGINS))).run()}
    accounts = [a for a in plan.accounts if a[0] not in taken]
    account = await reserve_ids(Account, len(accounts))
    await bulk_insert(Account, (Account.id, Account.person, Account.login, Account.password_hash,
                                 Account.is_active, Account.created_at, Account.last_login_at),
                       [(account[i], person[p], login, password_hash, True, moment, None)
                        for i, (login, p, _) in enumerate(accounts)])
    await bulk_insert(AccountRole, (AccountRole.account, AccountRole.role),
                       [(account[i], roles[code]) for i, (_, _, codes) in enumerate(accounts)
                        for code in codes])
    return [login for login, _, _ in accounts]


async def _write_calendar(year: int) -> None:
    await bulk_insert(StudyPeriod, (StudyPeriod.year, StudyPeriod.scheme, StudyPeriod.number,
                                    StudyPeriod.name, StudyPeriod.grade_from, StudyPeriod.grade_to,
                                    StudyPeriod.starts_on, StudyPeriod.ends_on),
                      [(year, *period) for period in PERIODS])
    await bulk_insert(CalendarDay, (CalendarDay.year, CalendarDay.kind, CalendarDay.name,
                                    CalendarDay.grade_from, CalendarDay.grade_to,
                                    CalendarDay.starts_on, CalendarDay.ends_on),
                      [(year, *day) for day in CALENDAR_DAYS])


async def _write_groups(plan: DemoPlan, year: int, subject: list[int], school_class: list[int],
                        moment: datetime) -> list[int]:
    """Subgroups, then cross-class groups; returns their ids in that order."""
    ids = await reserve_ids(StudyGroup, len(plan.subgroups) + len(plan.cross_groups))
    rows = [(ids[i], year, f"{plan.classes[ci].name} {SUBJECTS[s][1]}, {n} группа", "subgroup",
             school_class[ci], subject[s], moment)
            for i, (ci, s, n) in enumerate(plan.subgroups)]
    rows += [(ids[len(plan.subgroups) + i], year, name, kind, None,
              subject[s] if s >= 0 else None, moment)
             for i, (name, kind, s, _, _, _) in enumerate(plan.cross_groups)]
    await bulk_insert(StudyGroup, (StudyGroup.id, StudyGroup.year, StudyGroup.name,
                                   StudyGroup.kind, StudyGroup.school_class, StudyGroup.subject,
                                   StudyGroup.created_at), rows)
    return ids


async def _write_movement(plan: DemoPlan, person: list[int], school_class: list[int],
                          group: list[int], moment: datetime) -> None:
    """The order book: the enrolment orders of 31 August (one per grade), then the transfers
    and withdrawals of the autumn, each an order with its line; enrolments and group
    memberships as dated intervals that those orders open and close (R-ORG-3)."""
    grades = sorted({plan.classes[ci].grade for _, ci, _ in plan.enrolments})
    moves = sorted([(day, "transfer", pupil, source, target)
                    for pupil, source, target, day in plan.transfers]
                   + [(day, "withdraw", pupil, ci, reason)
                      for pupil, ci, day, reason in plan.withdrawals])
    order = await reserve_ids(SchoolOrder, len(grades) + len(moves))
    rows = [(order[i], f"{100 + g}-у", ENROLMENT_ORDER_DATE, "enrol",
             f"О зачислении обучающихся {g} классов на {YEAR_NAME} учебный год", moment)
            for i, g in enumerate(grades)]
    for k, (day, kind, _pupil, source, extra) in enumerate(moves):
        # Titles name classes, not people: a name in a title would need declension.
        title = (f"О переводе из {plan.classes[source].name} в {plan.classes[extra].name} класс"
                 if kind == "transfer" else
                 f"Об отчислении из {plan.classes[source].name} класса ({extra})")
        rows.append((order[len(grades) + k], f"{201 + k}-у", day - timedelta(days=1), kind,
                     title, moment))
    await bulk_insert(SchoolOrder, (SchoolOrder.id, SchoolOrder.number, SchoolOrder.dated,
                                    SchoolOrder.kind, SchoolOrder.title, SchoolOrder.created_at),
                      rows)
    enrol_order = {g: order[i] for i, g in enumerate(grades)}

    ends: dict[int, date] = {}  # pupil → last day in the first class
    later: list[tuple] = []  # enrolments the autumn opened
    lines = [(enrol_order[plan.classes[ci].grade], person[s], "enrol", None, school_class[ci],
              YEAR_START, "") for s, ci, _ in plan.enrolments]
    for k, (day, kind, pupil, source, extra) in enumerate(moves):
        ref = order[len(grades) + k]
        ends[pupil] = day - timedelta(days=1)
        if kind == "transfer":
            later.append((person[pupil], school_class[extra], day, None, ref))
            lines.append((ref, person[pupil], "transfer", school_class[source],
                          school_class[extra], day, "по заявлению родителей"))
        else:
            lines.append((ref, person[pupil], "withdraw", school_class[source], None, day, extra))
    await bulk_insert(Movement, (Movement.school_order, Movement.student, Movement.kind,
                                 Movement.from_class, Movement.to_class, Movement.on_date,
                                 Movement.reason), lines)
    await bulk_insert(Enrolment, (Enrolment.student, Enrolment.school_class, Enrolment.starts_on,
                                  Enrolment.ends_on, Enrolment.order_ref, Enrolment.school_order),
                      [(person[s], school_class[ci], YEAR_START, ends.get(s), ref,
                        enrol_order[plan.classes[ci].grade]) for s, ci, ref in plan.enrolments]
                      + [(p, c, day, None, "", ref) for p, c, day, _, ref in later])

    # Subgroups: the first half of a class (by the order of the register) is group 1. A pupil
    # who moves leaves their subgroups on the day and joins group 1 of the new class.
    pupils: dict[int, list[int]] = defaultdict(list)
    for s, ci, _ in plan.enrolments:
        pupils[ci].append(s)
    register = {ci: sorted(found, key=lambda s: (plan.people[s].last_name,
                                                  plan.people[s].first_name))
                for ci, found in pupils.items()}
    first_group = {(ci, s): i for i, (ci, s, n) in enumerate(plan.subgroups) if n == 1}
    members = []
    for i, (ci, _, number) in enumerate(plan.subgroups):
        half = (len(register[ci]) + 1) // 2
        chosen = register[ci][:half] if number == 1 else register[ci][half:]
        members += [(group[i], person[s], YEAR_START, ends.get(s), None) for s in chosen]
    for pupil, _, target, day in plan.transfers:
        subjects = {s for ci, s, _ in plan.subgroups if ci == target}
        members += [(group[first_group[(target, s)]], person[pupil], day, None, None)
                    for s in sorted(subjects)]
    for i, (_, _, _, _, _, chosen) in enumerate(plan.cross_groups):
        members += [(group[len(plan.subgroups) + i], person[s], YEAR_START, ends.get(s), None)
                    for s in chosen]
    await bulk_insert(GroupMember, (GroupMember.study_group, GroupMember.student,
                                    GroupMember.starts_on, GroupMember.ends_on,
                                    GroupMember.school_order), members)


async def _write_records(plan: DemoPlan, person: list[int], moment: datetime) -> None:
    """Consents and the health sheet."""
    await bulk_insert(Consent, (Consent.person, Consent.signed_by, Consent.scope,
                                Consent.given_on, Consent.document_ref, Consent.created_at),
                      [(person[p], person[by], CONSENT_SCOPE, day, "заявление в личном деле",
                        moment) for p, by, day in plan.consents])
    await bulk_insert(HealthRecord, (HealthRecord.student, HealthRecord.health_group,
                                     HealthRecord.pe_group, HealthRecord.recommendations,
                                     HealthRecord.valid_from, HealthRecord.created_at),
                      [(person[s], health, pe, PE_ADVICE.get(pe, ""), YEAR_START, moment)
                       for s, health, pe in plan.health])


# --- the interface the CLI calls ----------------------------------------------------------


@dataclass
class DemoLogins:
    """Demo logins to print: (role in Russian, login, password, full name)."""

    logins: list[tuple[str, str, str, str]]


@dataclass
class DemoResult(DemoLogins):
    size: str
    seed: int
    counts: dict[str, int]
    seconds: float
    taken: list[str]  # demo logins that already belonged to someone and were left alone

    def summary(self) -> str:
        c = self.counts
        text = (
            f"Демонстрационная школа создана за {self.seconds:.1f} с".replace(".", ",")
            + f" (размер {self.size}, зерно {self.seed}): учебный год {YEAR_NAME}, "
            f"{count(c['classes'], 'класс', 'класса', 'классов')}, "
            f"{count(c['students'], 'ученик', 'ученика', 'учеников')}, "
            f"{count(c['parents'], 'родитель', 'родителя', 'родителей')} и опекунов, "
            f"{count(c['teachers'], 'учитель', 'учителя', 'учителей')}, "
            f"{count(c['administration'], 'сотрудник', 'сотрудника', 'сотрудников')} "
            "администрации, "
            f"{count(c['subjects'], 'предмет', 'предмета', 'предметов')}, "
            f"{count(c['teaching_load'], 'строка', 'строки', 'строк')} учебной нагрузки, "
            + (f"расписание A/B: {count(c['lessons'], 'урок', 'урока', 'уроков')} на год, "
               f"{count(c['substitutions'], 'замена', 'замены', 'замен')} на этой неделе и следующей, "
               if c.get("lessons") else "")
            + (f"{count(c['message_threads'], 'переписка', 'переписки', 'переписок')} с учителями, "
               if c.get("message_threads") else "")
            + f"{count(c['accounts'], 'демо-вход', 'демо-входа', 'демо-входов')}."
        )
        if self.taken:
            text += (f" Логины {', '.join(self.taken)} уже были заняты: для них демо-входы "
                     "не созданы.")
        return text


def _login_rows(people: dict[int, str], logins: Sequence[str],
                persons: dict[str, int]) -> list[tuple[str, str, str, str]]:
    roles = dict(DEMO_ACCOUNTS)
    return [(_ROLE_NAMES[roles[login][0]], login, DEMO_PASSWORD, people[persons[login]])
            for login in DEMO_LOGINS if login in logins]


async def has_demo_school() -> bool:
    """Whether the database already holds a school (an academic year)."""
    return await AcademicYear.exists().run()


# What `ezh migrate` itself writes into a new database: the built-in roles and rights, their
# audit rows and the list of migrations. Anything else means the database is in use.
# The journal's grading systems, their marks and conversions and the kinds of work come from
# `ezh migrate` too (the journal domain's defaults).
_MIGRATE_FILLS = frozenset(t._meta.tablename for t in (Role, Permission, RolePermission,
                                                       AuditEvent)) | {
    "migration", "grading_system", "grading_mark", "grade_conversion", "work_kind"}


async def _refuse_unless_empty() -> None:
    """The demo school comes with logins whose password is printed in the documentation: it
    may only go into a new database, never next to real accounts or people. Every table but
    those `ezh migrate` fills must be empty — so a table a new domain adds is covered too."""
    year = await AcademicYear.select(AcademicYear.name).first().run()
    if year is not None:
        raise Refused(f"В базе уже есть школа (учебный год {year['name']}): демонстрационную "
                      "школу можно создать только в новой пустой базе. Ничего не изменено.")
    for table in all_tables():
        if table._meta.tablename not in _MIGRATE_FILLS and await table.exists().run():
            raise Refused(
                f"В базе уже есть данные (таблица {table._meta.tablename}): демонстрационную "
                "школу с общеизвестным паролем можно создать только в новой пустой базе, сразу "
                "после ezh migrate. Ничего не изменено.")


async def generate_demo_school(size: str, seed: int) -> DemoResult:
    """Create the demo school of ``size`` from ``seed`` in one transaction, audited as one
    event. Refuses, writing nothing, unless the database is new and empty."""
    started = time.perf_counter()
    await _refuse_unless_empty()
    plan = plan_school(size, seed)
    password_hash = await hash_password(DEMO_PASSWORD)  # once: argon2 is slow on purpose
    async with atomic():
        await _refuse_unless_empty()  # again, now inside the writing transaction
        created = await _write(plan, password_hash, datetime.now(UTC))
        timetable = await write_demo_timetable(seed, datetime.now(UTC))
        from service.demo_journal import write_demo_journal

        journal = await write_demo_journal(seed, datetime.now(UTC), plan.leavers, plan.person_ids)
        from service.diary.demo import write_demo_acknowledgements

        journal["acknowledgements"] = await write_demo_acknowledgements(seed, datetime.now(UTC))
        from service.messages.demo import write_demo_messages

        journal["message_threads"] = await write_demo_messages(seed, datetime.now(UTC))
        counts = plan.counts() | {"accounts": len(created), "lessons": timetable.get("lessons", 0),
                                  "substitutions": timetable.get("substitutions", 0),
                                  "grades": journal.get("grades", 0),
                                  "message_threads": journal.get("message_threads", 0)}
        await record(Actor.system(ACTOR), "school.demo_generated", "school", "",
                     new={**counts, "size": size, "seed": seed, "year": YEAR_NAME,
                          "logins": created, "timetable": timetable, "journal": journal})
    if is_postgres():  # fresh statistics for the planner after a bulk load (a year of lessons)
        await Lesson.raw("ANALYZE").run()
    people = {i: p.full_name for i, p in enumerate(plan.people)}
    persons = {login: p for login, p, _ in plan.accounts}
    return DemoResult(logins=_login_rows(people, created, persons), size=size, seed=seed,
                      counts=counts, seconds=time.perf_counter() - started,
                      taken=[login for login in DEMO_LOGINS if login not in created])


async def stored_logins() -> DemoLogins:
    """The demo logins that exist and still have the demo password, for printing again."""
    rows = await Account.select(
        Account.login, Account.password_hash, Account.person,
        *(getattr(Account.person, f) for f in ("last_name", "first_name", "middle_name")),
    ).where(Account.login.is_in(list(DEMO_LOGINS))).run()
    checked: dict[str, bool] = {}
    for row in rows:  # the demo accounts share one hash, so this is usually one check
        stored = row["password_hash"]
        if stored not in checked:
            checked[stored] = await anyio.to_thread.run_sync(_is_demo_password, stored)
    demo = [r for r in rows if checked[r["password_hash"]]]
    people = {r["person"]: " ".join(filter(None, (r["person.last_name"], r["person.first_name"],
                                                  r["person.middle_name"]))) for r in demo}
    return DemoLogins(_login_rows(people, [r["login"] for r in demo],
                                  {r["login"]: r["person"] for r in demo}))


async def demo_password_logins() -> list[str]:
    """Active accounts that can be entered with the public demo password, by login.

    argon2 costs tens of milliseconds a verification on purpose, so a school's thousands of
    accounts are not all tried. Only hashes that can be the generator's are: those of the demo
    logins, and any hash shared by two or more accounts (salted hashes of real passwords never
    repeat; the generator gives every demo login the same one). That is usually one
    verification; every active account holding a matching hash is then found by equality, so a
    renamed demo login is caught too."""
    by_login = await Account.select(Account.password_hash).where(
        Account.login.is_in(list(DEMO_LOGINS))).run()
    shared = await Account.raw("SELECT password_hash FROM account GROUP BY password_hash "
                               "HAVING count(*) > 1").run()
    candidates = {r["password_hash"] for r in (*by_login, *shared)}
    public = [h for h in candidates if await anyio.to_thread.run_sync(_is_demo_password, h)]
    if not public:
        return []
    rows = await Account.select(Account.login).where(
        Account.password_hash.is_in(public) & Account.is_active.eq(True)
    ).order_by(Account.login).run()
    return [r["login"] for r in rows]


async def check_demo_password(report) -> None:
    """`ezh check`: СБОЙ while anyone can sign in with the password printed in the docs."""
    logins = await demo_password_logins()
    if not logins:
        report(True, "демо-пароль", "ни у одной действующей учётной записи нет пароля демо-школы")
        return
    shown = ", ".join(logins[:10]) + (" …" if len(logins) > 10 else "")
    report(False, "демо-пароль",
           f"у {count(len(logins), 'учётной записи', 'учётных записей', 'учётных записей')} "
           f"({shown}) общеизвестный пароль демо-школы {DEMO_PASSWORD}: войти под ними может "
           "любой. Смените им пароли (ezh reset-code --login …) или отключите их на странице "
           "«Пользователи»")


def _is_demo_password(stored: str) -> bool:
    try:
        return PasswordHasher().verify(stored, DEMO_PASSWORD)
    except (VerificationError, InvalidHashError):
        return False


def print_logins(result: DemoLogins, *, server_running: bool = True,
                 port: int | None = None) -> None:
    """Print the demo logins as a table, with the address to open (and, after `ezh demo-data`,
    which starts nothing, how to start the server first)."""
    url = f"http://127.0.0.1:{port or get_settings().server.port}"
    opening = (f"Откройте {url}" if server_running else
               f"Запустите ЭЖ командой ezh serve, откройте {url}")
    if not result.logins:
        print(f"Демо-входов нет. {opening}.")
        return
    header = ("Роль", "Логин", "Пароль", "Имя")
    widths = [max(len(row[i]) for row in (header, *result.logins)) for i in range(3)]
    print()
    for role, login, password, name in (header, *result.logins):
        print(f"  {role:<{widths[0]}}  {login:<{widths[1]}}  {password:<{widths[2]}}  {name}")
    print(f"\n{opening} и войдите под любым из этих логинов.")
