"""The timetable's pages, gathered from its parts: setting it up (``routes_setup``), the grid editor of slots (``routes_grid``), changes for
a date (``routes_changes``), the weeks people see and their calendar feeds (``routes_views``),
home schooling (``routes_home``)."""

from litestar import Router

from service.timetable import routes_changes, routes_grid, routes_home, routes_setup, routes_views

router = Router(path="/timetable", route_handlers=[
    *routes_setup.HANDLERS, *routes_grid.HANDLERS, *routes_changes.HANDLERS, *routes_views.HANDLERS, *routes_home.HANDLERS,
])
