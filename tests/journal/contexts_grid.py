"""Template contexts of the journal part «grid» (its author keeps them)."""

CONTEXTS: dict = {}
PARTIALS: set[str] = set()
