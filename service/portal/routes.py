"""Each role's home page (the domains add their parts), and the sections that have no domain
of their own yet."""

from __future__ import annotations

from litestar import Request, Response, Router, get

from service.domains import home_providers
from service.reports.readiness import readiness_figures, readiness_items
from service.school.queries import grade_counts, school_counts
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
    "nurse": "home/nurse.html",
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
    for provider in home_providers():  # each domain adds what it shows on the home page
        context |= await provider(viewer, day, role)
    template = HOME_TEMPLATES.get(role or "", "home/none.html")
    return render(request, template, **context)


@get("/stats", guards=[requires("reports.aggregate")])
async def stats(request: Request) -> Response:
    day = today()
    return render(request, "home/stats.html", counts=await school_counts(day),
                  grades=await grade_counts(day))


@get("/readiness", guards=[requires("school.readiness")])
async def readiness(request: Request) -> Response:
    """«Готовность школы»: the check-list of a fully set-up journal, one query."""
    items = readiness_items(await readiness_figures(today()))
    done = sum(item.state == "ok" for item in items)
    return render(request, "portal/readiness.html", items=items, done=done,
                  counted=sum(item.state != "later" for item in items))


router = Router(path="/", route_handlers=[root, home, stats, readiness])
