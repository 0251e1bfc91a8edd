"""Template contexts of the journal part «plans» (its author keeps them)."""

CONTEXTS: dict = {}
PARTIALS: set[str] = set()
