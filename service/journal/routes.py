"""The journal's pages, gathered from its parts (each ``routes_*`` module lists its handlers)."""

from litestar import Router

from service.journal import (
    routes_cells,
    routes_finals,
    routes_grid,
    routes_lesson,
    routes_plans,
    routes_settings,
)

router = Router(path="/journal", route_handlers=[
    *routes_grid.HANDLERS, *routes_cells.HANDLERS, *routes_lesson.HANDLERS,
    *routes_finals.HANDLERS, *routes_settings.HANDLERS, *routes_plans.HANDLERS,
])
