"""Template contexts of the timetable (views): the weeks people see, the printable week, the
entry page and the calendar feeds page. The week is built by the real ``views.build_week``
from lesson rows as the query returns them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from service.accounts.rights import PERMISSION_CODES
from service.accounts.viewer import Viewer
from service.timetable import views

MONDAY = date(2026, 11, 23)
WHEN = datetime(2026, 11, 23, 9, 15, tzinfo=UTC)
DEPUTY = Viewer(2, "zavuch", 2, "Волков Игорь Андреевич", ("deputy",), PERMISSION_CODES,
                role_names=("Завуч",))
TEACHER = Viewer(3, "uchitel", 4, "Попова Мария Сергеевна", ("teacher",),
                 frozenset({"timetable.view"}), role_names=("Учитель",))
PARENT = Viewer(5, "roditel", 9, "Морозова Елена Викторовна", ("parent",),
                frozenset({"people.view_children"}), role_names=("Родитель",))


def _lesson(id_: int, day: int, number: int, subject: str, **changes) -> dict:
    row = {"id": id_, "on_date": date(2026, 11, 23 + day), "number": number, "school_class": 3,
           "study_group": None, "student": None, "teacher": 4, "taught_by": 4, "room": 1,
           "cancelled": False, "combined": False, "room_changed": False, "extra": False,
           "moved_from": None, "moved_from_number": None, "change_note": "", "changed_at": None,
           "revision": 0, "subject_name": subject, "class_name": "5А", "group_name": None,
           "class_of_group": "5А", "room_name": "12", "t_last": "Попова", "t_first": "Мария",
           "t_middle": "Сергеевна", "b_last": "Попова", "b_first": "Мария", "b_middle": "Сергеевна",
           "s_last": None, "s_first": None, "s_middle": None, "excluded": False}
    row.update(changes)
    return row


LESSONS = [
    _lesson(1, 0, 1, "Математика", taught_by=7, b_last="Кузнецов", b_first="Олег", b_middle="Иванович"),
    _lesson(2, 0, 2, "Русский язык", cancelled=True, change_note="учитель на курсах"),
    _lesson(3, 2, 5, "Математика", moved_from=date(2026, 11, 24), moved_from_number=3),
    _lesson(4, 3, 6, "Математика", extra=True, room_changed=True, room_name="Спортзал"),
    _lesson(5, 4, 1, "Русский язык", study_group=8, group_name="5А рус. 1 группа"),
    _lesson(6, 4, 1, "Русский язык", study_group=9, group_name="5А рус. 2 группа", teacher=2,
            taught_by=2, b_last="Смирнова", b_first="Анна", b_middle="Петровна"),
]
CALENDAR = views.Calendar(
    bells={1: {n: (510 + (n - 1) * 55, 555 + (n - 1) * 55) for n in range(1, 8)}},
    by_weekday={(1, d): 1 for d in range(1, 6)},
    years=[{"id": 1, "starts_on": date(2026, 9, 1), "ends_on": date(2027, 5, 31)}],
    days={date(2026, 11, 27): {"on_date": date(2026, 11, 27), "schedule": None, "as_weekday": None,
                               "note": "сокращённый день"}},
    versions=[{"id": 1, "year": 1, "starts_on": date(2026, 9, 1), "ends_on": None, "cycle": 2,
               "anchor": date(2026, 9, 1), "skip_holiday_weeks": False}],
)
CLASS = views.Whose("class", 3, "5А класс", grade=5)
CHILD = views.Whose("student", 11, "Морозов Артём, 5А", grade=5, private=True, parent=True)
CLASS_WEEK = views.build_week(CLASS, DEPUTY, MONDAY, LESSONS, CALENDAR, MONDAY, changes_link=True)
CHILD_WEEK = views.build_week(CHILD, PARENT, MONDAY, LESSONS, CALENDAR, MONDAY)
TEACHER_WEEK = views.build_week(views.Whose("teacher", 4, "Попова Мария Сергеевна"), TEACHER, MONDAY,
                                LESSONS[:4], CALENDAR, MONDAY)
TABS = [{"id": 11, "last_name": "Морозов", "first_name": "Артём", "class_name": "5А"},
        {"id": 12, "last_name": "Морозова", "first_name": "Дарья", "class_name": "2Б"}]
PICKS = {"classes": [{"id": 3, "name": "5А"}, {"id": 4, "name": "6Б"}],
         "teachers": [{"id": 4, "name": "Попова Мария Сергеевна"}],
         "rooms": [{"id": 1, "name": "каб. 12"}, {"id": 2, "name": "Спортзал"}]}
FEEDS = [{"id": 1, "person": 11, "made_by": 9, "created_at": WHEN, "revoked_at": None,
          "whose": "Морозов Артём", "maker": "Морозова Елена"},
         {"id": 2, "person": 11, "made_by": 9, "created_at": WHEN, "revoked_at": WHEN,
          "whose": "Морозов Артём", "maker": "Морозова Елена"}]

CONTEXTS: dict[str, tuple[Viewer | None, dict, str]] = {
    "timetable/week.html": (DEPUTY, {"whose": CLASS, "week": CLASS_WEEK, "base": "/timetable/class/3",
                                     "tabs": []}, "замена: Кузнецов О. И."),
    "timetable/week_print.html": (DEPUTY, {"whose": CLASS, "week": CLASS_WEEK,
                                           "base": "/timetable/class/3", "tabs": []},
                                  "size: A4 landscape"),
    "timetable/index.html": (TEACHER, {"whose": views.Whose("teacher", 4, "Попова Мария Сергеевна"),
                                       "week": TEACHER_WEEK, "tabs": [], "picks": PICKS,
                                       "base": "/timetable/teacher/4", "may_feed": True},
                             "перенесён с 24.11, 3-й урок"),
    "timetable/feeds.html": (PARENT, {"targets": [{"id": 11, "name": "Морозов Артём, 5А"}],
                                      "feeds": FEEDS, "errors": {}, "made_for": "1",
                                      "made": "https://ezh.school.local/timetable/feed/Zm9vYmFy.ics"},
                             "Скопируйте её сейчас"),
}
# the parent's entry page: a child's week with the children's tabs (rendered in its own test)
PARENT_INDEX = (PARENT, {"whose": CHILD, "week": CHILD_WEEK, "tabs": TABS, "picks": None,
                         "base": "/timetable/student/11", "may_feed": True}, "Морозова Дарья")
PARTIALS: set[str] = {"timetable/_week_style.html", "timetable/_week_nav.html",
                      "timetable/_week_grid.html", "timetable/_week_tabs.html",
                      "timetable/_week_pickers.html"}
