"""Template contexts of the journal part «settings»: «Правила журнала»."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from service.journal.access import Settings
from service.journal.setup import GROUP_KINDS
from tests.journal.contexts_finals import DEPUTY, YEAR

SYSTEMS = [
    {"id": 1, "code": "5", "name": "Пятибалльная", "kind": "scale", "low": 1, "high": 5, "pass_from": 3,
     "builtin": True, "active": True, "marks": [], "marks_text": "",
     "conversion_list": [{"target": 2, "target_name": "Зачёт / незачёт", "lines": ["3–5 → зач", "1–2 → незач"]}]},
    {"id": 2, "code": "zach", "name": "Зачёт / незачёт", "kind": "marks", "low": 0, "high": 0, "pass_from": 0,
     "builtin": True, "active": True, "conversion_list": [], "marks_text": "",
     "marks": [{"text": "зач", "name": "зачёт", "passing": True, "value": None},
               {"text": "незач", "name": "незачёт", "passing": False, "value": None}]},
    {"id": 6, "code": "s261101", "name": "Уровни освоения", "kind": "marks", "low": 0, "high": 0, "pass_from": 0,
     "builtin": False, "active": True, "conversion_list": [], "marks_text": "в; высокий; да; 5\nс; средний; да; 4",
     "marks": [{"text": "в", "name": "высокий", "passing": True, "value": Decimal(5)},
               {"text": "с", "name": "средний", "passing": True, "value": Decimal(4)}]},
    {"id": 7, "code": "s261102", "name": "Двенадцатибалльная", "kind": "scale", "low": 1, "high": 12,
     "pass_from": 4, "builtin": False, "active": True, "conversion_list": [], "marks_text": "", "marks": []},
]
RULES = [{"id": 1, "grade_from": 1, "grade_to": 1, "subject_name": None, "kinds_names": "", "system_name":
          "Зачёт / незачёт"},
         {"id": 2, "grade_from": 1, "grade_to": 11, "subject_name": None, "kinds_names": "кружок",
          "system_name": "Без отметок"}]
KINDS = [{"id": 1, "name": "Ответ на уроке", "short": "отв", "weight": "1", "position": 0, "active": True},
         {"id": 11, "name": "Контрольная работа", "short": "к/р", "weight": "3", "position": 10, "active": True}]

CONTEXTS: dict = {
    "journal/settings.html": (DEPUTY, {
        "year": YEAR, "years": [YEAR, {"id": 1, "name": "2025/2026"}], "may_edit": True,
        "errors": {"forecast_days": "Прогноз итоговых отметок показывается не позднее чем за 14 дней"},
        "typed": {"forecast_days": "10"}, "form": "settings",
        "settings": Settings(year=2, plans_due=date(2026, 9, 10)), "systems": SYSTEMS, "rules": RULES,
        "work_kinds": KINDS, "subjects": [{"id": 1, "name": "Математика"}], "group_kinds": GROUP_KINDS},
        "Системы оценивания"),
}
PARTIALS: set[str] = set()
