"""Template contexts of the messages pages, in the form tests/test_templates.py merges
(``CONTEXTS``: name → (viewer, context, a phrase of the page's own); ``PARTIALS``: rendered
through the pages)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.accounts.rights import PERMISSION_CODES
from service.accounts.viewer import Viewer
from service.messages import queries, rules
from service.messages.queries import Contact

PARENT = Viewer(5, "roditel", 9, "Морозова Елена Викторовна", ("parent",), frozenset({"messages.use"}),
                role_names=("Родитель",))
DEPUTY = Viewer(3, "zavuch", 3, "Орлова Галина Петровна", ("deputy",), PERMISSION_CODES, role_names=("Завуч",))
CLASS_TEACHER = Viewer(2, "klruk", 2, "Смирнова Анна Петровна", ("class_teacher",), frozenset({"messages.use"}),
                       role_names=("Классный руководитель",))
WHEN = datetime(2026, 11, 24, 15, 40, tzinfo=UTC)

THREAD = {"id": 7, "mine": True, "subject": "Справка после болезни", "last_at": WHEN, "started_at": WHEN,
          "other": 2, "other_name": "Смирнова Анна Петровна", "other_as": "staff", "my_as": "parent", "unread": 1,
          "about": 11, "about_name": "Артём Морозов", "last_body": "Спасибо, справку получила.", "last_mine": False}
MESSAGES = [
    {"id": 20, "author": 9, "author_as": "parent", "body": "Справку передадим завтра.\nАртём болел три дня.",
     "sent_at": WHEN, "read_at": WHEN + timedelta(minutes=20), "answered_at": WHEN + timedelta(hours=2),
     "mine": True, "answer_in": "2 ч", "files": [{"id": 3, "name": "справка.pdf", "size": 30000}]},
    {"id": 21, "author": 2, "author_as": "staff", "body": "Спасибо, справку получила.", "sent_at": WHEN + timedelta(hours=2),
     "read_at": None, "answered_at": None, "mine": False, "answer_in": "", "files": []},
]
CONTACT = Contact(person=2, name="Смирнова Анна Петровна", side="staff", about=11, about_name="Артём Морозов",
                  my_side="parent", why="Классный руководитель, Математика", rank=0, class_id=None, class_name="")
PUPIL = Contact(person=11, name="Морозов Артём Дмитриевич", side="student", about=11, about_name="Артём Морозов",
                my_side="staff", why="", rank=4, class_id=3, class_name="5А")
STATS = [rules.AnswerStats(2, "Смирнова Анна Петровна", (2026, 10), 4, 3, 2, 1, 0, timedelta(hours=3),
                           timedelta(days=2)),
         rules.AnswerStats(2, "Смирнова Анна Петровна", (2026, 11), 2, 2, 2, 0, 1, timedelta(minutes=40),
                           timedelta(hours=1))]

CONTEXTS = {
    "messages/index.html": (PARENT, {"threads": [THREAD, {**THREAD, "id": 8, "unread": 0, "last_mine": True}],
                                     "more": True, "page": 1, "unread_only": False, "sent": "",
                                     "sides": queries.SIDE_NAMES}, "Непрочитанные"),
    "messages/new.html": (CLASS_TEACHER, {"groups": {"О ребёнке: Артём Морозов": [CONTACT], "5А: ученики": [PUPIL]},
                                          "classes": [{"id": 3, "name": "5А"}], "chosen_class": {"id": 3, "name": "5А"},
                                          "parents_of_class": True, "typed": {"to": CONTACT.key, "subject": "Собрание",
                                                                              "body": "", "class": 3},
                                          "errors": {"body": "Сообщение: напишите текст или приложите файл"},
                                          "limits": rules, "sides": queries.SIDE_NAMES},
                          "Всем родителям 5А"),
    "messages/thread.html": (PARENT, {"thread": THREAD, "items": MESSAGES, "errors": {}, "typed": "",
                                      "sides": queries.SIDE_NAMES, "limits": rules}, "Прочитано"),
    "messages/answer_times.html": (DEPUTY, {"years": [{"id": 2, "name": "2026/2027"}, {"id": 1, "name": "2025/2026"}],
                                            "year": {"id": 2, "name": "2026/2027"}, "by_person": {2: STATS},
                                            "total": rules.totals(STATS), "duration": rules.duration_text},
                                   "Медиана ответа"),
    "messages/_unread.html": (PARENT, {"n": 3}, "непрочитанных: 3"),
}
PARTIALS: set[str] = set()
