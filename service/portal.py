"""Each role's home page, and the sections that have no domain of their own yet."""

from __future__ import annotations

from litestar import Request, Response, Router, get

from service.people.queries import children_of, student_card
from service.school.queries import grade_counts, school_counts, visible_classes
from service.web import redirect, render, requires, signed_in, today

HOME_TEMPLATES = {
    "admin": "home/admin.html",
    "deputy": "home/deputy.html",
    "class_teacher": "home/teacher.html",
    "teacher": "home/teacher.html",
    "secretary": "home/secretary.html",
    "archivist": "home/archivist.html",
    "observer": "home/observer.html",
    "parent": "home/parent.html",
    "student": "home/student.html",
}


@get("/")
async def root(request: Request) -> Response:
    return redirect("/home" if request.scope.get("user") else "/login")


@get("/home", guards=[signed_in])
async def home(request: Request) -> Response:
    """The home page of the viewer's main role (the first in the roles' order)."""
    viewer = request.user
    role = viewer.primary_role
    day = today()
    context: dict = {"role": role}
    if role in ("teacher", "class_teacher", "deputy", "secretary"):
        classes = await visible_classes(viewer, day)
        context["classes"] = classes
        context["own_classes"] = [c for c in classes if c["class_teacher"] == viewer.person_id]
    if "parent" in viewer.roles:  # also for a teacher who is a parent
        context["children"] = await children_of(viewer, day)
    if role == "student" and viewer.person_id is not None:
        context["card"] = await student_card(viewer, viewer.person_id, day)
    if role in ("observer", "admin", "deputy"):
        context["counts"] = await school_counts(day)
    template = HOME_TEMPLATES.get(role or "", "home/none.html")
    return render(request, template, **context)


@get("/stats", guards=[requires("reports.aggregate")])
async def stats(request: Request) -> Response:
    day = today()
    return render(request, "home/stats.html", counts=await school_counts(day),
                  grades=await grade_counts(day))


@get("/archive", guards=[requires("archive.view")])
async def archive(request: Request) -> Response:
    return render(request, "home/archive.html")


router = Router(path="/", route_handlers=[root, home, stats, archive])
