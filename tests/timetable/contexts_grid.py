"""Template contexts of the timetable (grid editor): the picker, a class's week with the slot
form open after a refusal, a teacher's week without the right to edit."""

from datetime import date

from service.accounts.rights import PERMISSION_CODES
from service.accounts.viewer import Viewer
from service.timetable.rules import WEEKDAYS, WEEKDAYS_SHORT, WEEKS, lesson_name

DEPUTY = Viewer(2, "zavuch", 2, "Орлова Вера Павловна", ("deputy",), PERMISSION_CODES,
                role_names=("Заместитель директора",))
TEACHER = Viewer(3, "uchitel", 4, "Попова Мария Сергеевна", ("teacher",), frozenset({"timetable.view"}),
                 role_names=("Учитель",))
VERSION = {"id": 1, "year": 1, "name": "Основное расписание", "starts_on": date(2026, 9, 1), "ends_on": None,
           "cycle": 2, "anchor": date(2026, 9, 1), "year_name": "2026/2027", "year_starts_on": date(2026, 9, 1),
           "year_ends_on": date(2027, 5, 31), "closed_at": None, "on": date(2026, 11, 23)}
CLASS = {"id": 3, "name": "5А", "grade": 5, "week_days": 5}
POPOVA = {"id": 4, "last_name": "Попова", "first_name": "Мария", "middle_name": "Сергеевна", "short": "Попова М. С."}


def _slot(id_, weekday, number, week, subject, short, teacher, room, group=None):
    return {"id": id_, "weekday": weekday, "number": number, "week": week, "school_class": None if group else 3,
            "study_group": 5 if group else None, "student": None, "subject": 1, "teacher": 4, "room": 1,
            "subject_name": subject, "subject_short": short, "class_name": None if group else "5А",
            "group_name": group, "room_name": room, "teacher_short": teacher, "who": group or "5А",
            "label": f"{group or '5А'}, {subject}, {teacher}, каб. {room}, {WEEKDAYS[weekday]}, "
                     f"{lesson_name(number)}, {WEEKS[week]}"}


SLOTS = [_slot(1, 1, 1, 0, "Математика", "Матем.", "Попова М. С.", "12"),
         _slot(2, 1, 2, 1, "Иностранный язык (английский)", "Англ. яз.", "Смирнова А. П.", "14",
               "5А англ. 1 группа"),
         _slot(3, 1, 2, 2, "Русский язык", "Рус. яз.", "Кузнецов О. И.", "Спортзал")]
DAYS, NUMBERS = [1, 2, 3, 4, 5], [1, 2, 3]
BELLS = {d: {1: "08:30–09:15", 2: "09:25–10:10", 3: "10:20–11:05"} for d in DAYS}
CELLS = {(d, n): {"every": [], "a": [], "b": [], "bell": True} for d in DAYS for n in NUMBERS}
CELLS[(1, 1)]["every"].append(SLOTS[0])
CELLS[(1, 2)]["a"].append(SLOTS[1])
CELLS[(1, 2)]["b"].append(SLOTS[2])
CELLS[(5, 3)]["bell"] = False
STAFF = [{**POPOVA}, {"id": 2, "last_name": "Смирнова", "first_name": "Анна", "middle_name": "Петровна",
                      "short": "Смирнова А. П."}]
DATA = {
    "days": DAYS, "numbers": NUMBERS, "cells": CELLS, "bells": BELLS, "slots": {s["id"]: s for s in SLOTS},
    "hours": [{"target": "5А", "subject": "Математика", "teacher": "Попова М. С.", "planned": 5, "placed": 4.0,
               "placed_text": "4", "state": "short"},
              {"target": "5А англ. 1 группа", "subject": "Иностранный язык (английский)",
               "teacher": "Смирнова А. П.", "planned": 3, "placed": 0.5, "placed_text": "0,5", "state": "short"}],
    "load": [{"subject": 1, "teacher": 4, "target": "5А", "text": "Математика — Попова М. С. (5А, 5 ч)"}],
    "subjects": ([{"id": 1, "name": "Математика"}], [{"id": 2, "name": "Русский язык"}]),
    "teachers": ([STAFF[0]], [STAFF[1]]),
    "targets": ([{"code": "c3", "name": "5А — весь класс"}], [{"code": "g5", "name": "5А англ. 1 группа"}]),
    "rooms": [{"id": 1, "name": "12"}, {"id": 2, "name": "14"}],
}
WEEK = {"version": VERSION, "data": DATA, "weekdays": WEEKDAYS, "weekdays_short": WEEKDAYS_SHORT,
        "weeks": WEEKS, "lesson_name": lesson_name, "slot": None}
REFUSED = ("Не получится: учитель уже ведёт урок в это время. Новый урок: 6Б, Математика, Попова М. С., "
           "каб. 14, понедельник, 1-й урок, каждую неделю; уже есть: 5А, Математика, Попова М. С., каб. 12, "
           "понедельник, 1-й урок, каждую неделю")

CONTEXTS: dict = {
    "timetable/grid.html": (DEPUTY, {
        "version": VERSION, "weeks": WEEKS,
        "classes": [{"id": 3, "name": "5А", "week_days": 5, "slots": 31}, {"id": 4, "name": "6Б", "week_days": 6,
                                                                           "slots": 0}],
        "teachers": [{**POPOVA, "post": "учитель математики", "slots": 18}]},
        "Сетка расписания: выберите класс или учителя"),
    "timetable/grid_week.html": (DEPUTY, {
        **WEEK, "school_class": CLASS, "teacher": None, "base": "/timetable/grid/1/class/3",
        "back": ("class", 3), "errors": {"teacher": REFUSED},
        "typed": {"weekday": "1", "number": "1", "week": "0", "subject": "1", "teacher": "4", "room": "2",
                  "target": "c3"},
        "show_form": True, "may_edit": True}, "уже есть: 5А, Математика"),
    "timetable/_grid_form.html": (DEPUTY, {
        **WEEK, "school_class": CLASS, "teacher": None, "base": "/timetable/grid/1/class/3",
        "back": ("class", 3), "errors": {}, "slot": SLOTS[1],
        "typed": {"weekday": "1", "number": "2", "week": "1", "subject": "1", "teacher": "2", "room": "2",
                  "target": "g5"},
        "show_form": True, "may_edit": True}, "Убрать урок из расписания"),
}
PARTIALS: set[str] = {"timetable/_grid_style.html"}
