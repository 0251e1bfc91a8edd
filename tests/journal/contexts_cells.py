"""Template contexts of the journal part «cells» (its author keeps them)."""

CONTEXTS: dict = {}
PARTIALS: set[str] = set()
