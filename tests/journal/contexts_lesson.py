"""Template contexts of the journal part «lesson» (its author keeps them): «Мои уроки
сегодня», the lesson page, a class's absences and notes — rows as lesson_queries.py gives them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from service.accounts.viewer import Viewer
from service.journal import files, notes, rules
from service.journal.lesson_queries import ATTENDANCE_CHOICES, time_text

TEACHER = Viewer(3, "uchitel", 4, "Попова Мария Сергеевна", ("teacher",), frozenset({"journal.teach"}),
                 role_names=("Учитель",))
KLRUK = Viewer(2, "klruk", 2, "Смирнова Анна Петровна", ("class_teacher", "teacher"),
               frozenset({"journal.teach", "journal.class"}), role_names=("Классный руководитель", "Учитель"))
DAY = date(2026, 11, 25)
WHEN = datetime(2026, 11, 25, 6, 40, tzinfo=UTC)


def _row(id: int, number: int, who: str, subject: str, minutes: int, **more) -> dict:
    row = {"id": id, "on_date": DAY, "number": number, "who": who, "subject_name": subject,
           "time": f"{time_text(minutes)}–{time_text(minutes + 45)}", "starts_at": minutes,
           "ends_at": minutes + 45, "room_name": "12", "room_changed": False, "cancelled": False,
           "combined": False, "extra": False, "moved_from": None, "replaced": False, "substitute": False,
           "mine": True, "teacher_name": "Попова М. С.", "taught_by_name": "Попова М. С.", "topic": "",
           "has_topic": False, "has_homework": False, "attendance_taken": False}
    row.update(more)
    return row


DONE = _row(101, 1, "5А", "Математика", 510, topic="Сложение обыкновенных дробей", has_topic=True,
            has_homework=True, attendance_taken=True)
DUE = _row(102, 2, "6Б", "Математика", 565)
SUB = _row(103, 4, "7В", "Алгебра", 685, substitute=True, teacher_name="Кузнецов О. И.")
AWAY = _row(104, 5, "5А англ. 1", "Английский язык", 740, replaced=True, mine=False,
            taught_by_name="Кузнецов О. И.")
CANCELLED = _row(105, 6, "9А", "Геометрия", 795, cancelled=True)
BELLS = [{"number": n, "starts_at": 510 + (n - 1) * 55, "ends_at": 555 + (n - 1) * 55} for n in range(1, 7)]

LESSON = {
    "id": 101, "on_date": DAY, "number": 2, "school_class": 3, "study_group": None, "student": None,
    "subject": 1, "teacher": 2, "taught_by": 4, "cancelled": False, "has_records": True, "room": 2,
    "subject_name": "Математика", "class_name": "5А", "group_name": None, "group_kind": None, "grade": 5,
    "class_teacher": 2, "year": 1, "year_closed_at": None, "year_name": "2026/2027", "combined": False,
    "extra": False, "moved_from": date(2026, 11, 24), "moved_from_number": 3, "room_changed": True,
    "change_note": "", "room_name": "12", "time": "9:25–10:10", "who": "5А", "teacher_name": "Кузнецов О. И.",
    "taught_by_name": "Попова М. С.", "substitute": True, "journal_path": "/journal/c3-s1",
}
STUDENTS = [
    {"id": 11, "last_name": "Морозов", "first_name": "Артём", "middle_name": "Дмитриевич", "name": "Морозов Артём",
     "attendance": "absent", "marks": "", "individual": "Карточка № 3: задачи 1–4",
     "files": [{"id": 8, "student": 11, "name": "Карточка 3.pdf", "size": 48213, "content_type": "application/pdf",
                "uploaded_at": WHEN}]},
    {"id": 12, "last_name": "Павлова", "first_name": "Софья", "middle_name": "Алексеевна", "name": "Павлова Софья",
     "attendance": "", "marks": "5 4", "individual": "", "files": []},
    {"id": 13, "last_name": "Соколов", "first_name": "Максим", "middle_name": "", "name": "Соколов Максим",
     "attendance": "late", "marks": "", "individual": "", "files": []},
]
PLAN = [{"id": 1, "number": 1, "topic": "Обыкновенные дроби", "hours": 1, "planned_on": None, "used": True},
        {"id": 2, "number": 2, "topic": "Сложение обыкновенных дробей", "hours": 1, "planned_on": None, "used": False},
        {"id": 3, "number": 3, "topic": "Вычитание обыкновенных дробей", "hours": 1, "planned_on": None,
         "used": False}]
ENTRY = {"topic": "Сложение обыкновенных дробей", "plan_item": 2, "material": "Правило сложения, № 95–99",
         "homework": "§ 12, № 101, 102", "comment": "", "work_kind": 2, "version": 3, "updated_at": WHEN,
         "attendance_at": WHEN}
WORK_KINDS = [{"id": 1, "name": "Ответ на уроке", "weight": 1}, {"id": 2, "name": "Самостоятельная работа",
                                                                   "weight": 2}]

LESSON_CONTEXT = {
    "lesson": LESSON, "entry": ENTRY, "version": 3, "writable": True, "students": STUDENTS,
    "general_files": [{"id": 7, "student": None, "name": "Задание к уроку.pdf", "size": 120400,
                       "content_type": "application/pdf", "uploaded_at": WHEN}],
    "plan": PLAN, "suggested_item": 2, "work_kinds": WORK_KINDS, "lock": "reason", "attendance_open": True,
    "attendance_taken": True, "future": False, "year_closed": False, "errors": {"reason": (
        "Урок закрыт для свободного исправления: укажите причину")}, "typed": {"topic": "Сложение дробей"},
    "form": "entry", "need": "reason", "flash": "", "choices": ATTENDANCE_CHOICES, "paper": False,
    "attendance_names": rules.ATTENDANCE, "kb_text": files.kb_text, "file_max": 10240,
}

NOTES_CONTEXT = {
    "left": 2,
    "classes": [{"id": 3, "name": "5А", "grade": 5}, {"id": 4, "name": "6Б", "grade": 6}],
    "school_class": {"id": 3, "name": "5А", "class_teacher": 2, "year": 1},
    "students": [{"id": 11, "name": "Морозов А. Д.", "days": ["н×2", "б", ""], "open": True},
                 {"id": 12, "name": "Павлова С. А.", "days": ["", "", "у"], "open": False}],
    "days": [date(2026, 11, 20), date(2026, 11, 23), date(2026, 11, 24)],
    "notes": [{"id": 5, "student": 11, "starts_on": date(2026, 11, 23), "ends_on": date(2026, 11, 24),
               "kind": "ill", "note": "справка № 17 из поликлиники", "created_at": WHEN, "name": "Морозов А.",
               "kind_name": notes.KINDS["ill"]}],
    "may_add": True, "start": DAY - timedelta(weeks=4), "today": DAY, "kinds": notes.KINDS,
    "flash": "note", "ahead": DAY + timedelta(days=30),
    "errors": {"ends_on": "По какой день: не раньше первого дня"},
    "typed": {"student": "11", "starts_on": "2026-11-24", "ends_on": "2026-11-20", "kind": "ill", "note": ""},
}

CONTEXTS: dict = {
    "journal/today.html": (TEACHER, {
        "day": DAY, "today": DAY, "lessons": [DONE, DUE, SUB, AWAY, CANCELLED], "bells": BELLS,
        "reminders": [DUE], "prev_day": DAY - timedelta(days=1), "next_day": DAY + timedelta(days=1),
        "time_text": time_text, "errors": {}}, "Не отмечена посещаемость"),
    "journal/lesson.html": (TEACHER, LESSON_CONTEXT, "Домашнее задание для всех"),
    "journal/notes.html": (KLRUK, NOTES_CONTEXT, "Записать справку"),
}
PARTIALS: set[str] = set()
