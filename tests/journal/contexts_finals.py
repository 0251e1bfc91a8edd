"""Template contexts of the journal part «finals»: a journal's finals sheet, the deputy head's
overview of periods and overdue finals, corrections awaiting approval."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from service.accounts.rights import PERMISSION_CODES
from service.accounts.viewer import Viewer
from service.journal.access import JournalRef, Settings
from service.journal.rules import FINAL_KINDS, SPECIAL_FINALS, System

DEPUTY = Viewer(2, "zavuch", 2, "Смирнова Анна Петровна", ("deputy",), PERMISSION_CODES,
                role_names=("Заместитель директора",))
TEACHER = Viewer(3, "uchitel", 4, "Попова Мария Сергеевна", ("teacher",), frozenset({"journal.teach"}),
                 role_names=("Учитель",))
REF = JournalRef("c", 1, 2)
INFO = {"title": "5А · Математика", "year_name": "2026/2027", "closed_at": None, "grade": 5}
SETTINGS = Settings(year=2, plans_due=date(2026, 9, 10))
FIVE = System(id=1, name="Пятибалльная", kind="scale", low=1, high=5, pass_from=3, code="5")
Q1 = {"id": 1, "name": "1 четверть", "number": 1, "starts_on": date(2026, 9, 1), "ends_on": date(2026, 10, 25),
      "closed": True}
Q2 = {"id": 2, "name": "2 четверть", "number": 2, "starts_on": date(2026, 11, 5), "ends_on": date(2026, 12, 29),
      "closed": False}
NOW = datetime(2026, 10, 24, 12, 30, tzinfo=UTC)


def _final(mark: str, version: int = 1) -> dict:
    return {"mark": mark, "note": "", "version": version, "confirmed_at": NOW}


def _student(sid: int, name: str, q1: str | None, avg: str | None, sugg: str, q2: dict | None = None) -> dict:
    c1 = {"period": Q1, "belongs": True, "average": Decimal("4.40"), "suggested": "4",
          "final": _final(q1) if q1 else None}
    c2 = {"period": Q2, "belongs": avg is not None, "average": Decimal(avg) if avg else None, "suggested": sugg,
          "final": q2}
    return {"id": sid, "name": name, "cells": [c1, c2], "extras": {},
            "year": {"average": None, "suggested": "", "final": None}, "edit": c2}


SHEET = {"settings": SETTINGS, "system": FIVE, "periods": [Q1, Q2], "extras": [], "current": Q2,
         "visibility": {1: (date(2026, 10, 11), date(2026, 10, 23)), 2: (date(2026, 12, 15), date(2026, 12, 27))},
         "students": [_student(11, "Морозов Артём", "4", "4.33", "4"),
                      _student(12, "Павлова Софья", "5", "4.75", "5", _final("5")),
                      _student(13, "Соколов Максим", "н/а", None, "")]}

OVERDUE = [{"ref": REF, "title": "5А · Математика", "teachers": "Попова М. С.", "period": Q1, "missing": 3,
            "due": date(2026, 10, 23)}]
PERIODS = [{**Q1, "grades": "1–9", "forecast_from": date(2026, 10, 11), "finals_from": date(2026, 10, 23),
            "closed_at": NOW, "closed_by_name": "Смирнова А. П.", "closed_reason": ""},
           {**Q2, "grades": "1–9", "forecast_from": date(2026, 12, 15), "finals_from": date(2026, 12, 27),
            "closed_at": None, "closed_by_name": "", "closed_reason": ""}]
YEAR = {"id": 2, "name": "2026/2027", "starts_on": date(2026, 9, 1), "ends_on": date(2027, 5, 31), "closed_at": None}
CORRECTION = {"id": 7, "target": "cell", "target_name": "клетка журнала", "status": "pending",
              "status_name": "ждёт утверждения", "where": "5А · Математика, урок 06.11.2026 № 2",
              "student_name": "Морозов Артём", "old_text": "5", "new_text": "4", "reason": "Ошиблась клеткой",
              "requested_by_name": "Попова М. С.", "requested_at": NOW, "decided_by_name": "", "decided_at": None,
              "decision_note": ""}

CONTEXTS: dict = {
    "journal/finals.html": (TEACHER, {
        "info": INFO, "ref": REF, "data": SHEET, "chosen": Q2, "kind": "period", "closed": False,
        "marks": ["5", "4", "3", "2", "1", *SPECIAL_FINALS], "special": SPECIAL_FINALS, "free_input": False,
        "may_write": True, "pending": False, "errors": {"s13": "«6» — не отметка системы «Пятибалльная»"},
        "typed": {"student": "13", "mark": "6"}, "kinds": FINAL_KINDS, "today": date(2026, 11, 25)},
        "Подтвердить предложенные"),
    "journal/finals_overview.html": (DEPUTY, {
        "year": YEAR, "wide": True, "may_close": True, "mine": [], "today": date(2026, 11, 25),
        "errors": {"__all__": "Не выставлены итоговые отметки: 3 (1 журнал)"}, "form": "p2",
        "typed": {"reason": ""}, "settings": SETTINGS, "periods": PERIODS, "overdue": OVERDUE},
        "Просроченные итоговые отметки"),
    "journal/corrections.html": (DEPUTY, {
        "waiting": [CORRECTION], "own": [{**CORRECTION, "id": 5, "status": "approved", "status_name": "утверждено",
                                          "decided_by_name": "Смирнова А. П.", "decided_at": NOW,
                                          "decision_note": "Согласовано"}],
        "may_decide": True, "errors": {}, "form": ""}, "Ждут утверждения"),
}
PARTIALS: set[str] = set()
