"""Template contexts of the journal part «lesson» (its author keeps them)."""

CONTEXTS: dict = {}
PARTIALS: set[str] = set()
