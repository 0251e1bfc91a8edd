"""Template contexts of the timetable (setup): the overview of a year, a bell schedule, a
version, the rooms."""

from __future__ import annotations

from datetime import date

from service.accounts.rights import PERMISSION_CODES
from service.accounts.viewer import Viewer

DEPUTY = Viewer(2, "zavuch", 2, "Смирнова Анна Петровна", ("deputy",), PERMISSION_CODES,
                role_names=("Заместитель директора",))
TEACHER = Viewer(3, "uchitel", 4, "Попова Мария Сергеевна", ("teacher",), frozenset({"timetable.view"}),
                 role_names=("Учитель",))
YEAR = {"id": 2, "name": "2026/2027", "starts_on": date(2026, 9, 1), "ends_on": date(2027, 5, 31),
        "is_current": True, "closed_at": None}
WEEKDAYS = {"1": "Пн", "2": "Вт", "3": "Ср", "4": "Чт", "5": "Пт", "6": "Сб"}
BELLS = [{"id": n, "schedule": 1, "number": n, "starts_at": 510 + (n - 1) * 55, "ends_at": 555 + (n - 1) * 55,
          "starts": f"{(510 + (n - 1) * 55) // 60:02d}:{(510 + (n - 1) * 55) % 60:02d}",
          "ends": f"{(555 + (n - 1) * 55) // 60:02d}:{(555 + (n - 1) * 55) % 60:02d}"} for n in range(1, 7)]
SCHEDULE = {"id": 1, "year": 2, "name": "Основное", "weekdays": "12345", "bells": BELLS,
            "weekday_names": ["Пн", "Вт", "Ср", "Чт", "Пт"]}
SHORT = {"id": 3, "year": 2, "name": "Сокращённый день", "weekdays": "", "bells": BELLS[:3], "weekday_names": []}
VERSIONS = [
    {"id": 1, "name": "Основное расписание", "starts_on": date(2026, 9, 1), "ends_on": date(2026, 11, 29),
     "cycle": 2, "anchor": date(2026, 9, 1), "skip_holiday_weeks": True, "slots": 412, "current": False,
     "past": True},
    {"id": 2, "name": "Расписание со 2 четверти", "starts_on": date(2026, 11, 30), "ends_on": None,
     "cycle": 2, "anchor": date(2026, 9, 1), "skip_holiday_weeks": True, "slots": 418, "current": True,
     "past": False},
]
DAYS = [{"id": 1, "on_date": date(2026, 12, 5), "schedule": 3, "as_weekday": 1, "note": "перенос с 04.11",
         "schedule_name": "Сокращённый день", "weekday_name": "суббота", "as_weekday_name": "понедельник"}]
ROOMS = [{"id": 1, "name": "12", "note": ""}, {"id": 2, "name": "Спортзал", "note": "второй этаж"}]
ERRORS = {"bells": "2-й урок (09:20–10:05) пересекается с уроком 3-й урок (10:00–10:45)"}

CONTEXTS: dict = {
    "timetable/setup.html": (DEPUTY, {
        "year": YEAR, "years": [YEAR, {**YEAR, "id": 1, "name": "2025/2026", "is_current": False}],
        "may_edit": True, "errors": ERRORS, "typed": {"name": "Суббота", "bells": "1 08:30 09:15",
                                                      "weekdays": ["6"]},
        "form": "bells", "weekdays": WEEKDAYS, "today": date(2026, 11, 27), "versions": VERSIONS,
        "schedules": [SCHEDULE, SHORT], "days": DAYS, "rooms": ROOMS,
        "warnings": ["Укажите, по расписанию какого дня работает суббота 26.12 («Перенос рабочего дня»): "
                     "иначе уроков в этот день не будет."],
    }, "Укажите, по расписанию какого дня работает суббота 26.12"),
    "timetable/setup_bells.html": (DEPUTY, {
        "year": YEAR, "schedule": SCHEDULE, "may_edit": True, "errors": ERRORS, "weekdays": WEEKDAYS,
        "typed": {"name": "Основное", "bells": "1 08:30 09:15\n2 09:20 10:05\n3 10:00 10:45",
                  "weekdays": ["1", "2", "3", "4", "5"]},
    }, "Расписание звонков «Основное»"),
    "timetable/setup_rooms.html": (TEACHER, {
        "rooms": ROOMS, "may_edit": False, "errors": {}, "typed": {}, "form": "",
    }, "второй этаж"),
    "timetable/setup_version.html": (DEPUTY, {
        "year": YEAR, "version": VERSIONS[1], "may_edit": True,
        "errors": {"anchor": "Дата недели A 01.08.2026 — вне учебного года (01.09.2026–31.05.2027)"},
        "typed": {"name": "Расписание со 2 четверти", "cycle": "2", "anchor": "2026-08-01",
                  "skip_holiday_weeks": "1"},
    }, "Дата недели A 01.08.2026 — вне учебного года"),
}
PARTIALS: set[str] = {"timetable/_setup_bells_form.html"}
