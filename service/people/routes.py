"""Class pages, student cards and the invitation sheets of a class."""

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
from service.people.queries import class_students, staff_members, student_card
from service.school.queries import class_for_viewer, visible_classes
from service.settings import get_settings
from service.web import existing_id, render, render_pdf, requires, signed_in, site_url, today

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
    await log_access(request.user.actor, person_id, "карточка ученика")
    return render(request, "people/student.html", card=card)


router = Router(path="/", route_handlers=[classes_page, class_page, class_invitations, staff_page,
                                           staff_invitations, student_page])
