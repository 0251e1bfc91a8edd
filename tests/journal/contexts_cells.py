"""Template contexts of the journal part «cells»: a cell's fragment (grades with their kinds of
work, weights and comments, the history of the cell) and the API's documentation page, as
service/journal/cell_queries.py and service/journal/api_docs.py give them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from service.accounts.viewer import Viewer

TEACHER = Viewer(5, "uchitel", 9, "Попова Мария Сергеевна", ("teacher",), frozenset({"journal.teach"}),
                 role_names=("Учитель",))

LESSON = {"id": 41, "on_date": date(2026, 11, 23), "number": 2, "class_name": "5А", "group_name": None,
          "subject_name": "Математика"}
KINDS = [{"id": 1, "name": "Ответ на уроке", "weight": Decimal("1")},
         {"id": 11, "name": "Контрольная работа", "weight": Decimal("3")}]
GRADES = [{"id": 501, "mark": "5", "comment": "", "weight": Decimal("1"), "work_kind": 1,
           "kind_name": "Ответ на уроке", "kind_short": "отв"},
          {"id": 502, "mark": "4", "comment": "Ошибка в задаче 3, оформление аккуратное", "weight": Decimal("3"),
           "work_kind": 11, "kind_name": "Контрольная работа", "kind_short": "к/р"}]
HISTORY = [
    {"seq": 90, "at": datetime(2026, 11, 24, 9, 5, tzinfo=UTC), "what": "Вид работы или комментарий",
     "who": "Попова М. С.", "old": "4 (Ответ на уроке)",
     "new": "4 (Контрольная работа): Ошибка в задаче 3, оформление аккуратное", "reason": "", "correction": "", "from_paper": False},
    {"seq": 71, "at": datetime(2026, 11, 23, 10, 40, tzinfo=UTC), "what": "Запись в клетке",
     "who": "Попова М. С.", "old": "", "new": "5 4", "reason": "Перенесено из бумажного журнала", "correction": "",
     "from_paper": True},
]
CELL = {"lesson": LESSON, "student": {"id": 17, "last_name": "Морозов", "first_name": "Артём"},
        "student_name": "Морозов Артём", "may_write": True, "ref": None, "grades": GRADES,
        "history": HISTORY, "kinds": KINDS, "text": "5 4", "attendance": "", "message": "", "done": "Сохранено"}
OPERATIONS = [{
    "method": "POST", "path": "/journal/api/cells", "summary": "Записать клетку журнала",
    "description": "Посещаемость и отметки одного ученика на одном уроке.",
    "request": {"name": "CellSave", "description": "Что записать в клетку журнала: ученик на уроке.",
                "fields": [{"name": "lesson", "required": True, "description": "Номер (id) урока",
                            "type": '{"minimum": 1, "type": "integer"}'},
                           {"name": "value", "required": False, "description": "Запись, как её набирают в клетке",
                            "type": '{"maxLength": 40, "type": "string"}'}]},
    "answers": [{"status": "200", "description": "Сохранено",
                 "body": {"name": "CellAnswer", "description": "", "fields": [{"name": "state"}, {"name": "text"}]}},
                {"status": "409", "description": "Клетку уже изменили; ничего не записано", "body": None}],
}]

CONTEXTS: dict = {
    "journal/_cell_history.html": (TEACHER, CELL, "«4 (Ответ на уроке)» → «4 (Контрольная работа)"),
    "journal/api.html": (None, {"title": "Электронный журнал: программный интерфейс",
                                "description": "Запись посещаемости и отметок в журнал для программ школы.",
                                "version": "1.0", "operations": OPERATIONS},
                         "Тело запроса: CellSave"),
}
PARTIALS: set[str] = set()
