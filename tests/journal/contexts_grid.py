"""Template contexts of the journal part «grid»: the list of journals of a deputy head (every
class, clubs) and a teacher's grid of a quarter with absences, a test's weighted mark, a comment,
a pupil who came mid-quarter, a cancelled and future lessons; the table built by ``grid`` itself."""

from datetime import date
from decimal import Decimal

from markupsafe import Markup

from service.accounts.viewer import Viewer
from service.journal import grid, rules
from service.journal.access import JournalRef
from service.journal.journals import Entry, Lists

DEPUTY = Viewer(2, "zavuch", 2, "Орлова Вера Павловна", ("deputy",),
                frozenset({"journal.view", "journal.edit", "journal.approve"}), role_names=("Заместитель директора",))
TEACHER = Viewer(3, "uchitel", 4, "Попова Мария Сергеевна", ("teacher",), frozenset({"journal.teach"}),
                 role_names=("Учитель",))

MATH = JournalRef("c", 3, 1)
ENGLISH = JournalRef("g", 5, 2)
CHESS = JournalRef("g", 9, 7)
_math = Entry(MATH, "5А", "Математика", grade=5, teachers=["Попова М. С."], class_id=3, class_name="5А")
_eng = Entry(ENGLISH, "5А англ. 1", "Английский язык", "subgroup", 5, ["Кузнецов О. И."], class_id=3, class_name="5А")
_chess = Entry(CHESS, "Шахматы", "Шахматы", "club", 0, ["Кузнецов О. И."])
LISTS = Lists(mine=[_math], substitute=[Entry(JournalRef("c", 4, 1), "6Б", "Математика",
                                              note="замена: уроков 2, последний 18.11")],
              by_grade=[(5, [("5А", [_math, _eng])])], groups=[("Кружки", [_chess])], year_name="2026/2027")

PERIODS = [{"id": 1, "name": "1 четверть", "number": 1, "starts_on": date(2026, 9, 1), "ends_on": date(2026, 10, 25),
            "closed": True},
           {"id": 2, "name": "2 четверть", "number": 2, "starts_on": date(2026, 11, 5), "ends_on": date(2026, 12, 29),
            "closed": False}]
DAYS = [date(2026, 11, d) for d in (9, 11, 13, 16, 18, 20, 23, 25, 27)]
LESSONS = [grid.GridLesson(100 + i, d, 2, d == date(2026, 11, 18), d > date(2026, 11, 25), True)
           for i, d in enumerate(DAYS)]
STUDENTS = [grid.Student(11, 1, "Морозов Артём", "Морозов Артём Дмитриевич", [(date(2026, 9, 1), None)]),
            grid.Student(12, 2, "Павлова Софья", "Павлова Софья Алексеевна", [(date(2026, 11, 16), None)],
                         note="с 16.11")]
FIVE = rules.System(id=1, code="5", name="Пятибалльная", kind="scale", low=1, high=5, pass_from=3)
GRID = grid.Grid(
    info={"title": "5А · Математика", "class_name": "5А", "group_name": None, "subject_name": "Математика",
          "year_name": "2026/2027"},
    ref=MATH, period=PERIODS[1], periods=PERIODS, system=FIVE, lessons=LESSONS, students=STUDENTS,
    teachers=["Попова М. С."],
    attendance={(100, 11): "absent", (102, 11): "ill"},
    marks={(100, 11): [grid.Mark("5", Decimal(1), "Ответ на уроке", "")],
           (101, 11): [grid.Mark("3", Decimal(3), "Контрольная работа", "Ошибка в задаче 2")],
           (106, 12): [grid.Mark("4", Decimal(1), "Ответ на уроке", ""), grid.Mark("5", Decimal(2), "Самостоятельная работа", "")]},
    averages={11: Decimal("3.50"), 12: Decimal("4.67")}, finals={}, pending={(103, 11)}, today=date(2026, 11, 25))

CONTEXTS: dict = {
    "journal/index.html": (DEPUTY, {"lists": LISTS}, "Все журналы"),
    "journal/grid.html": (TEACHER, {"grid": GRID, "head": Markup(grid.head_html(GRID)),
                                    "body": Markup(grid.body_html(GRID)), "save_url": grid.SAVE_URL, "paper": True,
                                    "detail_url": grid.DETAIL_URL}, "Морозов Артём"),
}
PARTIALS: set[str] = set()
