"""Template contexts of the timetable's pages, one module per part (each part's author keeps
its own): merged into tests/test_templates.py."""

from tests.timetable import (
    contexts_changes,
    contexts_grid,
    contexts_home,
    contexts_setup,
    contexts_views,
)

CONTEXTS: dict = {}
PARTIALS: set[str] = set()
for _part in (contexts_setup, contexts_grid, contexts_changes, contexts_views, contexts_home):
    CONTEXTS.update(_part.CONTEXTS)
    PARTIALS |= _part.PARTIALS
