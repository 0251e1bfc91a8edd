"""The demo school's journal (issue 9 item 10): the current year filled up to today — thematic
plans, every past lesson's topic, material and homework, attendance with doctors' notes,
grades by each pupil's ability, confirmed finals and the closing of the periods that are over —
and the previous school year complete and closed: its classes (this year's one grade lower,
and the 9th and 11th grades that finished school), period and year finals, exam results, the
pedagogical council's orders of promotion and graduation.

As in the rest of the demo, everything is decided in Python with ``random.Random`` seeded from
the demo's seed, then written in bulk (COPY on PostgreSQL) inside the generator's one
transaction; the generator's single audit row counts what this made.

How the two years fit: every pupil of this year's 2nd–11th grades sat last year in the class of
the same letter one grade lower; the May orders move them (``movement`` «promote», from last
year's class to this year's, from 1 September), while this year's enrolment rows keep their
31 August class lists. Last year's 11th grades and the 9th-graders who did not stay for the
10th grade are invented people who appear only in last year (``plan_leavers``)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache

from service import demo_names as names
from service.db import bulk_insert, reserve_ids
from service.journal import access, rules
from service.journal.tables import (
    AbsenceNote,
    Attendance,
    FinalGrade,
    Grade,
    GradingRule,
    JournalSetting,
    LessonEntry,
    PeriodClosing,
    PlanItem,
    ThematicPlan,
)
from service.school.tables import (
    AcademicYear,
    Enrolment,
    Movement,
    SchoolClass,
    SchoolOrder,
    StudyPeriod,
)
from service.settings import get_settings
from service.timetable.tables import Lesson

PREVIOUS_NAME = "2025/2026"
PREVIOUS_START, PREVIOUS_END = date(2025, 9, 1), date(2026, 5, 31)
COUNCIL_DAY = date(2026, 5, 28)  # the pedagogical council that promoted last year's pupils
PROMOTE_DAY = date(2026, 5, 29)  # the head's order after it
GRADUATE_COUNCIL, GRADUATE_DAY = date(2026, 6, 25), date(2026, 6, 26)
PREVIOUS_CLOSED = datetime(2026, 8, 31, 15, 0, tzinfo=UTC)
CLOSE_AFTER = 7  # a period is closed this many days after it ends

ILL_START = 0.017  # chance a pupil falls ill on a school day; an illness lasts 1–5 days
NOTE_SHARE = 0.85  # illnesses with a doctor's note (б); the rest stay «н»
UNEXCUSED, LATE = 0.006, 0.004  # per pupil-lesson
GRADE_SHARE = 0.27  # a pupil gets a grade at about one lesson in 3–4
CONTROL_EVERY = 8  # a control work closes a block of this many plan lines (if the subject has them)

# ability → chances of 5, 4, 3, 2
ABILITY = {"strong": (0.62, 0.33, 0.05, 0.0), "average": (0.2, 0.5, 0.28, 0.02),
           "weak": (0.03, 0.22, 0.55, 0.20)}
ABILITY_MEAN = {"strong": 4.6, "average": 3.85, "weak": 3.15}
COMMENTS = ("Аккуратно оформлено, решение полное", "Есть ошибки в вычислениях",
            "Не хватает вывода", "Хороший развёрнутый ответ", "Работа сдана с опозданием",
            "Много исправлений, будьте внимательнее", "Отличная работа с дополнительным материалом")
MATERIAL = ("Изучение нового материала", "Закрепление изученного", "Решение задач и упражнений",
            "Работа с учебником", "Практикум", "Повторение и обобщение")
NO_HOMEWORK = {"Физическая культура", "Музыка", "Изобразительное искусство", "Технология",
               "Основы безопасности и защиты Родины"}
NO_CONTROL = NO_HOMEWORK | {"Окружающий мир", "Основы религиозных культур и светской этики",
                            "Литературное чтение", "Вероятность и статистика"}
EXAM_CHOICES = ("Обществознание", "Информатика", "Биология", "География", "Физика", "Химия",
                "История", "Литература", "Английский язык")

# Topic stems per subject: each stem becomes a few numbered plan lines.
TOPICS: dict[str, tuple[str, ...]] = {
    "Русский язык": ("Повторение изученного", "Фонетика и орфография", "Морфемика",
                     "Имя существительное", "Имя прилагательное", "Глагол", "Местоимение",
                     "Синтаксис простого предложения", "Сложное предложение", "Пунктуация",
                     "Лексика и фразеология", "Развитие речи"),
    "Литературное чтение": ("Устное народное творчество", "Сказки народов России", "Басни",
                            "Стихи о природе", "Рассказы о детях", "Произведения о животных",
                            "Литературная сказка", "Юмористические произведения"),
    "Литература": ("Фольклор", "Древнерусская литература", "Литература XVIII века",
                   "Поэзия А. С. Пушкина", "Проза Н. В. Гоголя", "Лирика М. Ю. Лермонтова",
                   "Рассказы И. С. Тургенева", "Литература XX века", "Современная проза"),
    "Английский язык": ("My family", "School life", "Hobbies and free time", "Food and health",
                        "Travelling", "The world of media", "Environment", "Grammar revision"),
    "Математика": ("Натуральные числа", "Сложение и вычитание", "Умножение и деление",
                   "Обыкновенные дроби", "Десятичные дроби", "Проценты", "Геометрические фигуры",
                   "Уравнения", "Текстовые задачи", "Величины и их измерение"),
    "Алгебра": ("Выражения и их преобразования", "Линейные уравнения", "Функции и графики",
                "Степень с натуральным показателем", "Многочлены", "Формулы сокращённого умножения",
                "Системы уравнений", "Квадратные уравнения", "Неравенства"),
    "Геометрия": ("Начальные геометрические сведения", "Треугольники", "Параллельные прямые",
                  "Четырёхугольники", "Площадь", "Подобные треугольники", "Окружность", "Векторы"),
    "Вероятность и статистика": ("Представление данных", "Описательная статистика",
                                 "Случайные события", "Элементы комбинаторики", "Графы"),
    "Информатика": ("Информация и информационные процессы", "Системы счисления",
                    "Алгоритмы и исполнители", "Программирование", "Электронные таблицы",
                    "Компьютерные сети", "Базы данных"),
    "История": ("Древний мир", "Средние века", "Русь в IX–XII веках", "Московское государство",
                "Россия в XVII веке", "Эпоха Петра I", "Россия в XIX веке", "Новое время"),
    "Обществознание": ("Человек и общество", "Семья", "Экономика", "Право", "Политика",
                       "Социальная сфера", "Духовная культура"),
    "География": ("Земля во Вселенной", "План и карта", "Литосфера", "Атмосфера", "Гидросфера",
                  "Биосфера", "Население мира", "Природа России"),
    "Биология": ("Клетка", "Многообразие организмов", "Растения", "Животные", "Человек и его здоровье",
                 "Экосистемы", "Генетика"),
    "Физика": ("Физические величины", "Механическое движение", "Силы", "Давление", "Работа и энергия",
               "Тепловые явления", "Электрические явления", "Световые явления"),
    "Химия": ("Первоначальные химические понятия", "Строение атома", "Химическая связь",
              "Классы неорганических соединений", "Растворы", "Окислительно-восстановительные реакции",
              "Металлы", "Неметаллы"),
    "Окружающий мир": ("Природа вокруг нас", "Человек и природа", "Наша Родина", "Времена года",
                       "Растения и животные", "Безопасность в быту"),
    "Основы религиозных культур и светской этики": ("Россия — наша Родина", "Культура и мораль",
                                                    "Праздники и традиции", "Семейные ценности"),
    "Музыка": ("Музыка моего края", "Народная музыка", "Классическая музыка",
               "Музыкальный театр", "Современная музыка"),
    "Изобразительное искусство": ("Рисунок", "Живопись", "Декоративно-прикладное искусство",
                                  "Композиция", "Народные промыслы"),
    "Технология": ("Материалы и их обработка", "Конструирование", "Технологии питания",
                   "Робототехника", "Проектная деятельность"),
    "Физическая культура": ("Лёгкая атлетика", "Гимнастика", "Баскетбол", "Волейбол",
                            "Лыжная подготовка", "Футбол"),
    "Основы безопасности и защиты Родины": ("Безопасность в быту", "Безопасность на дорогах",
                                            "Первая помощь", "Чрезвычайные ситуации",
                                            "Основы обороны государства"),
}
GENERIC_TOPICS = ("Введение", "Основные понятия", "Практические задания", "Повторение")
LESSON_KINDS = ("{}", "{}: решение задач", "{}: закрепление", "{}: практикум", "{}: обобщение")


def plan_topics(subject: str, count: int) -> list[tuple[str, bool]]:
    """``count`` plan lines for a subject, from its stems: (topic, is a control work)."""
    stems = TOPICS.get(subject, GENERIC_TOPICS)
    control = subject not in NO_CONTROL
    out: list[tuple[str, bool]] = []
    per_block = CONTROL_EVERY
    block = 0
    while len(out) < count:
        stem = stems[block % len(stems)]
        part = block // len(stems)
        label = stem if part == 0 else f"{stem} (продолжение)"
        for k in range(per_block - (1 if control else 0)):
            out.append((LESSON_KINDS[k % len(LESSON_KINDS)].format(label), False))
        if control:
            out.append((f"Контрольная работа по теме «{label}»", True))
        block += 1
    return out[:count]


def homework(subject: str, rng: random.Random, n: int) -> str:
    if subject in NO_HOMEWORK:
        return ""
    par = 2 + n // 3
    if subject in ("Русский язык", "Английский язык"):
        return f"§ {par}, упр. {rng.randint(10, 400)}"
    if subject in ("Математика", "Алгебра", "Геометрия", "Вероятность и статистика", "Физика"):
        first = rng.randint(10, 900)
        return f"§ {par}, № {first}, {first + 2}, {first + 5}"
    if subject in ("Литература", "Литературное чтение"):
        return f"Прочитать с. {rng.randint(20, 250)}–{rng.randint(251, 290)}, ответить на вопросы"
    return f"§ {par}, вопросы {rng.randint(1, 3)}–{rng.randint(4, 7)}"


def _pick(rng: random.Random, weights: tuple[float, ...]) -> int:
    roll, total = rng.random(), 0.0
    for i, w in enumerate(weights):
        total += w
        if roll < total:
            return i
    return len(weights) - 1


# --- last year's leavers: planned with the school (they are people of the demo) -------------


def plan_leavers(planner, seed: int) -> list[tuple[int, int, str]]:
    """Last year's 11th grades and the 9th-graders who left after the 9th grade: invented
    pupils, as (person index, grade last year, class letter). Drawn from a generator of
    their own so the rest of the school stays what it was."""
    from service.demo import birth_window

    plan = planner.plan
    rng = random.Random(f"{seed}-leavers")
    by_grade: dict[int, list[str]] = defaultdict(list)
    for c in plan.classes:
        by_grade[c.grade].append(c.letter)
    out: list[tuple[int, int, str]] = []
    for grade, now in ((9, 10), (11, 11)):  # as many classes as this year's 10th / 11th grades
        letters = sorted(by_grade.get(now, [])) or ["А"]
        for letter in letters:
            whole = grade == 11 or now not in by_grade  # else: those who did not stay for the 10th
            for _ in range(rng.randint(20, 26) if whole else rng.randint(3, 8)):
                sex = "м" if rng.random() < 0.51 else "ж"
                first, last = birth_window(grade + 1)
                born = first + timedelta(days=rng.randint(0, (last - first).days))
                person = planner.person(rng.choice(names.SURNAMES), sex,
                                        rng.choice(names.BOYS if sex == "м" else names.GIRLS),
                                        rng.choice(names.MEN), born)
                out.append((person, grade, letter))
    return out


# --- reading the generated school -------------------------------------------------------------


async def _rows(sql: str, *args) -> list[dict]:
    return await Lesson.raw(sql, *args).run()


@lru_cache(maxsize=4096)
def _at(day: date, number: int) -> datetime:
    start = 8 * 60 + 30 + (max(number, 1) - 1) * 55
    local = datetime.combine(day, time(start // 60, start % 60), tzinfo=get_settings().tz)
    return local.astimezone(UTC)


class _Journals:
    """The current year's journals (class or group × subject), who belongs to each on a day."""

    def __init__(self, classes: dict, groups: dict, enrol: list[dict], membership: list[dict]):
        self.classes, self.groups = classes, groups
        self.in_class: dict[int, list[tuple[int, date, date | None]]] = defaultdict(list)
        for r in enrol:
            self.in_class[r["school_class"]].append((r["student"], r["starts_on"], r["ends_on"]))
        self.in_group: dict[int, list[tuple[int, date, date | None]]] = defaultdict(list)
        for r in membership:
            self.in_group[r["study_group"]].append((r["student"], r["starts_on"], r["ends_on"]))
        self.class_of: dict[int, int] = {}  # student → their class at the start of the year
        for r in sorted(enrol, key=lambda r: r["starts_on"], reverse=True):
            self.class_of[r["student"]] = r["school_class"]

    def members(self, key: tuple[str, int, int], day: date) -> list[int]:
        spans = self.in_class[key[1]] if key[0] == "c" else self.in_group[key[1]]
        return [s for s, a, b in spans if a <= day and (b is None or day <= b) and (b is None or b >= a)]

    def grade(self, key: tuple[str, int, int]) -> int:
        if key[0] == "c":
            return self.classes[key[1]]["grade"]
        g = self.groups[key[1]]
        if g["school_class"]:
            return self.classes[g["school_class"]]["grade"]
        grades = [self.classes[self.class_of[s]]["grade"] for s, _, _ in self.in_group[key[1]]
                  if s in self.class_of]
        return min(grades) if grades else 1


# --- writing --------------------------------------------------------------------------------


async def write_demo_journal(seed: int, moment: datetime, leavers: list[tuple[int, int, str]] = (),
                             person_ids: list[int] = ()) -> dict[str, int]:
    """Fill the just-generated school's journal (see the module's docstring) inside the
    caller's transaction; returns what was made, for the generator's audit row."""
    year = (await _rows("SELECT * FROM academic_year WHERE is_current = {}", True) or [None])[0]
    if year is None:
        return {}
    rng = random.Random(f"{seed}-journal")
    # Lessons before today are filled; today's are left to the teacher («Мои уроки сегодня»
    # reminds about their attendance).
    today = min(access.school_today(), year["ends_on"] + timedelta(days=1))
    if not await _rows("SELECT id FROM grading_system LIMIT 1"):  # `ezh migrate` makes them
        from service.audit.log import Actor
        from service.demo import ACTOR
        from service.journal.defaults import do_ensure_defaults

        await do_ensure_defaults(Actor.system(ACTOR))
    systems = {r["code"]: r["id"] for r in await _rows("SELECT id, code FROM grading_system")}
    kinds = {r["name"]: (r["id"], Decimal(str(r["weight"])))
             for r in await _rows("SELECT id, name, weight FROM work_kind")}
    subjects = {r["id"]: r["name"] for r in await _rows("SELECT id, name FROM subject")}
    classes = {r["id"]: r for r in await _rows(
        "SELECT id, grade, letter, name, class_teacher FROM school_class WHERE year = {}", year["id"])}
    groups = {r["id"]: r for r in await _rows(
        "SELECT id, kind, school_class, subject FROM study_group WHERE year = {}", year["id"])}
    enrol = await _rows("SELECT e.student, e.school_class, e.starts_on, e.ends_on FROM enrolment e "
                        "JOIN school_class c ON c.id = e.school_class WHERE c.year = {}", year["id"])
    membership = await _rows("SELECT m.study_group, m.student, m.starts_on, m.ends_on FROM group_member m "
                             "JOIN study_group g ON g.id = m.study_group WHERE g.year = {}", year["id"])
    loads = await _rows("SELECT teacher, subject, school_class, study_group FROM teaching_load "
                        "WHERE ends_on IS NULL ORDER BY id")
    periods = await _rows("SELECT id, grade_from, grade_to, starts_on, ends_on FROM study_period "
                          "WHERE year = {} ORDER BY starts_on", year["id"])
    deputy = await _rows("SELECT a.person FROM account a WHERE a.login = {}", "zavuch")
    deputy = deputy[0]["person"] if deputy else None
    lessons = await _rows(
        "SELECT id, on_date, number, school_class, study_group, subject, teacher, taught_by, cancelled "
        "FROM lesson WHERE student IS NULL ORDER BY on_date, number, id")
    journals = _Journals(classes, groups, enrol, membership)
    five, none = systems["5"], systems["none"]
    control_kind = kinds["Контрольная работа"]
    everyday = [kinds[n] for n in ("Ответ на уроке", "Домашняя работа", "Самостоятельная работа",
                                   "Проверочная работа")]
    everyday_weights = (0.5, 0.2, 0.2, 0.1)

    def key_of(r: dict) -> tuple[str, int, int]:
        return ("g", r["study_group"], r["subject"]) if r["study_group"] else ("c", r["school_class"], r["subject"])

    def system_of(key: tuple[str, int, int]) -> int:
        if key[0] == "g" and groups[key[1]]["kind"] in ("club", "gpd"):
            return none
        return none if journals.grade(key) == 1 else five

    teacher_of: dict[tuple[str, int, int], int] = {}
    for r in loads:
        teacher_of.setdefault(key_of(r), r["teacher"])

    # grading rules and the year's settings
    await bulk_insert(GradingRule, (GradingRule.year, GradingRule.system, GradingRule.subject,
                                    GradingRule.grade_from, GradingRule.grade_to, GradingRule.group_kinds),
                      [(year["id"], none, None, 1, 1, ""), (year["id"], none, None, 1, 11, "club gpd")])
    await bulk_insert(JournalSetting, (JournalSetting.year, JournalSetting.edit_days,
                                       JournalSetting.approval_required, JournalSetting.forecast_days,
                                       JournalSetting.finals_days, JournalSetting.grades_due_days,
                                       JournalSetting.homework_due_hours, JournalSetting.plans_due,
                                       JournalSetting.round_from, JournalSetting.file_max_kb,
                                       JournalSetting.updated_at),
                      [(year["id"], 7, False, 14, 2, 3, 12, date(year["starts_on"].year, 9, 10),
                        Decimal("0.5"), 10240, moment)])

    # thematic plans: one line per lesson of the year; a journal or two without a plan
    by_journal: dict[tuple[str, int, int], list[dict]] = defaultdict(list)
    for r in lessons:
        if not r["cancelled"]:
            by_journal[key_of(r)].append(r)
    keys = sorted(by_journal)
    unplanned = set(rng.sample(keys, 2)) if len(classes) > 1 and len(keys) > 10 else set()
    planned = [k for k in keys if k not in unplanned]
    plan_ids = await reserve_ids(ThematicPlan, len(planned))
    topics = {k: plan_topics(subjects[k[2]], len(by_journal[k])) for k in keys}
    item_count = sum(len(topics[k]) for k in planned)
    item_ids = await reserve_ids(PlanItem, item_count)
    plan_rows, item_rows, item_of = [], [], {}
    n = 0
    imported = datetime.combine(date(year["starts_on"].year, 9, 5), time(12, 0), tzinfo=UTC)
    for i, k in enumerate(planned):
        plan_rows.append((plan_ids[i], year["id"], k[2], k[1] if k[0] == "c" else None,
                          k[1] if k[0] == "g" else None, f"КТП {subjects[k[2]]}.xlsx", len(topics[k]),
                          imported, teacher_of.get(k)))
        for number, (topic, _) in enumerate(topics[k], start=1):
            item_rows.append((item_ids[n], plan_ids[i], number, topic, 1, None))
            item_of[(k, number)] = item_ids[n]
            n += 1
    await bulk_insert(ThematicPlan, (ThematicPlan.id, ThematicPlan.year, ThematicPlan.subject,
                                     ThematicPlan.school_class, ThematicPlan.study_group,
                                     ThematicPlan.file_name, ThematicPlan.total_hours,
                                     ThematicPlan.imported_at, ThematicPlan.imported_by), plan_rows)
    await bulk_insert(PlanItem, (PlanItem.id, PlanItem.plan, PlanItem.number, PlanItem.topic,
                                 PlanItem.hours, PlanItem.planned_on), item_rows)

    # pupils: ability, illnesses, and the school days each has lessons
    students = sorted({r["student"] for r in enrol})
    ability = {s: ("strong", "average", "weak")[_pick(rng, (0.25, 0.5, 0.25))] for s in students}
    days = sorted({r["on_date"] for r in lessons if r["on_date"] < today})
    ill: dict[tuple[int, date], bool] = {}  # (pupil, day) → with a doctor's note
    notes = []
    for s in students:
        i = 0
        while i < len(days):
            if rng.random() < ILL_START:
                span = days[i:i + rng.randint(1, 5)]
                noted = rng.random() < NOTE_SHARE
                for d in span:
                    ill[(s, d)] = noted
                if noted and s in journals.class_of:
                    teacher = classes[journals.class_of[s]]["class_teacher"]
                    notes.append((s, span[0], span[-1], "ill", "Справка из поликлиники",
                                  _at(span[-1], 1) + timedelta(days=1), teacher))
                i += len(span) + 3
            else:
                i += 1

    # lessons up to today: entries, attendance, grades
    entries, attendance, grades = [], [], []
    done: dict[tuple[str, int, int], int] = defaultdict(int)
    marks_of: dict[tuple, list[tuple[Decimal, Decimal]]] = defaultdict(list)  # (key, period, pupil)
    period_ends = sorted({(p["starts_on"], p["ends_on"], p["id"], p["grade_from"], p["grade_to"])
                          for p in periods})

    def period_of(grade: int, day: date) -> int | None:
        for start, end, pid, g0, g1 in period_ends:
            if g0 <= grade <= g1 and start <= day <= end:
                return pid
        return None

    grade_of_key: dict[tuple[str, int, int], int] = {}
    for r in lessons:
        if r["cancelled"] or r["on_date"] >= today:
            continue
        k = key_of(r)
        done[k] += 1
        number = done[k]
        topic, control = topics[k][number - 1] if number <= len(topics[k]) else ("Повторение", False)
        subject = subjects[k[2]]
        system = system_of(k)
        if system == none:
            control = False
        at = _at(r["on_date"], r["number"])
        entries.append((r["id"], topic, item_of.get((k, number)), rng.choice(MATERIAL),
                        homework(subject, rng, number), "", control_kind[0] if control else None,
                        at, at, r["taught_by"], 1))
        if k not in grade_of_key:
            grade_of_key[k] = journals.grade(k)
        period = period_of(grade_of_key[k], r["on_date"])
        for s in journals.members(k, r["on_date"]):
            noted = ill.get((s, r["on_date"]))
            if noted is not None:
                attendance.append((r["id"], s, "ill" if noted else "absent", None, "", at, r["taught_by"]))
                continue
            roll = rng.random()
            if roll < UNEXCUSED:
                attendance.append((r["id"], s, "absent", None, "", at, r["taught_by"]))
                continue
            if roll < UNEXCUSED + LATE:
                attendance.append((r["id"], s, "late", rng.choice((5, 7, 10, 15)), "", at, r["taught_by"]))
            if system == none:
                continue
            if control:
                kind = control_kind
            elif rng.random() < GRADE_SHARE:
                kind = everyday[_pick(rng, everyday_weights)]
            else:
                continue
            mark = 5 - _pick(rng, ABILITY[ability.get(s, "average")])
            comment = rng.choice(COMMENTS) if rng.random() < 0.02 else ""
            grades.append((r["id"], s, system, kind[0], str(mark), Decimal(mark), kind[1], 0, comment,
                           at, r["taught_by"], at))
            marks_of[(k, period, s)].append((Decimal(mark), kind[1]))

    await bulk_insert(LessonEntry, (LessonEntry.lesson, LessonEntry.topic, LessonEntry.plan_item,
                                    LessonEntry.material, LessonEntry.homework, LessonEntry.comment,
                                    LessonEntry.work_kind, LessonEntry.attendance_at,
                                    LessonEntry.updated_at, LessonEntry.updated_by,
                                    LessonEntry.version), entries)
    await _rows("UPDATE lesson SET has_records = {} WHERE id IN (SELECT lesson FROM lesson_entry)", True)
    await bulk_insert(AbsenceNote, (AbsenceNote.student, AbsenceNote.starts_on, AbsenceNote.ends_on,
                                    AbsenceNote.kind, AbsenceNote.note, AbsenceNote.created_at,
                                    AbsenceNote.created_by), notes)
    await bulk_insert(Attendance, (Attendance.lesson, Attendance.student, Attendance.kind,
                                   Attendance.minutes, Attendance.note, Attendance.updated_at,
                                   Attendance.updated_by), attendance)
    await bulk_insert(Grade, (Grade.lesson, Grade.student, Grade.system, Grade.work_kind, Grade.mark,
                              Grade.value, Grade.weight, Grade.position, Grade.comment, Grade.created_at,
                              Grade.created_by, Grade.updated_at), grades)

    # finals of the periods that are over, and closing those that ended a week ago
    five_rules = rules.System(id=five, name="Пятибалльная", kind="scale", low=1, high=5, pass_from=3)
    finals = []
    closings = []
    for p in periods:
        if p["ends_on"] >= today:
            continue
        confirmed = _at(p["ends_on"], 7) - timedelta(days=2)
        for k in keys:
            if system_of(k) == none or not (p["grade_from"] <= journals.grade(k) <= p["grade_to"]):
                continue
            for s in journals.members(k, p["ends_on"]):
                average = rules.weighted_average(marks_of.get((k, p["id"], s), []))
                suggested = rules.suggest_final(average, five_rules, Decimal("0.5"))
                mark = suggested or rules.NOT_ATTESTED
                finals.append((year["id"], s, k[2], k[1] if k[0] == "c" else None,
                               k[1] if k[0] == "g" else None, "period", p["id"], five, mark,
                               Decimal(mark) if mark.isdigit() else None, suggested, average,
                               "" if suggested else "Недостаточно отметок для аттестации",
                               confirmed, teacher_of.get(k)))
        if (today - p["ends_on"]).days > CLOSE_AFTER:
            closings.append((p["id"], _at(p["ends_on"] + timedelta(days=CLOSE_AFTER), 8), deputy))
    await _write_finals(finals)
    await bulk_insert(PeriodClosing, (PeriodClosing.period, PeriodClosing.closed_at,
                                      PeriodClosing.closed_by), closings)

    previous = await _previous_year(seed, moment, classes, journals, ability, loads, subjects, systems,
                                    deputy, leavers, person_ids)
    return {"plans": len(plan_rows), "plan_items": len(item_rows), "lesson_entries": len(entries),
            "attendance": len(attendance), "absence_notes": len(notes), "grades": len(grades),
            "finals": len(finals), "periods_closed": len(closings), **previous}


async def _write_finals(rows: list[tuple]) -> None:
    await bulk_insert(FinalGrade, (FinalGrade.year, FinalGrade.student, FinalGrade.subject,
                                   FinalGrade.school_class, FinalGrade.study_group, FinalGrade.kind,
                                   FinalGrade.period, FinalGrade.system, FinalGrade.mark, FinalGrade.value,
                                   FinalGrade.suggested, FinalGrade.average, FinalGrade.note,
                                   FinalGrade.confirmed_at, FinalGrade.confirmed_by), rows)


def _shift(day: date) -> date:
    return day.replace(year=day.year - 1)


async def _previous_year(seed: int, moment: datetime, classes: dict, journals: _Journals,
                         ability: dict[int, str], loads: list[dict], subjects: dict[int, str],
                         systems: dict[str, int], deputy: int | None,
                         leavers: list[tuple[int, int, str]], person_ids: list[int]) -> dict[str, int]:
    """Last school year, complete and closed (see the module's docstring)."""
    from service.demo import _CURRICULUM, PERIODS

    rng = random.Random(f"{seed}-previous")
    subject_id = {name: i for i, name in subjects.items()}
    [year] = await reserve_ids(AcademicYear, 1)
    await bulk_insert(AcademicYear, (AcademicYear.id, AcademicYear.name, AcademicYear.starts_on,
                                     AcademicYear.ends_on, AcademicYear.is_current, AcademicYear.closed_at),
                      [(year, PREVIOUS_NAME, PREVIOUS_START, PREVIOUS_END, False, PREVIOUS_CLOSED)])
    period_ids = await reserve_ids(StudyPeriod, len(PERIODS))
    periods = [(period_ids[i], scheme, number, name, g0, g1, _shift(a), _shift(b))
               for i, (scheme, number, name, g0, g1, a, b) in enumerate(PERIODS)]
    await bulk_insert(StudyPeriod, (StudyPeriod.id, StudyPeriod.year, StudyPeriod.scheme, StudyPeriod.number,
                                    StudyPeriod.name, StudyPeriod.grade_from, StudyPeriod.grade_to,
                                    StudyPeriod.starts_on, StudyPeriod.ends_on),
                      [(p[0], year, *p[1:]) for p in periods])
    await bulk_insert(PeriodClosing, (PeriodClosing.period, PeriodClosing.closed_at, PeriodClosing.closed_by),
                      [(p[0], _at(p[7] + timedelta(days=3), 8), deputy) for p in periods])
    await bulk_insert(GradingRule, (GradingRule.year, GradingRule.system, GradingRule.subject,
                                    GradingRule.grade_from, GradingRule.grade_to, GradingRule.group_kinds),
                      [(year, systems["none"], None, 1, 1, ""), (year, systems["none"], None, 1, 11, "club gpd")])

    # last year's classes: this year's one grade lower, and the leavers' 9th and 11th grades
    now_by_name = {(c["grade"], c["letter"]): c for c in classes.values()}
    pupils: dict[tuple[int, str], list[int]] = defaultdict(list)
    for s, ci in sorted(journals.class_of.items()):
        c = classes[ci]
        if c["grade"] >= 2:
            pupils[(c["grade"] - 1, c["letter"])].append(s)
    left = set()
    for person, grade, letter in leavers:
        pupils[(grade, letter)].append(person_ids[person])
        left.add(person_ids[person])
    # Class teachers: a primary teacher follows her class from the 1st to the 4th grade, then
    # takes a new 1st grade; from the 5th grade on the class keeps its class teacher. The
    # 11th grades (and classes with nobody to follow) get a subject teacher who leads no class
    # now — never the demo's subject teacher, who leads no class in the guided tour.
    subject_teacher = await _rows("SELECT person FROM account WHERE login = {}", "uchitel")
    leading: set[int] = {c["class_teacher"] for c in classes.values()} | {
        r["person"] for r in subject_teacher}
    spare = [t for t in sorted({r["teacher"] for r in loads}) if t not in leading]
    old = sorted(pupils)
    teacher_for: dict[tuple[int, str], int | None] = {}
    for g, letter in old:
        now = now_by_name.get((1, letter) if g == 4 else (g + 1, letter))
        teacher_for[(g, letter)] = now["class_teacher"] if now and g < 11 else (
            spare.pop(0) if spare else None)
    class_ids = await reserve_ids(SchoolClass, len(old))
    old_id = dict(zip(old, class_ids, strict=True))
    await bulk_insert(SchoolClass, (SchoolClass.id, SchoolClass.year, SchoolClass.grade, SchoolClass.letter,
                                    SchoolClass.name, SchoolClass.class_teacher, SchoolClass.created_at,
                                    SchoolClass.week_days),
                      [(old_id[(g, letter)], year, g, letter, f"{g}{letter}", teacher_for[(g, letter)], moment,
                        6 if g >= 10 else 5) for g, letter in old])

    # the council's orders: promotion of every class, graduation of the 9th and 11th grades
    order_rows, lines, enrolments = [], [], []
    order_ids = await reserve_ids(SchoolOrder, 2 * len(old))
    n = 0
    for g, letter in old:
        promoted = [s for s in pupils[(g, letter)] if s not in left]
        graduated = [s for s in pupils[(g, letter)] if s in left]
        target = now_by_name.get((g + 1, letter))
        promote_id = graduate_id = None
        if promoted and target is not None:
            promote_id = order_ids[n]
            order_rows.append((promote_id, f"{40 + n}-у", PROMOTE_DAY, "promote",
                               f"О переводе обучающихся {g}{letter} класса в {g + 1} класс (протокол "
                               f"педсовета № 9 от {COUNCIL_DAY:%d.%m.%Y})", moment))
            n += 1
            lines += [(promote_id, s, "promote", old_id[(g, letter)], target["id"], date(2026, 9, 1), "")
                      for s in promoted]
        if graduated:
            graduate_id = order_ids[n]
            level = "основного" if g == 9 else "среднего"
            order_rows.append((graduate_id, f"{40 + n}-у", GRADUATE_DAY, "graduate",
                               f"О выпуске обучающихся {g}{letter} класса, получивших аттестат об {level} "
                               f"общем образовании (протокол педсовета № 11 от {GRADUATE_COUNCIL:%d.%m.%Y})",
                               moment))
            n += 1
            lines += [(graduate_id, s, "graduate", old_id[(g, letter)], None, GRADUATE_DAY + timedelta(days=1),
                       "окончил обучение") for s in graduated]
        for s in pupils[(g, letter)]:
            ends, order = (GRADUATE_DAY, graduate_id) if s in left else (PREVIOUS_END, promote_id)
            enrolments.append((s, old_id[(g, letter)], PREVIOUS_START, ends,
                               f"Приказ № {100 + g}-у от 29.08.2025", order))
    await bulk_insert(SchoolOrder, (SchoolOrder.id, SchoolOrder.number, SchoolOrder.dated, SchoolOrder.kind,
                                    SchoolOrder.title, SchoolOrder.created_at), order_rows)
    await bulk_insert(Movement, (Movement.school_order, Movement.student, Movement.kind, Movement.from_class,
                                 Movement.to_class, Movement.on_date, Movement.reason), lines)
    await bulk_insert(Enrolment, (Enrolment.student, Enrolment.school_class, Enrolment.starts_on,
                                  Enrolment.ends_on, Enrolment.order_ref, Enrolment.school_order), enrolments)

    # finals: every period and the year, every pupil × subject of the grade's curriculum
    by_subject: dict[int, list[int]] = defaultdict(list)
    for r in loads:
        if r["teacher"] not in by_subject[r["subject"]]:
            by_subject[r["subject"]].append(r["teacher"])
    five = systems["5"]
    five_rules = rules.System(id=five, name="Пятибалльная", kind="scale", low=1, high=5, pass_from=3)
    finals = []
    for g, letter in old:
        if g == 1:
            continue  # «Без отметок»: the first grade gets no marks
        mine = [p for p in periods if p[4] <= g <= p[5]]
        curriculum = [name for name, _, hours in _CURRICULUM if hours[g - 1]]
        for name in curriculum:
            sid = subject_id[name]
            who = by_subject.get(sid) or [teacher_for[(g, letter)]]
            teacher = who[(g * 7 + ord(letter)) % len(who)]
            for s in pupils[(g, letter)]:
                level = ABILITY_MEAN[ability.get(s) or ability.setdefault(
                    s, ("strong", "average", "weak")[_pick(rng, (0.25, 0.5, 0.25))])]
                level += rng.gauss(0, 0.3)
                marks = []
                for p in mine:
                    average = Decimal(str(round(min(5.0, max(2.0, level + rng.gauss(0, 0.25))), 2)))
                    mark = rules.suggest_final(average, five_rules, Decimal("0.5"))
                    marks.append(int(mark))
                    finals.append((year, s, sid, old_id[(g, letter)], None, "period", p[0], five, mark,
                                   Decimal(mark), mark, average, "", _at(p[7], 7) - timedelta(days=2), teacher))
                average = (Decimal(sum(marks)) / len(marks)).quantize(Decimal("0.01"))
                mark = rules.suggest_final(average, five_rules, Decimal("0.5"))
                finals.append((year, s, sid, old_id[(g, letter)], None, "year", None, five, mark, Decimal(mark),
                               mark, average, "", _at(PREVIOUS_END, 7) - timedelta(days=3), teacher))
        if g in (9, 11):  # exams: Russian and mathematics, and two subjects of the pupil's choice
            for s in pupils[(g, letter)]:
                chosen = ["Русский язык", "Математика", *rng.sample(EXAM_CHOICES, 2)]
                level = ABILITY_MEAN[ability[s]]
                for name in chosen:
                    if g == 9:
                        mark = str(max(2, min(5, round(level + rng.gauss(0, 0.5)))))
                        system, note = five, "ОГЭ"
                    else:
                        mark = str(max(24, min(100, round(40 + (level - 3) * 22 + rng.gauss(0, 9)))))
                        system, note = systems["100"], "ЕГЭ"
                    finals.append((year, s, subject_id[name], old_id[(g, letter)], None, "exam", None, system,
                                   mark, Decimal(mark), "", None, note, _at(GRADUATE_COUNCIL, 7),
                                   teacher_for[(g, letter)]))
    await _write_finals(finals)
    return {"previous_classes": len(old), "previous_finals": len(finals),
            "previous_orders": len(order_rows), "previous_leavers": len(left)}
