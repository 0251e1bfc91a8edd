"""Template contexts of the journal part «plans» (КТП): rows as service/journal/plan_queries.py
gives them, previews as service/journal/plans.py builds them from a file."""

from __future__ import annotations

from datetime import UTC, date, datetime

from service.accounts.rights import PERMISSION_CODES
from service.accounts.viewer import Viewer
from service.journal import plans
from service.journal.access import JournalRef
from service.readers import read_table

TEACHER = Viewer(5, "uchitel", 4, "Попова Мария Сергеевна", ("teacher",),
                 frozenset({"journal.teach"}), role_names=("Учитель",))
DEPUTY = Viewer(7, "zavuch", 12, "Орлова Наталья Викторовна", ("deputy",), PERMISSION_CODES,
                role_names=("Завуч",))
TODAY = date(2026, 11, 25)
YEAR = (date(2026, 9, 1), date(2027, 5, 31))
MATH = JournalRef("c", 3, 1)
ENGLISH = JournalRef("g", 7, 4)


def _preview(text: str) -> plans.PlanPreview:
    p = plans.preview_table(read_table(text.encode("cp1251")), *YEAR)
    plans.check_limit(p, plans.Limit(5, 34))
    return p


CLEAN = _preview("№;Тема урока;Часы;Дата\r\n1;Натуральные числа;1;02.11.2026\r\n"
                 "2;Сложение и вычитание натуральных чисел;2;04.11.2026\r\n3;Уравнение;1;\r\n")
BAD = _preview("№;Тема;Часы;Дата\r\n1;Натуральные числа;0;\r\n2;;1;\r\n2;Дроби;1;31.08.2026\r\n"
               "4;Проценты;1;2026-11-02\r\n")

ROWS = [
    {"ref": MATH, "title": "5А · Математика", "teacher": "Попова М. С.", "hours_per_week": 5,
     "has_plan": True, "imported_at": datetime(2026, 9, 3, 15, 20, tzinfo=UTC), "total_hours": 170,
     "due_hours": 62, "held": 58, "from_plan": 55, "percent_to_date": 94, "percent_total": 34,
     "missing": False},
    {"ref": ENGLISH, "title": "5А англ. 1 · Английский язык", "teacher": "Кузнецов О. И.",
     "hours_per_week": 3, "has_plan": False, "imported_at": None, "total_hours": None,
     "due_hours": None, "held": 34, "from_plan": 0, "percent_to_date": None, "percent_total": None,
     "missing": True},
]

ITEMS = [
    {"id": 101, "number": 1, "topic": "Натуральные числа", "hours": 1, "planned_on": date(2026, 11, 2),
     "used_on": date(2026, 11, 2), "lesson": 501},
    {"id": 102, "number": 2, "topic": "Сложение и вычитание натуральных чисел", "hours": 2,
     "planned_on": date(2026, 11, 4), "used_on": None, "lesson": None},
    {"id": 103, "number": 3, "topic": "Уравнение", "hours": 1, "planned_on": None, "used_on": None,
     "lesson": None},
]

PLAN = {"id": 9, "file_name": "ктп-5а-математика.xlsx", "total_hours": 4,
        "imported_at": datetime(2026, 9, 3, 15, 20, tzinfo=UTC), "replaced_at": None,
        "last_name": "Попова", "first_name": "Мария", "middle_name": "Сергеевна", "lines": 3}
OLD = {**PLAN, "id": 8, "file_name": "ктп-черновик.csv", "total_hours": 3, "lines": 2,
       "imported_at": datetime(2026, 9, 1, 9, 0, tzinfo=UTC), "replaced_at": datetime(2026, 9, 3, 15, 20, tzinfo=UTC)}
INFO = {"title": "5А · Математика", "year_name": "2026/2027", "closed_at": None}

PAGE = {"info": INFO, "ref": MATH, "plan": PLAN, "history": [OLD], "items": ITEMS, "planned_total": 4,
        "planned_to_date": 3, "held": 3, "from_plan": 1, "scheduled": 15, "used": 1,
        "percent_to_date": 100, "percent_total": 75, "may_import": True, "today": TODAY,
        "errors": {}, "preview": CLEAN, "token": "A" * 43, "file_name": "ктп-5а.csv", "loaded": False,
        "limit_mb": 2, "max_lines": 400}

CONTEXTS: dict = {
    "journal/plans.html": (DEPUTY, {"year": {"id": 1, "name": "2026/2027", "starts_on": YEAR[0],
                                             "ends_on": YEAR[1]},
                                    "rows": ROWS, "due": date(2026, 9, 10), "overdue": True, "missing": 1,
                                    "today": TODAY, "see_all": True},
                           "Журналов без КТП"),
    "journal/plan.html": (TEACHER, PAGE, "Загрузить КТП: 3 темы, 4 ч"),
    "journal/_plan_preview.html": (TEACHER, {**PAGE, "preview": BAD, "token": ""},
                                   "Строка 2: часы — целое число от 1 до 10"),
}
PARTIALS: set[str] = set()
