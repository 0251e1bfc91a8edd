"""Template contexts of the journal part «finals» (its author keeps them)."""

CONTEXTS: dict = {}
PARTIALS: set[str] = set()
