"""Template contexts of the journal's pages, one module per part (each part's author keeps
its own): merged into tests/test_templates.py."""

from tests.journal import (
    contexts_cells,
    contexts_finals,
    contexts_grid,
    contexts_lesson,
    contexts_plans,
    contexts_settings,
)

CONTEXTS: dict = {}
PARTIALS: set[str] = set()
for _part in (contexts_grid, contexts_cells, contexts_lesson, contexts_finals, contexts_settings,
              contexts_plans):
    CONTEXTS.update(_part.CONTEXTS)
    PARTIALS |= _part.PARTIALS
