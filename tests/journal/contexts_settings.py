"""Template contexts of the journal part «settings» (its author keeps them)."""

CONTEXTS: dict = {}
PARTIALS: set[str] = set()
