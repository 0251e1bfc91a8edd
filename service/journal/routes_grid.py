"""The journal's list and grid pages (R-JOURNAL-1, R-JOURNAL-2) and the grid as JSON. Thin:
which journal (``access.parse_ref``, a bad or foreign one is a 404) → ``grid``/``journals`` →
the page shell; the table itself is built in ``grid`` as one string."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery
from markupsafe import Markup

from service import forms
from service.errors import NotFound
from service.journal import access, grid, journals
from service.journal.routes_cells import API_ERRORS
from service.web import render, signed_in

PERIOD_QUERY = {"period": forms.Int("Период", min=1, default=None)}


def _period(request: Request) -> int | None:
    values, problems = forms.parse_filters(PERIOD_QUERY, request.query_params)
    if problems:
        raise NotFound()
    return values["period"]


@get("/", guards=[signed_in], include_in_schema=False)
async def index(request: Request) -> Response:
    """The journals the viewer may open."""
    return render(request, "journal/index.html", lists=await journals.lists(request.user))


@get("/{ref:str}", guards=[signed_in], include_in_schema=False)
async def grid_page(request: Request, ref: FromPath[str]) -> Response:
    """The journal grid of a period: students × lessons, averages and finals."""
    g = await grid.load(request.user, access.parse_ref(ref), _period(request))
    return render(request, "journal/grid.html", grid=g, head=Markup(grid.head_html(g)),
                  body=Markup(grid.body_html(g)), save_url=grid.SAVE_URL, detail_url=grid.DETAIL_URL,
                  paper=g.editable and request.query_params.get("paper") == "1")


@get("/api/grid/{ref:str}", guards=[signed_in], tags=["Журнал"], exception_handlers=API_ERRORS,
     summary="Страница журнала за период", operation_id="journalGrid")
async def grid_api(request: Request, ref: FromPath[str], period: FromQuery[int | None] = None) -> grid.GridData:
    """The journal grid of a period as JSON: students who belonged, lessons, each non-empty cell
    as its text («н 5»), the weighted average and the period final. ``period``: a study period
    id of the journal (default: the one holding today). A journal the viewer may not see is a
    404, as a missing one; without a session, 401 — JSON, as the API's writes answer, not the
    login page."""
    if period is not None and not 0 < period <= forms.ID_MAX:
        raise NotFound()
    return grid.as_data(await grid.load(request.user, access.parse_ref(ref), period))


HANDLERS: list = [index, grid_page, grid_api]
