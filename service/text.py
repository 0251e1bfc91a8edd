"""Russian wording that code needs in several places (pure)."""

from __future__ import annotations


def plural(n: int, one: str, few: str, many: str) -> str:
    """The noun form that agrees with ``n``: 1 запись, 2 записи, 5 записей, 11 записей."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return few
    return many


def count(n: int, one: str, few: str, many: str) -> str:
    return f"{n} {plural(n, one, few, many)}"
