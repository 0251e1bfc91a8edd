"""Every template renders, in Russian, with realistic data (style: «render every template in a
test»). A new template without a context here fails `test_every_template_is_covered`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from backups.state import RunRecord
from service.accounts.rights import PERMISSION_CODES
from service.accounts.viewer import Viewer
from service.audit.queries import AuditFilter
from service.domains import action_names
from service.exchange.mapping import FIELDS as EXCHANGE_FIELDS
from service.exchange.mapping import KIND_NAMES as EXCHANGE_KINDS
from service.exchange.preview import Lookups as ExchangeLookups
from service.exchange.preview import build_preview as exchange_preview
from service.ops.maintenance import STATUS_RU
from service.ops.rules import MonthAvailability, RunSummary, alarms
from service.orders.actions import KIND_NAMES
from service.orders.routes import FORMS as ORDER_FORMS
from service.readers import Table as ExchangeTable
from service.reports.readiness import Item
from service.web import TEMPLATES_DIR, jinja, render_pdf
from tests.diary.contexts import CONTEXTS as DIARY_CONTEXTS
from tests.diary.contexts import PARTIALS as DIARY_PARTIALS
from tests.journal.contexts import CONTEXTS as JOURNAL_CONTEXTS
from tests.journal.contexts import PARTIALS as JOURNAL_PARTIALS
from tests.messages.contexts import CONTEXTS as MESSAGES_CONTEXTS
from tests.messages.contexts import PARTIALS as MESSAGES_PARTIALS
from tests.records.contexts import CONTEXTS as RECORDS_CONTEXTS
from tests.records.contexts import PARTIALS as RECORDS_PARTIALS
from tests.reports.contexts import CONTEXTS as REPORTS_CONTEXTS
from tests.reports.contexts import PARTIALS as REPORTS_PARTIALS
from tests.timetable.contexts import CONTEXTS as TIMETABLE_CONTEXTS
from tests.timetable.contexts import PARTIALS as TIMETABLE_PARTIALS

ADMIN = Viewer(1, "admin", 1, "Волков Игорь Андреевич", ("admin",), PERMISSION_CODES,
               role_names=("Администратор",))
PARENT = Viewer(5, "roditel", 9, "Морозова Елена Викторовна", ("parent",),
                frozenset({"people.view_children"}), role_names=("Родитель",))
WHEN = datetime(2026, 11, 23, 9, 15, tzinfo=UTC)
PUPIL = {"id": 11, "last_name": "Морозов", "first_name": "Артём", "middle_name": "Дмитриевич",
         "full_name": "Морозов Артём Дмитриевич",
         "sex": "м", "birth_date": date(2015, 3, 14), "has_account": False, "class_id": 3,
         "class_name": "5А",
         "parents": [{"id": 9, "last_name": "Морозова", "first_name": "Елена",
                      "middle_name": "Викторовна", "full_name": "Морозова Елена Викторовна",
                      "kind": "мать", "has_account": True}]}
PERSON = {**PUPIL, "snils": "112-233-445 95", "phone": "+7 900 000-00-00", "email": "",
          "post": None, "staff_from": None, "staff_to": None, "is_student": True,
          "parents": [{"person_id": 9, "full_name": "Морозова Елена Викторовна", "kind": "мать",
                       "is_legal_representative": True}], "children": [], "consent_on_file": True,
          "consents": [{"id": 1, "scope": "ведение журнала", "given_on": date(2026, 9, 1),
                        "withdrawn_on": None, "document_ref": "папка 5А, № 12", "signed_by": 9,
                        "signer": "Морозова Елена Викторовна", "in_force": True}]}
HEALTH_ROW = {**PUPIL, "full": False, "health_group": "II", "pe_group": "подготовительная",
              "recommendations": "освобождён от бега на длинные дистанции", "valid_from": date(2026, 9, 1)}
HEALTH_SHEET = {**PUPIL, "full": True, "records": [
    {"id": 1, "health_group": "II", "pe_group": "подготовительная", "recommendations": "без бега",
     "valid_from": date(2026, 9, 1), "valid_to": None, "current": True}]}
CLASS = {"id": 3, "name": "5А", "grade": 5, "letter": "А", "year_name": "2026/2027",
         "class_teacher": 2, "teacher_last": "Смирнова", "teacher_first": "Анна",
         "teacher_middle": "Петровна", "pupils": 27}
COUNTS = {"classes": 88, "students": 2500, "staff": 187, "accounts": 412}
USER = {"id": 3, "login": "uchitel", "is_active": True, "last_login_at": WHEN, "created_at": WHEN,
        "person.id": 4, "person.last_name": "Попова", "person.first_name": "Мария",
        "person.middle_name": "Сергеевна", "roles": ["Учитель"], "role_codes": {"teacher"},
        "pending_reset": False}
ROLES = [{"id": 1, "code": "admin", "name": "Администратор"}, {"id": 4, "code": "teacher", "name": "Учитель"}]
AUDIT_ROW = {"id": 5, "seq": 5, "at": WHEN, "actor_id": 1, "actor_name": "admin",
             "address": "10.0.0.2", "action": "accounts.role_rights_changed",
             "action_name": "Изменены права роли", "object_type": "role", "object_id": "teacher",
             "old": '["school.view"]', "new": '["admin.audit","school.view"]', "reason": "проверка"}

# the school's setup pages (years, classes, groups, subjects, load)
YEAR = {"id": 2, "name": "2026/2027", "starts_on": date(2026, 9, 1), "ends_on": date(2027, 5, 26),
        "is_current": True, "closed_at": None, "classes": 4, "periods": 6}
PERIOD = {"id": 7, "scheme": "quarters", "number": 2, "name": "2 четверть", "grade_from": 1,
          "grade_to": 9, "starts_on": date(2026, 11, 5), "ends_on": date(2026, 12, 28),
          "school_days": [38, 46]}
CAL_DAY = {"id": 4, "kind": "holidays", "name": "Зимние каникулы", "grade_from": 1, "grade_to": 11,
           "starts_on": date(2026, 12, 29), "ends_on": date(2027, 1, 8)}
STAFF_ROW = {"id": 4, "last_name": "Попова", "first_name": "Мария", "middle_name": "Сергеевна",
             "post": "учитель математики"}
LOAD_ROW = {"id": 9, "teacher": 4, "subject": 1, "school_class": 3, "study_group": None,
            "hours_per_week": 5, "starts_on": date(2026, 9, 1), "ends_on": date(2026, 12, 31),
            "subject_name": "Математика", "teacher_last_name": "Попова", "teacher_first_name": "Мария",
            "teacher_middle_name": "Сергеевна", "target_name": "5А", "grade": 5, "year": 2,
            "year_name": "2026/2027", "closed_at": None}
GROUP = {"id": 5, "name": "5А англ. 1 группа", "kind": "subgroup", "school_class": 3, "class_name": "5А",
         "subject": 2, "subject_name": "Иностранный язык (английский)", "members": 13, "year": 2,
         "year_name": "2026/2027", "closed_at": None}
SCHOOL_CLASS = {"id": 3, "name": "5А", "grade": 5, "letter": "А", "week_days": 6, "class_teacher": 2,
                "year": 2, "year_name": "2026/2027", "pupils": 27, "teacher_last_name": "Смирнова",
                "teacher_first_name": "Анна", "teacher_middle_name": "Петровна"}
SCHOOL_FORMS = {"schemes": {"quarters": "четверти", "halves": "полугодия"},
                "day_kinds": {"holidays": "каникулы", "workday": "рабочий день (перенос)"}}

ORDERS_YEAR = {"id": 1, "name": "2026/2027", "starts_on": date(2026, 9, 1), "ends_on": date(2027, 5, 31),
               "is_current": True, "closed_at": None}
ORDER = {"id": 7, "number": "45-у", "dated": date(2026, 10, 1), "kind": "transfer",
         "title": "О переводе в 6Б класс", "cancels": None, "cancelled_by": 9, "cancelled_number": "47-у",
         "cancelled_dated": date(2026, 10, 5), "cancels_number": None, "cancels_dated": None,
         "created_at": WHEN, "students": ["Морозов Артём"],
         "lines": [{"id": 1, "kind": "transfer", "on_date": date(2026, 11, 1), "reason": "",
                    "school_order": 7, "student": 11, "full_name": "Морозов Артём Дмитриевич",
                    "from_name": "5А", "to_name": "6Б", "group_name": None, "number": "45-у",
                    "dated": date(2026, 10, 1), "order_kind": "transfer", "cancelled_number": "47-у"}]}
EXCHANGE_PREVIEW = exchange_preview("students", ExchangeTable(
    [["Список 5А"], ["ФИО", "Дата рожд.", "Класс", "Родился в"],
     ["Морозов Артём Дмитриевич", "31.02.2015", "5А", "Тверь"],
     ["Павлова Софья", "1.9.15", "5 а", ""]], [1, 2, 3, 4], "csv", "Windows-1251"),
    ExchangeLookups(today=date(2026, 11, 23), classes={"5А": 3},
                    year={"id": 1, "name": "2026/2027", "starts_on": date(2026, 9, 1), "closed_at": None}))
_LATE = RunRecord("backup", WHEN, WHEN, True, "архив создан", "ezh-2026-11-22", 52_428_800)
_DRILL = RunRecord("drill", WHEN, WHEN, False, "таблица person: 3 строки вместо 5")
OPS_STATE = {"backup": _LATE, "good_backup": _LATE, "drill": _DRILL, "good_drill": None,
             "maintenance": RunRecord("maintenance", WHEN, WHEN, False, "с замечаниями", details={
                 "steps": [{"code": "drill", "title": "Проверка восстановления", "status": "skipped",
                            "seconds": 0.0, "message": "пропущен: ожидается 40 мин"}]}),
             "alarms": alarms(WHEN + timedelta(hours=30), RunSummary(WHEN, True),
                              RunSummary(WHEN, False), None)}
PLANNED = {"id": 1, "starts_at": WHEN, "ends_at": WHEN, "reason": "Замена диска сервера",
           "announced_by": "admin", "announced_at": WHEN, "cancelled_at": None,
           "cancel_reason": "", "current": True}
OPS_MONTH = MonthAvailability(2026, 11, timedelta(hours=480), timedelta(minutes=200),
                              [(WHEN, WHEN + timedelta(hours=2)), (WHEN, WHEN + timedelta(hours=3))])

CONTEXTS: dict[str, tuple[Viewer | None, dict, str]] = {
    "orders/book.html": (ADMIN, {"orders": [ORDER], "years": [ORDERS_YEAR], "year": ORDERS_YEAR,
                                 "kind": "transfer", "kinds": KIND_NAMES, "forms_": ORDER_FORMS,
                                 "errors": {}}, "отменён приказом № 47-у"),
    "orders/order.html": (ADMIN, {"order": ORDER, "kinds": KIND_NAMES, "may_cancel": True,
                                  "errors": {"number": "Приказ № 45-у уже есть"}, "entered": {},
                                  "today": date(2026, 11, 23)}, "переведён из 5А в 6Б"),
    "orders/new.html": (ADMIN, {"kind": "transfer", "heading": ORDER_FORMS["transfer"],
                                "year": ORDERS_YEAR, "classes": [CLASS], "groups": [], "from_class": CLASS,
                                "group": None, "pupils": [PUPIL], "chosen": {11},
                                "entered": {"number": "46-у"}, "errors": {"on_date": "раньше зачисления"},
                                "today": date(2026, 11, 23)}, "Перевод в другой класс"),
    "orders/student.html": (ADMIN, {"person": {**PUPIL, "lines": ORDER["lines"], "groups": [
        {"group_name": "Английский язык, 1 группа", "starts_on": date(2026, 9, 1), "ends_on": None}],
        "enrolments": [{"class_name": "5А", "year_name": "2026/2027", "starts_on": date(2026, 9, 1),
                        "ends_on": date(2026, 10, 31), "number": "12-у", "dated": date(2026, 8, 25)}]},
                                    "kinds": KIND_NAMES}, "движение ученика по книге приказов"),
    "orders/rollover.html": (ADMIN, {
        "years": [ORDERS_YEAR], "picked": {"old_year": 1, "new_year": 2}, "errors": {}, "entered": {},
        "leaving": set(), "held_back": {11}, "today": date(2027, 6, 20), "preview": {
            "old": ORDERS_YEAR, "new": {**ORDERS_YEAR, "id": 2, "name": "2027/2028"},
            "counts": {"promote": 24, "repeat": 1, "graduate": 2},
            "create": [{"name": "6А", "teacher": "Смирнова Анна Петровна"}],
            "classes": [{**CLASS, "teacher": "Смирнова Анна Петровна", "to": "6А", "pupils": [
                {"id": 11, "name": "Морозов Артём", "kind": "repeat", "to": "5А"}]}]}},
        "останутся на повторное обучение"),
    # template: (viewer, context, a phrase the page must show)
    "exchange/index.html": (ADMIN, {"kinds": EXCHANGE_KINDS, "errors": {"file": "Файл больше 10 МБ"},
                                    "kind": "parents", "may_import": True, "may_export": True,
                                    "limit_mb": 10}, "Загрузить список"),
    "exchange/preview.html": (ADMIN, {
        "preview": EXCHANGE_PREVIEW, "token": "x" * 43, "file_name": "5А.csv", "kind_name": "Ученики",
        "fields": {f.code: f.label for f in EXCHANGE_FIELDS["students"]},
        "lines": EXCHANGE_PREVIEW.lines, "bad_lines": EXCHANGE_PREVIEW.bad_lines, "errors": {}},
        "такой даты нет в календаре"),
    "exchange/done.html": (ADMIN, {"kind_name": "Ученики", "count": 27, "file_name": "5А.xlsx"},
                           "Загружено записей: <strong>27</strong>"),
    "accounts/login.html": (None, {"errors": {"__all__": "Неверный логин или пароль"},
                                   "login": "klruk", "next": "/home"}, "Неверный логин или пароль"),
    "accounts/register.html": (None, {"code": "7K3M-Q9PX-2DTR", "errors": {}, "login": "",
                                      "done": False, "invitation": {
                                          "person": {"last_name": "Павлов", "first_name": "Алексей",
                                                     "middle_name": "Николаевич"},
                                          "role": {"code": "parent", "name": "Родитель"}}}, "Павлов"),
    "accounts/reset.html": (None, {"errors": {"code": "Срок действия кода истёк"}, "login": "uchitel",
                                   "code": "", "done": False}, "истёк"),
    "accounts/password.html": (ADMIN, {"errors": {}, "done": True}, "Пароль изменён"),
    "accounts/roles.html": (ADMIN, {
        "roles": [{"id": 1, "code": "admin", "name": "Администратор", "description": "Технический"},
                  {"id": 4, "code": "teacher", "name": "Учитель", "description": "Учитель-предметник"}],
        "sections": {"Администрирование": [{"code": "admin.roles", "name": "Изменять права ролей"}]},
        "held": {(1, "admin.roles")}, "errors": {"4": "Неизвестное право"}, "saved": "1"},
        "Изменять права ролей"),
    "accounts/users.html": (ADMIN, {"users": [USER], "q": "поп", "page": 1, "has_next": False,
                                    "errors": {}}, "Попова"),
    "accounts/user.html": (ADMIN, {"user": USER, "reset_code": "7K3M-Q9PX-2DTR", "errors": {},
                                   "reset_hours": 72, "site": "https://ezh.school.local",
                                   "all_roles": ROLES, "roles_saved": True, "grantable": {"teacher"},
                                   "above": "", "is_self": False, "now": WHEN, "api_key": "ezh_example-key",
                                   "api_tokens": [{"id": 1, "name": "Библиотека школы", "created_at": WHEN,
                                                   "expires_at": WHEN + timedelta(days=365), "revoked_at": None,
                                                   "last_used_at": WHEN}]}, "7K3M-Q9PX-2DTR"),
    "people/staff.html": (ADMIN, {"staff": [{"id": 4, "last_name": "Попова", "first_name": "Мария",
                                             "middle_name": "Сергеевна", "post": "учитель математики",
                                             "leads_class": "5А", "has_account": False}],
                                  "staff_roles": {"auto": "учитель"}, "errors": {"person": "Отметьте"},
                                  "chosen": {4}, "role": "auto"}, "учитель математики"),
    "audit/list.html": (ADMIN, {"rows": [AUDIT_ROW], "more": True, "f": AuditFilter(action="x"),
                                "day_from": "", "day_to": "2026-13-01", "actions": action_names(),
                                "errors": {"day_to": "Дата должна быть в виде ГГГГ-ММ-ДД"}},
                        "Изменены права роли"),
    "audit/_rows.html": (ADMIN, {"rows": [AUDIT_ROW], "more": False, "f": AuditFilter(),
                                 "day_from": "", "day_to": "", "actions": action_names(), "errors": {}},
                         "проверка"),
    "audit/access.html": (ADMIN, {"rows": [{"id": 1, "at": WHEN, "viewer_name": "roditel",
                                            "address": "10.0.0.9", "person_id": 11,
                                            "what": "карточка ученика"}],
                                  "more": False, "person": "", "viewer_q": "",
                                  "errors": {"viewer": "Кто смотрел: не длиннее 64 символов"}},
                         "не длиннее 64 символов"),
    "errors/error.html": (PARENT, {"status": 404, "title": "Страница не найдена",
                                   "text": "Такой страницы нет", "request_id": "ab12cd34"}, "ab12cd34"),
    "people/classes.html": (ADMIN, {"classes": [CLASS]}, "5А"),
    "people/class.html": (ADMIN, {"school_class": CLASS, "students": [PUPIL], "may_issue": True,
                                  "errors": {}}, "Морозов"),
    "people/student.html": (PARENT, {"card": PUPIL}, "— мать"),
    "home/admin.html": (ADMIN, {"role": "admin", "counts": COUNTS}, "<h1>Администратор</h1>"),
    "home/deputy.html": (ADMIN, {"role": "deputy", "classes": [CLASS], "own_classes": [],
                                 "counts": COUNTS}, "Завуч"),
    "home/teacher.html": (ADMIN, {"role": "class_teacher", "classes": [CLASS],
                                  "own_classes": [CLASS]}, "Классный руководитель"),
    "home/secretary.html": (ADMIN, {"role": "secretary", "classes": [CLASS], "own_classes": []},
                            "Секретарь"),
    "home/archivist.html": (ADMIN, {"role": "archivist"}, "Архивист"),
    "home/observer.html": (ADMIN, {"role": "observer", "counts": COUNTS}, "Наблюдатель"),
    "home/parent.html": (PARENT, {"role": "parent", "children": [PUPIL]}, "Морозов Артём"),
    "home/student.html": (PARENT, {"role": "student", "card": PUPIL}, "Ученик"),
    "home/none.html": (PARENT, {"role": None}, "Роль не назначена"),
    "home/stats.html": (ADMIN, {"counts": COUNTS, "grades": [{"grade": 5, "classes": 8,
                                                              "students": 230}]}, "2500"),
    "portal/readiness.html": (ADMIN, {"done": 1, "counted": 2, "items": [
        Item("3", "Календарь учебного года", "ok", "учебных периодов 6", "/school/years", "Год"),
        Item("4", "Учебная нагрузка учителей", "partial", "классов с нагрузкой: 3 из 4",
             "/school/load", "Нагрузка"),
        Item("9", "Расписание", "later", "раздел «Расписание» в разработке")]},
        "классов с нагрузкой: 3 из 4"),
    "home/nurse.html": (ADMIN, {"role": "nurse", "health_classes": [{**CLASS, "with_record": 25}]},
                        "с записью на сегодня: 25 из 27"),
    "people/person.html": (ADMIN, {"person": PERSON, "errors": {"snils": "СНИЛС: не сходится контрольное число"},
                                   "form": {"last_name": "Морозов", "snils": "112-233-445 96"},
                                   "failed": "person", "kinds": ("мать", "отец"),
                                   "default_scope": "ведение журнала", "today": date(2026, 11, 23),
                                   "saved": False}, "не сходится контрольное число"),
    "people/person_new.html": (ADMIN, {"staff": True, "errors": {"post": "Должность: заполните поле"},
                                       "form": {"last_name": "Попова"}}, "Новый сотрудник"),
    "people/consents.html": (ADMIN, {"school_class": CLASS, "students": [PUPIL]},
                             "Нет согласия на обработку персональных данных"),
    "people/class_print.html": (ADMIN, {"school_class": CLASS, "students": [PUPIL],
                                        "day": date(2026, 11, 23)}, "14.03.2015"),
    "people/search.html": (ADMIN, {"q": "мороз", "results": [{**PUPIL, "is_student": True, "post": None,
                                                              "children": []}],
                                   "more": True, "errors": {}, "may_edit_all": True}, "Показаны первые 1"),
    "people/health_classes.html": (ADMIN, {"classes": [{**CLASS, "with_record": 25}]}, "С записью на сегодня"),
    "people/class_health.html": (ADMIN, {"school_class": CLASS, "rows": [HEALTH_ROW], "full": False},
                                 "освобождён от бега"),
    "people/student_health.html": (ADMIN, {"sheet": HEALTH_SHEET, "errors": {"valid_from": "Действует с: укажите дату"},
                                           "form": {}, "health_groups": ("I", "II"),
                                           "pe_groups": ("основная", "подготовительная"), "may_edit": True},
                                   "Действует с: укажите дату"),
    "school/years.html": (ADMIN, {"years": [YEAR], "may_setup": True, "typed": {"name": "2027/2028"},
                                  "errors": {"starts_on": "Даты пересекаются с учебным годом 2026/2027"}},
                          "Даты пересекаются с учебным годом 2026/2027"),
    "school/year.html": (ADMIN, {"year": {**YEAR, "is_current": False}, "ranges": {(1, 9): [PERIOD]},
                                 "days": [CAL_DAY], "may_edit": True, "form": "period",
                                 "errors": {"starts_on": "Период выходит за пределы учебного года"},
                                 "typed": {"scheme": "quarters"}, **SCHOOL_FORMS},
                         "Период выходит за пределы учебного года"),
    "school/classes.html": (ADMIN, {"year": YEAR, "classes": [SCHOOL_CLASS], "staff": [STAFF_ROW],
                                    "may_edit": True, "errors": {"letter": "Класс 5А в этом году уже есть"},
                                    "typed": {"grade": "5", "letter": "А"}}, "6-дневная"),
    "school/class_edit.html": (ADMIN, {"school_class": {**SCHOOL_CLASS, "week_days": 5}, "year": YEAR,
                                       "staff": [STAFF_ROW], "load": [LOAD_ROW], "may_edit": True,
                                       "errors": {}, "typed": {}}, "Учебная нагрузка класса"),
    "school/subjects.html": (ADMIN, {"subjects": [{"id": 1, "name": "Математика", "short_name": "Матем.",
                                                   "loads": 12}], "may_setup": True, "form": "new",
                                     "errors": {"name": "Предмет «Математика» уже есть"},
                                     "typed": {"name": "математика", "short_name": ""}},
                             "Предмет «Математика» уже есть"),
    "school/groups.html": (ADMIN, {"year": YEAR, "groups": [GROUP], "classes": [CLASS],
                                   "subjects": [{"id": 2, "name": "Иностранный язык (английский)"}],
                                   "kinds": {"subgroup": "подгруппа класса", "gpd": "группа продлённого дня (ГПД)"},
                                   "may_edit": True, "errors": {}, "typed": {}}, "5А англ. 1 группа"),
    "school/group.html": (ADMIN, {"group": GROUP, "kind": "подгруппа класса", "load": [LOAD_ROW],
                                  "members": [{**PUPIL, "starts_on": date(2026, 9, 1)}]}, "В группе с"),
    "school/load.html": (ADMIN, {"year": YEAR, "rows": [LOAD_ROW], "chosen": {"teacher": 4, "class_id": None},
                                 "problems": {}, "staff": [STAFF_ROW], "subjects": [{"id": 1, "name": "Математика"}],
                                 "classes": [CLASS], "groups": [GROUP], "day": date(2026, 11, 23),
                                 "may_edit": True, "errors": {"hours": "Часов в неделю: от 1 до 40"},
                                 "typed": {"hours": "41"}}, "Часов в неделю: от 1 до 40"),
    "school/load_row.html": (ADMIN, {"row": {**LOAD_ROW, "ends_on": None}, "history": [LOAD_ROW],
                                     "staff": [STAFF_ROW], "may_edit": True, "typed": {},
                                     "errors": {"from_date": "Дата изменения должна быть позже начала"}},
                             "Кто вёл этот предмет здесь и когда"),
    # operations (service/ops): backups and drills, maintenance, availability, paper journal
    "ops/ops.html": (ADMIN, {"state": OPS_STATE, "steps_ru": STATUS_RU, "planned": [PLANNED],
                             "month": OPS_MONTH, "target": 99.0, "running": False,
                             "window": "02:00–06:00", "may_plan": True, "typed": {},
                             "errors": {"starts_on": "Длительные работы назначаются только на каникулы."}},
                     "Последняя успешная резервная копия сделана 30 ч назад"),
    "ops/availability.html": (ADMIN, {"months": [OPS_MONTH], "target": 99.0, "hours": "06:00–02:00",
                                      "probes": 42}, "больше одного за месяц"),
    "ops/maintenance.html": (None, {"until": datetime(2026, 11, 24, 6, 0)},
                             "Идут регламентные работы до 06:00. Просмотр работает"),
    "ops/_notices.html": (PARENT, {"notices": [{"kind": "planned", "now": False, "reason": "Замена диска",
                                                "starts_at": WHEN, "ends_at": WHEN}]},
                          "журнал будет недоступен. Замена диска"),
    "ops/paper.html": (ADMIN, {"classes": [CLASS]}, "учеников: 27"),
    "ops/paper_journal.html": (ADMIN, {"school_class": CLASS, "pupils": [PUPIL], "from_timetable": True,
                                       "day": date(2026, 11, 23),
                                       "days": [("Понедельник", date(2026, 11, 23),
                                                 [("1", "Матем."), ("2", "Англ. яз. (1 гр.)")])]},
                               "Уроки — по расписанию на эту неделю"),
}
PARTIALS = {"base.html", "_macros.html", "school/_year_nav.html", "school/_load_rows.html", "home/_parts.html", "home/_children.html",
            "people/_person_fields.html"}  # rendered through the pages above
PDFS = {"pdf/invitations.html", "pdf/diary_week.html", "pdf/report.html"}
CONTEXTS.update(TIMETABLE_CONTEXTS)
PARTIALS |= TIMETABLE_PARTIALS
CONTEXTS.update(JOURNAL_CONTEXTS)
PARTIALS |= JOURNAL_PARTIALS
CONTEXTS.update(DIARY_CONTEXTS)
PARTIALS |= DIARY_PARTIALS
CONTEXTS.update(MESSAGES_CONTEXTS)
PARTIALS |= MESSAGES_PARTIALS
CONTEXTS.update(REPORTS_CONTEXTS)
PARTIALS |= REPORTS_PARTIALS
CONTEXTS.update(RECORDS_CONTEXTS)
PARTIALS |= RECORDS_PARTIALS


def _all_templates() -> set[str]:
    return {str(p.relative_to(TEMPLATES_DIR)) for p in TEMPLATES_DIR.rglob("*.html")}


def test_every_template_is_covered():
    assert _all_templates() - PARTIALS - PDFS - CONTEXTS.keys() == set()


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_template_renders_in_russian(name):
    viewer, context, phrase = CONTEXTS[name]
    html = jinja().get_template(name).render(**_common(viewer), **context)
    assert phrase in html
    if not name.split("/")[-1].startswith("_"):
        assert '<html lang="ru"' in html
    # every POST form of the page carries the token, not just the header's «Выйти»
    assert html.lower().count('method="post"') == html.count('name="_csrf_token" value="t0ken"')


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_the_phrase_is_the_page_s_own(name):
    """A phrase that the frame (header with the viewer's name and roles, menu, footer) shows on
    every page proves nothing about the page."""
    viewer, _, phrase = CONTEXTS[name]
    assert phrase not in jinja().get_template("base.html").render(**_common(viewer))


def _common(viewer: Viewer | None) -> dict:
    return {"viewer": viewer, "csrf_token": "t0ken", "school_name": "Школа № 1",
            "request_path": "/home", "is_htmx": False}


def test_invitation_sheet_pdf_renders():
    import io

    from pypdf import PdfReader

    slips = [{"person": PUPIL, "line": "ученик, 5А класс", "code": "7K3M-Q9PX-2DTR"},
             {"person": PUPIL["parents"][0], "line": "родитель; ребёнок: Морозов Артём, 5А класс",
              "code": "AB12-CD34-EF56"}]
    pdf = render_pdf("pdf/invitations.html", group_title="5А класс, 2026/2027 учебный год", slips=slips,
                     valid_until=date(2026, 12, 23), site="https://ezh.school.local")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "7K3M-Q9PX-2DTR" in text and "AB12-CD34-EF56" in text and "Морозова Елена" in text
    assert "ребёнок: Морозов Артём" in text
