"""Class pages, student cards and the invitation sheets of a class; people's records, consents,
the health sheet, search and printable class lists."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath

from service import forms
from service.accounts.actions import do_issue_invitations
from service.accounts.queries import roles_within
from service.audit.log import log_access
from service.errors import NotFound, Refused
from service.people import actions, rules
from service.people.queries import (
    card_extras,
    class_health,
    class_students,
    class_without_consent,
    consent_person,
    health_classes,
    person_record,
    search_people,
    staff_members,
    student_card,
    student_health,
)
from service.school.queries import class_for_viewer, visible_classes
from service.settings import get_settings
from service.web import (
    existing_id,
    redirect,
    render,
    render_pdf,
    requires,
    signed_in,
    site_url,
    today,
)

CLASS_SLIPS_FORM = {"who": forms.Many(forms.Choice("Для кого", ("students", "parents")))}
STAFF_SLIPS_FORM = {
    "person": forms.Many(forms.Int("Сотрудник", min=1)),
    "role": forms.Text("Роль", forms.CODE_NAME_MAX),
}


def _may_issue(viewer, school_class: dict) -> bool:
    return viewer.can("invitations.issue_any") or (
        viewer.can("invitations.issue_own") and viewer.person_id is not None
        and school_class["class_teacher"] == viewer.person_id
    )


@get("/classes", guards=[signed_in])
async def classes_page(request: Request) -> Response:
    classes = await visible_classes(request.user, today())
    return render(request, "people/classes.html", classes=classes)


@get("/classes/{class_id:int}", guards=[signed_in])
async def class_page(request: Request, class_id: FromPath[int]) -> Response:
    existing_id(class_id)
    day = today()
    school_class = await class_for_viewer(request.user, class_id, day)
    if school_class is None:
        raise NotFound()
    students = await class_students(request.user, class_id, day)
    await log_access(request.user.actor, [s["id"] for s in students],
                     f"список класса {school_class['name']}")
    return render(request, "people/class.html", school_class=school_class, students=students,
                  may_issue=_may_issue(request.user, school_class), errors={})


@post("/classes/{class_id:int}/invitations", guards=[
    requires("invitations.issue_any", "invitations.issue_own")])
async def class_invitations(request: Request, class_id: FromPath[int]) -> Response:
    """Issue codes for everyone in the class without an account and return the sheet (PDF)."""
    existing_id(class_id)
    day = today()
    viewer = request.user
    school_class = await class_for_viewer(viewer, class_id, day)
    if school_class is None or not _may_issue(viewer, school_class):
        raise NotFound()
    form = await request.form()
    students = await class_students(viewer, class_id, day)
    try:
        who = set(forms.parse(CLASS_SLIPS_FORM, form)["who"])
    except Refused as exc:
        return render(request, "people/class.html", status_code=400, school_class=school_class,
                      students=students, may_issue=True, errors=forms.errors(exc))
    in_class = f"{school_class['name']} класс"
    slips: list[dict] = []
    seen: set[int] = set()  # a parent of two pupils of the class gets one slip
    for student in students:
        if "students" in who and not student["has_account"]:
            slips.append({"person": student, "role": "student", "line": f"ученик, {in_class}"})
        if "parents" in who:
            for parent in student["parents"]:
                if not parent["has_account"] and parent["id"] not in seen:
                    seen.add(parent["id"])
                    child = f"{student['last_name']} {student['first_name']}"
                    slips.append({"person": parent, "role": "parent",
                                  "line": f"родитель; ребёнок: {child}, {in_class}"})
    try:
        if not who:
            raise Refused("Отметьте, для кого выпустить коды: ученики, родители или оба", field="who")
        return await _invitation_sheet(request, slips, f"класс {school_class['name']}",
                                       f"{in_class}, {school_class['year_name']} учебный год",
                                       f"invitations-{school_class['name']}")
    except Refused as exc:
        # "who" is the form's one field; anything else (a role the viewer may not hand out)
        # belongs to the form as a whole
        field = exc.field if exc.field == "who" else "__all__"
        return render(request, "people/class.html", status_code=400, school_class=school_class,
                      students=students, may_issue=True, errors={field: exc.message})


STAFF_ROLES = {
    "auto": "учитель (классный руководитель — тем, кто ведёт класс)",
    "deputy": "завуч",
    "secretary": "секретарь",
    "archivist": "архивист",
    "admin": "администратор",
}


async def _staff_roles(viewer) -> dict[str, str]:
    """The roles this viewer may hand out on staff slips: only those whose rights are all the
    viewer's own, or a secretary could print herself a way to the top (the action refuses the
    rest; the page does not offer them)."""
    within = await roles_within(viewer)
    return {code: label for code, label in STAFF_ROLES.items()
            if ({"teacher", "class_teacher"} if code == "auto" else {code}) <= within}


@get("/staff", guards=[requires("invitations.issue_any")])
async def staff_page(request: Request) -> Response:
    return render(request, "people/staff.html", staff=await staff_members(today()),
                  staff_roles=await _staff_roles(request.user), errors={}, chosen=set(), role="auto")


@post("/staff/invitations", guards=[requires("invitations.issue_any")])
async def staff_invitations(request: Request) -> Response:
    """Invitation slips for the chosen staff members, with the role they will get."""
    form = await request.form()
    staff = await staff_members(today())
    allowed = await _staff_roles(request.user)
    chosen: set[int] = set()
    role = "auto"
    try:
        values = forms.parse(STAFF_SLIPS_FORM, form)
        chosen, role = set(values["person"]), values["role"] or "auto"
        if role not in allowed:
            raise Refused("Выберите роль из списка", field="role")
        picked = [m for m in staff if m["id"] in chosen and not m["has_account"]]
        if not picked:
            raise Refused("Отметьте сотрудников без учётной записи", field="person")
        slips = []
        for member in picked:
            code = role if role != "auto" else ("class_teacher" if member["leads_class"] else "teacher")
            line = {"class_teacher": f"классный руководитель {member['leads_class']} класса",
                    "teacher": "учитель"}.get(code, STAFF_ROLES.get(code, code))
            slips.append({"person": member, "role": code, "line": f"{line}; {member['post']}"})
        return await _invitation_sheet(request, slips, "сотрудники", "сотрудники школы",
                                       "invitations-staff")
    except Refused as exc:
        return render(request, "people/staff.html", status_code=400, staff=staff,
                      staff_roles=allowed, errors=forms.errors(exc), chosen=chosen, role=role)


async def _invitation_sheet(request: Request, slips: list[dict], scope_note: str,
                            group_title: str, file_stem: str) -> Response:
    """Issue one code per slip and return the printable sheet; the codes exist only on it."""
    grants = [(slip["person"]["id"], slip["role"]) for slip in slips]
    codes = await do_issue_invitations(request.user.actor, grants, scope_note=scope_note)
    for slip in slips:
        slip["code"] = codes[(slip["person"]["id"], slip["role"])]
    day = today()
    pdf = render_pdf("pdf/invitations.html", group_title=group_title, slips=slips,
                     valid_until=day + timedelta(days=get_settings().security.invitation_days),
                     site=site_url(request))
    filename = f"{file_stem}-{day.isoformat()}.pdf"
    return Response(pdf, status_code=200, media_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store"})


@get("/students/{person_id:int}", guards=[signed_in])
async def student_page(request: Request, person_id: FromPath[int]) -> Response:
    existing_id(person_id)
    card = await student_card(request.user, person_id, today())
    if card is None:
        raise NotFound()
    extras = await card_extras(request.user, person_id, today())
    await log_access(request.user.actor, person_id, "карточка ученика")
    return render(request, "people/student.html", card=card, extras=extras)


# --- people's records --------------------------------------------------------------------------

EDIT_RIGHTS = ("people.edit_all", "people.edit_class")
HEALTH_RIGHTS = ("health.view_all", "health.view_class", "health.view_pe")
PARENT_FORM = {**actions.PERSON_FIELDS,
               "kind": forms.Choice("Кем приходится", rules.PARENT_KINDS),
               "legal": forms.Flag("Законный представитель")}
CONSENT_FORM = {"scope": forms.Text("Цели и объём согласия", actions.SCOPE_MAX, required=True),
                "given_on": forms.Day("Дата подписания", required=True),
                "document_ref": forms.Text("Документ", actions.DOCUMENT_MAX),
                "signed_by": forms.Int("Кто подписал", min=1)}
WITHDRAW_FORM = {"withdrawn_on": forms.Day("Дата отзыва", required=True)}
STAFF_FORM = {**actions.PERSON_FIELDS,
              "post": forms.Text("Должность", actions.POST_MAX, required=True),
              "starts_on": forms.Day("Дата приёма", required=True)}
LEAVE_FORM = {"ends_on": forms.Day("Дата увольнения", required=True)}
HEALTH_FORM = {"health_group": forms.Choice("Группа здоровья", rules.HEALTH_GROUPS),
               "pe_group": forms.Choice("Физкультурная группа", rules.PE_GROUPS),
               "recommendations": forms.Text("Рекомендации", forms.TEXT_MAX, multiline=True),
               "valid_from": forms.Day("Действует с", required=True)}
SEARCH_FORM = {"q": forms.Text("Фамилия, имя или отчество", forms.SHORT_MAX)}
DEFAULT_SCOPE = ("обработка персональных данных обучающегося и родителя (законного "
                 "представителя) для ведения электронного журнала и дневника")


async def _person_page(request: Request, person_id: int, status_code: int = 200, errors=None,
                       form=None, failed: str = "") -> Response:
    """The person's page; after a refusal ``failed`` names the form that was sent (its values
    and messages go back into that form only: the page has several with the same fields)."""
    day = today()
    person = await person_record(request.user, person_id, day)
    if person is None:
        raise NotFound()
    await log_access(request.user.actor, person_id, "сведения о человеке")
    return render(request, "people/person.html", status_code=status_code, person=person,
                  errors=errors or {}, form=form or {}, failed=failed, kinds=rules.PARENT_KINDS,
                  default_scope=DEFAULT_SCOPE, today=day, saved=bool(request.query_params.get("saved")))


# GET pages of one person or class answer 404 (not 403) outside the viewer's scope, like a
# missing id: the scope query decides, not the guard.
@get("/people/{person_id:int}", guards=[signed_in])
async def person_page(request: Request, person_id: FromPath[int]) -> Response:
    existing_id(person_id)
    return await _person_page(request, person_id)


@post("/people/{person_id:int}", guards=[requires(*EDIT_RIGHTS)])
async def person_save(request: Request, person_id: FromPath[int]) -> Response:
    existing_id(person_id)
    data = await request.form()
    try:
        values = forms.parse(actions.PERSON_FIELDS, data)
        await actions.do_update_person(request.user, person_id, values, today())
    except Refused as exc:
        return await _person_page(request, person_id, 400, forms.errors(exc), dict(data), "person")
    return redirect(f"/people/{person_id}?saved=1", request)


@post("/people/{person_id:int}/parents", guards=[requires(*EDIT_RIGHTS)])
async def parent_add(request: Request, person_id: FromPath[int]) -> Response:
    existing_id(person_id)
    data = await request.form()
    try:
        values = forms.parse(PARENT_FORM, data)
        kind, legal = values.pop("kind"), values.pop("legal")
        await actions.do_add_parent(request.user, person_id, kind, legal, today(), data=values)
    except Refused as exc:
        return await _person_page(request, person_id, 400, forms.errors(exc), dict(data), "parent")
    return redirect(f"/people/{person_id}#parents", request)


@post("/people/{person_id:int}/consents", guards=[requires(*EDIT_RIGHTS)])
async def consent_add(request: Request, person_id: FromPath[int]) -> Response:
    existing_id(person_id)
    data = await request.form()
    try:
        values = forms.parse(CONSENT_FORM, data)
        await actions.do_record_consent(request.user, person_id, values["scope"], values["given_on"],
                                        values["document_ref"], today(), signed_by=values["signed_by"])
    except Refused as exc:
        return await _person_page(request, person_id, 400, forms.errors(exc), dict(data), "consent")
    return redirect(f"/people/{person_id}#consents", request)


@post("/consents/{consent_id:int}/withdraw", guards=[requires(*EDIT_RIGHTS)])
async def consent_withdraw(request: Request, consent_id: FromPath[int]) -> Response:
    existing_id(consent_id)
    person_id = await consent_person(consent_id)
    if person_id is None:
        raise NotFound()
    data = await request.form()
    try:
        values = forms.parse(WITHDRAW_FORM, data)
        await actions.do_withdraw_consent(request.user, consent_id, values["withdrawn_on"], today())
    except Refused as exc:
        return await _person_page(request, person_id, 400, {"withdrawn_on": exc.message},
                                  dict(data), f"withdraw_{consent_id}")
    return redirect(f"/people/{person_id}#consents", request)


@get("/people/new", guards=[requires("people.edit_all")])
async def person_new(request: Request) -> Response:
    return render(request, "people/person_new.html", staff=False, errors={}, form={})


@post("/people/new", guards=[requires("people.edit_all")])
async def person_create(request: Request) -> Response:
    data = await request.form()
    try:
        values = forms.parse(actions.PERSON_FIELDS, data)
        person_id = await actions.do_create_person(request.user, values, today())
    except Refused as exc:
        return render(request, "people/person_new.html", status_code=400, staff=False,
                      errors=forms.errors(exc), form=dict(data))
    return redirect(f"/people/{person_id}", request)


@get("/staff/new", guards=[requires("people.edit_all")])
async def staff_new(request: Request) -> Response:
    return render(request, "people/person_new.html", staff=True, errors={}, form={})


@post("/staff/new", guards=[requires("people.edit_all")])
async def staff_create(request: Request) -> Response:
    data = await request.form()
    try:
        values = forms.parse(STAFF_FORM, data)
        post_, starts_on = values.pop("post"), values.pop("starts_on")
        person_id = await actions.do_add_staff(request.user, values, post_, starts_on, today())
    except Refused as exc:
        return render(request, "people/person_new.html", status_code=400, staff=True,
                      errors=forms.errors(exc), form=dict(data))
    return redirect(f"/people/{person_id}", request)


@post("/staff/{person_id:int}/leave", guards=[requires("people.edit_all")])
async def staff_leave(request: Request, person_id: FromPath[int]) -> Response:
    existing_id(person_id)
    data = await request.form()
    try:
        values = forms.parse(LEAVE_FORM, data)
        await actions.do_end_staff(request.user, person_id, values["ends_on"])
    except Refused as exc:
        return await _person_page(request, person_id, 400, forms.errors(exc), dict(data), "leave")
    return redirect(f"/people/{person_id}", request)


# --- consent lists, search, printable lists ----------------------------------------------------


@get("/classes/{class_id:int}/consents", guards=[signed_in])
async def class_consents(request: Request, class_id: FromPath[int]) -> Response:
    """Pupils of a class without a consent on file (for the class teacher and the office)."""
    existing_id(class_id)
    day = today()
    viewer = request.user
    school_class = await class_for_viewer(viewer, class_id, day)
    if school_class is None or not (viewer.can("people.edit_all") or (
            viewer.can("people.edit_class") and viewer.person_id is not None
            and school_class["class_teacher"] == viewer.person_id)):
        raise NotFound()
    students = await class_without_consent(viewer, class_id, day)
    await log_access(viewer.actor, [s["id"] for s in students],
                     f"список без согласия на обработку ПД, {school_class['name']}")
    return render(request, "people/consents.html", school_class=school_class, students=students)


@get("/classes/{class_id:int}/print", guards=[signed_in])
async def class_print(request: Request, class_id: FromPath[int]) -> Response:
    """The class list laid out for paper (the browser's print; the page's print CSS)."""
    existing_id(class_id)
    day = today()
    school_class = await class_for_viewer(request.user, class_id, day)
    if school_class is None:
        raise NotFound()
    students = await class_students(request.user, class_id, day)
    await log_access(request.user.actor, [s["id"] for s in students],
                     f"список класса для печати {school_class['name']}")
    return render(request, "people/class_print.html", school_class=school_class,
                  students=students, day=day)


@get("/search", guards=[signed_in])
async def search_page(request: Request) -> Response:
    values, errors = forms.parse_filters(SEARCH_FORM, request.query_params)
    q = values["q"] or ""
    results, more = await search_people(request.user, q, today()) if q else ([], False)
    return render(request, "people/search.html", q=q, results=results, more=more, errors=errors,
                  may_edit_all=request.user.can("people.edit_all"))


# --- the health sheet --------------------------------------------------------------------------


@get("/health", guards=[requires(*HEALTH_RIGHTS)])
async def health_page(request: Request) -> Response:
    return render(request, "people/health_classes.html",
                  classes=await health_classes(request.user, today()))


# Signed in is enough to ask: the scope answers 404 to anyone who may not see the sheet, the
# same as for a pupil who does not exist (a 403 would tell a parent the id is a pupil).
@get("/classes/{class_id:int}/health", guards=[signed_in])
async def class_health_page(request: Request, class_id: FromPath[int]) -> Response:
    existing_id(class_id)
    school_class, rows = await class_health(request.user, class_id, today())
    if school_class is None:
        raise NotFound()
    await log_access(request.user.actor, [r["id"] for r in rows],
                     f"листок здоровья, {school_class['name']} класс")
    return render(request, "people/class_health.html", school_class=school_class, rows=rows,
                  full=any(r["full"] for r in rows))


async def _health_page(request: Request, person_id: int, status_code: int = 200, errors=None,
                       form=None) -> Response:
    sheet = await student_health(request.user, person_id, today())
    if sheet is None:
        raise NotFound()
    await log_access(request.user.actor, person_id, "листок здоровья")
    return render(request, "people/student_health.html", status_code=status_code, sheet=sheet,
                  errors=errors or {}, form=form or {}, health_groups=rules.HEALTH_GROUPS,
                  pe_groups=rules.PE_GROUPS, may_edit=request.user.can("health.edit"))


@get("/students/{person_id:int}/health", guards=[signed_in])
async def student_health_page(request: Request, person_id: FromPath[int]) -> Response:
    existing_id(person_id)
    return await _health_page(request, person_id)


@post("/students/{person_id:int}/health", guards=[requires("health.edit")])
async def student_health_add(request: Request, person_id: FromPath[int]) -> Response:
    existing_id(person_id)
    data = await request.form()
    try:
        values = forms.parse(HEALTH_FORM, data)
        await actions.do_add_health_record(request.user, person_id, values["health_group"],
                                           values["pe_group"], values["recommendations"],
                                           values["valid_from"], today())
    except Refused as exc:
        return await _health_page(request, person_id, 400, forms.errors(exc), dict(data))
    return redirect(f"/students/{person_id}/health", request)


router = Router(path="/", route_handlers=[
    classes_page, class_page, class_invitations, staff_page, staff_invitations, student_page,
    person_new, person_create, person_page, person_save, parent_add, consent_add, consent_withdraw,
    staff_new, staff_create, staff_leave, class_consents, class_print, search_page, health_page,
    class_health_page, student_health_page, student_health_add])
