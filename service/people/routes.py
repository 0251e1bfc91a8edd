"""Class pages, student cards and the invitation sheets of a class."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath

from service.accounts.actions import do_issue_invitations
from service.audit.log import log_access
from service.errors import NotFound, Refused
from service.people.queries import class_students, student_card
from service.school.queries import class_for_viewer, visible_classes
from service.settings import get_settings
from service.web import existing_id, render, render_pdf, requires, signed_in


def today() -> date:
    return datetime.now(get_settings().tz).date()


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
    who = set(form.getall("who")) if "who" in form else set()
    students = await class_students(viewer, class_id, day)
    slips, grants = [], []
    seen: set[int] = set()  # a parent of two pupils of the class gets one slip
    for student in students:
        if "students" in who and not student["has_account"]:
            grants.append((student["id"], "student"))
            slips.append({"person": student, "role": "Ученик", "for_child": None})
        if "parents" in who:
            for parent in student["parents"]:
                if not parent["has_account"] and parent["id"] not in seen:
                    seen.add(parent["id"])
                    grants.append((parent["id"], "parent"))
                    slips.append({"person": parent, "role": "Родитель", "for_child": student})
    try:
        if not who:
            raise Refused("Отметьте, для кого выпустить коды: ученики, родители или оба", field="who")
        codes = await do_issue_invitations(viewer.actor, grants, scope_note=f"класс {school_class['name']}")
    except Refused as exc:
        return render(request, "people/class.html", status_code=400, school_class=school_class,
                      students=students, may_issue=True, errors={exc.field or "__all__": exc.message})
    role_codes = {"Ученик": "student", "Родитель": "parent"}
    for slip in slips:
        slip["code"] = codes[(slip["person"]["id"], role_codes[slip["role"]])]
    valid_until = day + timedelta(days=get_settings().security.invitation_days)
    pdf = render_pdf("pdf/invitations.html", school_class=school_class, slips=slips,
                     valid_until=valid_until, site=str(request.base_url).rstrip("/"))
    filename = f"invitations-{class_id}-{day.isoformat()}.pdf"
    return Response(pdf, status_code=200, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@get("/students/{person_id:int}", guards=[signed_in])
async def student_page(request: Request, person_id: FromPath[int]) -> Response:
    existing_id(person_id)
    card = await student_card(request.user, person_id, today())
    if card is None:
        raise NotFound()
    await log_access(request.user.actor, person_id, "карточка ученика")
    return render(request, "people/student.html", card=card)


router = Router(path="/", route_handlers=[classes_page, class_page, class_invitations, student_page])
