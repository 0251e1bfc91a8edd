"""Template contexts of the diary's pages, in the form tests/test_templates.py merges
(``CONTEXTS``: name → (viewer, context, a phrase of the page's own); ``PARTIALS``: rendered
through the pages). tests/diary/test_templates.py renders them the same way."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from service.accounts.rights import PERMISSION_CODES
from service.accounts.viewer import Viewer
from service.diary import digest
from service.diary.actions import DigestChoice
from service.diary.queries import Whose

PARENT = Viewer(5, "roditel", 9, "Морозова Елена Викторовна", ("parent",),
                frozenset({"diary.own", "diary.acknowledge", "people.view_children"}),
                role_names=("Родитель",))
CLASS_TEACHER = Viewer(2, "klruk", 2, "Смирнова Анна Петровна", ("class_teacher",), PERMISSION_CODES,
                       role_names=("Классный руководитель",))
WHOSE = Whose(11, "Морозов Артём", 3, "5А", 5, False, True)
TABS = [{"id": 11, "last_name": "Морозов", "first_name": "Артём", "class_name": "5А"},
        {"id": 12, "last_name": "Морозова", "first_name": "Дарья", "class_name": "2Б"}]
MONDAY = date(2026, 11, 23)
WHEN = datetime(2026, 10, 27, 17, 40, tzinfo=UTC)

LESSON = {"id": 101, "number": 2, "subject_name": "Математика", "journal": "c3-s1", "group_name": None,
          "student": None, "cancelled": False, "changes": ["замена: Кузнецов О. И."], "change_note": "",
          "teacher_name": "Кузнецов О. И.", "room_name": "12", "topic": "Сложение дробей",
          "homework": "№ 245, 247", "own_homework": ["Повторить таблицу умножения на 7"],
          "files": [{"id": 7, "name": "Карточка.pdf", "size": 20480}],
          "grades": [{"mark": "5", "kind": "Контрольная работа", "weight": "3", "comment": "без ошибок"}],
          "absence": None}
ABSENT = {**LESSON, "id": 102, "number": 3, "subject_name": "Английский язык", "journal": "g4-s2",
          "group_name": "5А англ. 1", "changes": [], "topic": "", "homework": "", "own_homework": [],
          "files": [], "grades": [],
          "absence": {"letter": "б", "reason": "по болезни", "minutes": None, "note": "справка"}}
DAYS = [{"date": MONDAY, "weekday": "Понедельник", "today": False, "lessons": [LESSON, ABSENT]},
        {"date": date(2026, 11, 24), "weekday": "Вторник", "today": True, "lessons": []}]

Q1 = {"id": 1, "name": "1 четверть", "starts_on": date(2026, 9, 1), "ends_on": date(2026, 10, 25),
      "average": Decimal("4.55"), "forecast": "5", "forecast_from": date(2026, 10, 11), "final": "5",
      "finals_from": date(2026, 10, 23), "closed": True}
Q2 = {"id": 2, "name": "2 четверть", "starts_on": date(2026, 11, 5), "ends_on": date(2026, 12, 29),
      "average": Decimal("4.25"), "forecast": None, "forecast_from": date(2026, 12, 15), "final": None,
      "finals_from": date(2026, 12, 27), "closed": False}
VIEW = [{"journal": "c3-s1", "subject": "Математика", "owner": "5А", "system": "Пятибалльная",
         "periods": [Q1, Q2], "year_final": None, "extras": {}}]
ACK = {"period": 1, "parent": 9, "acknowledged_at": WHEN, "name": "Морозова Е. В."}
GRADE = {"on_date": date(2026, 11, 18), "number": 2, "mark": "4", "value": Decimal("4"), "weight": Decimal("1"),
         "weight_text": "1", "comment": "", "kind": "Ответ на уроке"}

CONTEXTS = {
    "diary/week.html": (PARENT, {"whose": WHOSE, "tabs": TABS, "days": DAYS, "monday": MONDAY,
                                 "sunday": date(2026, 11, 29), "previous": date(2026, 11, 16),
                                 "next": date(2026, 11, 30), "this_week": MONDAY, "today": date(2026, 11, 24)},
                        "Повторить таблицу умножения на 7"),
    "diary/finals.html": (PARENT, {"whose": WHOSE, "tabs": TABS, "view": VIEW, "periods": [Q1, Q2],
                                   "visible": {1: Q1}, "acknowledged": {1: [ACK]}, "mine": {},
                                   "today": date(2026, 11, 24), "error": "", "may_acknowledge": True},
                          "Ознакомление с итоговыми отметками"),
    "diary/subject.html": (PARENT, {"whose": WHOSE, "tabs": TABS, "entry": VIEW[0],
                                    "periods": [{**Q1, "grades": [GRADE]}, {**Q2, "grades": []}],
                                    "today": date(2026, 11, 24)},
                           "Средний балл"),
    "diary/none.html": (PARENT, {}, "не привязан ни один ученик"),
    "diary/acknowledgements.html": (
        CLASS_TEACHER,
        {"classes": [{"id": 3, "name": "5А", "grade": 5, "year": 2}],
         "chosen": {"id": 3, "name": "5А", "grade": 5, "year": 2},
         "periods": [Q1, Q2], "period": Q1, "done": 1, "today": date(2026, 11, 24),
         "pupils": [{"id": 11, "name": "Морозов Артём Дмитриевич",
                     "parents": [{"name": "Морозова Е. В.", "kind": "мать", "at": WHEN}],
                     "done": [{"name": "Морозова Е. В.", "kind": "мать", "at": WHEN}]},
                    {"id": 12, "name": "Павлова Софья Алексеевна",
                     "parents": [{"name": "Павлов А. Н.", "kind": "отец", "at": None}],
                     "done": []}]},
        "ознакомились родители"),
}

DIGEST_CHILD = digest.ChildDay(
    11, "Морозов Артём", "5А",
    grades=[{"subject": "Математика", "mark": "5", "kind": "Контрольная работа", "weight": "3",
             "comment": "без ошибок", "on_date": MONDAY, "earlier": False}],
    absences=[{"subject": "Английский язык", "number": 3, "letter": "б", "reason": "по болезни",
               "minutes": None, "note": "справка"}],
    next_day=date(2026, 11, 24),
    lessons=[{**LESSON, "homework": "№ 245, 247", "own_homework": ["Повторить таблицу умножения на 7"]}])
DIGEST = digest.Digest(9, "mama@example.ru", "Елена Викторовна", MONDAY, [DIGEST_CHILD])

CONTEXTS["diary/digest.html"] = (
    PARENT, {"choice": DigestChoice("mama@example.ru", True), "mail_enabled": False, "digest_time": "",
             "errors": {"address": "Адрес электронной почты: адрес вида name@example.ru"},
             "typed": {"address": "мама на почте"}, "saved": False},
    "Школа не включила рассылку")
CONTEXTS["diary/digest_mail.html"] = (
    PARENT, {"digest": DIGEST, "school": "Школа № 1", "day_text": digest.day_text,
             "links": {11: "https://ezh.school.local/diary/11"},
             "settings_link": "https://ezh.school.local/diary/digest", "grade_line": digest._grade_line,
             "absence_line": digest._absence_line, "subject": "Школа № 1: сводка за 23.11.2026"},
    "Сводка электронного журнала за понедельник, 23 ноября 2026 г.")
PARTIALS = {"diary/_head.html"}
