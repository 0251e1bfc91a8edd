"""Template contexts of the timetable (changes for a date, substitute hours): realistic rows as
service/timetable/change_queries.py gives them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from service.accounts.rights import PERMISSION_CODES
from service.accounts.viewer import Viewer
from service.timetable import rules
from service.timetable.change_queries import dress

DEPUTY = Viewer(7, "zavuch", 12, "Орлова Наталья Викторовна", ("deputy",), PERMISSION_CODES,
                role_names=("Завуч",))
DAY = date(2026, 11, 24)
WHEN = datetime(2026, 11, 24, 7, 40, tzinfo=UTC)


def _lesson(id: int, number: int, teacher: tuple, taught_by: tuple, **changes) -> dict:
    row = {
        "id": id, "on_date": DAY, "number": number, "school_class": 3, "study_group": None,
        "student": None, "subject": 1, "teacher": teacher[0], "taught_by": taught_by[0], "room": 2,
        "slot": 40 + id, "cancelled": False, "combined": False, "room_changed": False,
        "extra": False, "moved_from": None, "moved_from_number": None, "change_note": "",
        "changed_at": None, "revision": 0, "has_records": False, "class_name": "5А",
        "class_grade": 5, "class_week_days": 5, "group_name": None, "group_class": None,
        "group_class_name": None, "group_grade": None, "group_week_days": None,
        "subject_name": "Математика", "t_last": teacher[1], "t_first": "Мария",
        "t_middle": "Сергеевна", "b_last": taught_by[1], "b_first": "Олег", "b_middle": "Иванович",
        "st_last": None, "st_first": None, "st_middle": None, "room_name": "12",
        "planned_room": 2, "planned_room_name": "12",
    }
    row.update(changes)
    if changes:
        row.setdefault("changed_at", WHEN)
    return dress(row)


POPOVA, KUZNETSOV = (4, "Попова"), (2, "Кузнецов")
NEEDS = {**_lesson(11, 2, POPOVA, POPOVA), "needs_cover": True,
         "free": [{"id": 2, "name": "Кузнецов О. И.", "post": "учитель", "same_subject": True},
                  {"id": 5, "name": "Смирнова А. П.", "post": "учитель", "same_subject": False}],
         "combine": [{"id": 6, "name": "Волков И. А.", "post": "учитель", "same_subject": False,
                      "busy_with": "6Б"}]}
REPLACED = _lesson(12, 3, POPOVA, KUZNETSOV, change_note="больничный", revision=1)
COVERED = {**REPLACED, "needs_cover": False, "free": [], "combine": []}
MOVED = {**_lesson(13, 5, KUZNETSOV, KUZNETSOV, moved_from=date(2026, 11, 23), moved_from_number=2,
                   room_changed=True, room=3, room_name="Спортзал", has_records=True),
         "moved_away": False}
EXTRA = {**_lesson(14, 6, KUZNETSOV, KUZNETSOV, extra=True, slot=None, planned_room=None,
                   planned_room_name=None, change_note="консультация"), "moved_away": False}
CANCELLED = {**_lesson(15, 4, POPOVA, POPOVA, cancelled=True), "moved_away": False}

DAY_PAGE = {
    "day": DAY, "open_lesson": None, "today": DAY, "prev_day": date(2026, 11, 23), "next_day": date(2026, 11, 25),
    "errors": {"substitute": "Не получится: Кузнецов О. И. в это время уже ведёт урок: 6Б"},
    "typed": {"substitute": "2", "note": ""}, "form": "replace-11",
    "lesson_name": rules.lesson_name, "time_text": rules.time_text,
    "absences": [{"id": 3, "teacher": 4, "name": "Попова М. С.", "starts_on": DAY,
                  "ends_on": date(2026, 11, 27), "reason": "больничный",
                  "lessons": [NEEDS, COVERED]}],
    "changed": [{**REPLACED, "moved_away": False}, MOVED, EXTRA, CANCELLED],
    "lessons": [NEEDS, REPLACED, CANCELLED, MOVED, EXTRA],
    "staff": [{"id": 2, "name": "Кузнецов О. И.", "post": "учитель математики"}],
    "bells": [rules.Bell(n, 510 + (n - 1) * 55, 555 + (n - 1) * 55) for n in range(1, 7)],
    "rooms": [{"id": 2, "name": "12"}, {"id": 3, "name": "Спортзал"}],
    "subjects": [{"id": 1, "name": "Математика"}],
    "targets": [{"school_class": 3, "study_group": None, "name": "5А", "key": "c3"},
                {"school_class": None, "study_group": 7, "name": "5А, 1 группа", "key": "g7"}],
}
HOURS = {
    "rows": [{"teacher": 2, "name": "Кузнецов О. И.", "replaced": 4, "combined": 1, "total": 5}],
    "starts_on": date(2026, 11, 1), "ends_on": date(2026, 11, 30), "errors": {},
    "totals": {"replaced": 4, "combined": 1, "total": 5},
}
TEACHER = {
    "teacher_id": 2, "teacher_name": "Кузнецов О. И.", "rows": [REPLACED], "starts_on": date(2026, 11, 1),
    "ends_on": date(2026, 11, 30), "errors": {"to": "Отчёт — не больше чем за год"},
    "lesson_name": rules.lesson_name,
}

CONTEXTS: dict = {
    "timetable/changes.html": (DEPUTY, DAY_PAGE, "Отметить отсутствие учителя"),
    "timetable/changes_hours.html": (DEPUTY, HOURS, "Часы замен и совмещений"),
    "timetable/changes_teacher.html": (DEPUTY, TEACHER, "Уроки за других учителей"),
}
PARTIALS: set[str] = {"timetable/_changes_lesson.html"}
