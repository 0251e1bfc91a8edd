"""Several small reads in ONE statement: ``UNION ALL`` branches, each tagged by its first column
``k``, filling a fixed layout of typed columns (integers, then texts), padded with typed NULLs —
PostgreSQL resolves a UNION's column types pair by pair, so an untyped NULL would not do. Dates
and numbers travel as text (the same on both databases). Used where a round trip per set of rows
would cost more than the rows: the journal grid (``grid_queries``) and a cell save
(``cell_context``)."""

from __future__ import annotations

from collections.abc import Sequence


def as_text(expr: str) -> str:
    """A date or a number as text («2026-09-01», «4.50»): the same on both databases."""
    return f"CAST({expr} AS TEXT)"


def branch(k: int, sql_from: str, width: tuple[int, int], ints: Sequence[str] = (),
            texts: Sequence[str] = ()) -> str:
    """``SELECT k, i1…, t1… <sql_from>`` with ``width`` = (integer columns, text columns): the
    given expressions first in each group, typed NULLs after."""
    n_ints, n_texts = width
    cols = [*ints, *["CAST(NULL AS INTEGER)"] * (n_ints - len(ints)),
            *texts, *["CAST(NULL AS TEXT)"] * (n_texts - len(texts))]
    names = [*(f"i{n}" for n in range(1, n_ints + 1)), *(f"t{n}" for n in range(1, n_texts + 1))]
    return f"SELECT {k} AS k, {', '.join(f'{c} AS {n}' for c, n in zip(cols, names, strict=True))} {sql_from}"


def home_schooling_branch(k: int, width: tuple[int, int], members: str) -> str:
    """The branch of the spans in which home schooling takes a pupil of ``members`` (a subquery
    of student ids) out of a subject's class journal — its order lists the subject, or lists
    none: every subject. Columns: the student, then the span's first and last day. Its own
    arguments after those of ``members``: the last day, the first day, the subject."""
    return branch(k, f"FROM home_schooling h WHERE h.student IN {members} "
                     "AND h.starts_on <= {} AND (h.ends_on IS NULL OR h.ends_on >= {}) "
                     "AND (NOT EXISTS (SELECT 1 FROM home_schooling_subject a WHERE a.home_schooling = h.id) "
                     "OR EXISTS (SELECT 1 FROM home_schooling_subject b WHERE b.home_schooling = h.id "
                     "AND b.subject = {}))", width,
                  ints=["h.student"], texts=[as_text("h.starts_on"), as_text("h.ends_on")])
