"""Template contexts of the timetable (home schooling)."""

from datetime import date

from service.accounts.rights import PERMISSION_CODES
from service.accounts.viewer import Viewer
from service.timetable.home_schooling import KINDS
from service.timetable.rules import WEEK_LETTERS, WEEKDAYS

DEPUTY = Viewer(2, "zavuch", 2, "Орлова Вера Павловна", ("deputy",), PERMISSION_CODES,
                role_names=("Заместитель директора",))
ROW = {"id": 4, "student": 11, "kind": "home", "kind_name": KINDS["home"],
       "starts_on": date(2026, 11, 16), "ends_on": None, "order_ref": "Приказ № 45-у от 12.11.2026",
       "note": "по заключению врачебной комиссии", "last_name": "Морозов", "first_name": "Артём",
       "middle_name": "Дмитриевич", "full_name": "Морозов Артём Дмитриевич", "class_name": "5А",
       "subjects": ["Математика", "Физическая культура"], "current": True}
SUBJECTS = [{"id": 1, "name": "Математика"}, {"id": 2, "name": "Физическая культура"}]
DETAIL = {**ROW, "subject_ids": [1, 2],
          "version": {"id": 1, "name": "Основное расписание", "starts_on": date(2026, 9, 1),
                      "ends_on": None, "cycle": 2},
          "slots": [{"id": 9, "weekday": 2, "number": 7, "week": 1, "subject": 1,
                     "subject_name": "Математика", "teacher": 4,
                     "teacher_name": "Попова Мария Сергеевна", "room_name": None}]}

CONTEXTS: dict = {
    "timetable/home_list.html": (DEPUTY, {"rows": [ROW, {**ROW, "id": 5, "current": False,
                                                          "kind_name": KINDS["family"], "subjects": []}]},
                                 "все предметы"),
    "timetable/home_new.html": (DEPUTY, {"classes": [{"id": 3, "name": "5А"}], "class_id": 3,
                                         "students": [{"id": 11, "last_name": "Морозов",
                                                       "first_name": "Артём", "middle_name": "Дмитриевич"}],
                                         "subjects": SUBJECTS, "kinds": KINDS,
                                         "errors": {"ends_on": "Дата окончания не может быть раньше даты начала"},
                                         "typed": {"student": "11", "kind": "home", "subjects": [1]}},
                                "Дата окончания не может быть раньше даты начала"),
    "timetable/home_detail.html": (DEPUTY, {"row": DETAIL, "subjects": SUBJECTS, "errors": {},
                                            "typed": {"starts_on": "2026-11-16", "subjects": [1, 2]},
                                            "weekdays": WEEKDAYS, "week_letters": WEEK_LETTERS,
                                            "teachers": [{"id": 4, "last_name": "Попова",
                                                          "first_name": "Мария", "middle_name": "Сергеевна"}],
                                            "rooms": [{"id": 2, "name": "12"}],
                                            "slot_errors": {"number": "Не получится: учитель уже ведёт урок "
                                                                      "в это время"},
                                            "slot_typed": {"weekday": "2", "number": "7", "week": "1"}},
                                   "Не получится: учитель уже ведёт урок в это время"),
}
PARTIALS: set[str] = {"timetable/_home_fields.html"}
