"""Every template renders, in Russian, with realistic data (style: «render every template in a
test»). A new template without a context here fails `test_every_template_is_covered`."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from service.accounts.rights import PERMISSION_CODES
from service.accounts.viewer import Viewer
from service.audit.queries import AuditFilter
from service.domains import action_names
from service.web import TEMPLATES_DIR, jinja, render_pdf

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

CONTEXTS: dict[str, tuple[Viewer | None, dict, str]] = {
    # template: (viewer, context, a phrase the page must show)
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
                                   "above": "", "is_self": False}, "7K3M-Q9PX-2DTR"),
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
    "home/archive.html": (ADMIN, {}, "<h1>Архив</h1>"),
}
PARTIALS = {"base.html", "_macros.html", "home/_parts.html", "home/_children.html"}  # rendered through the pages above
PDFS = {"pdf/invitations.html"}


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
