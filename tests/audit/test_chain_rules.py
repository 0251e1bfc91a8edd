"""The chain's pure rules (no database): any single change to any hashed field of any row,
any deletion and any swap is caught, and at the right row (Hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from service.audit.chain import GENESIS, HASHED_FIELDS, ChainWalker, canonical_json, row_hash

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def chain(n: int) -> list[dict]:
    rows, prev = [], GENESIS
    for i in range(1, n + 1):
        row = {"id": i, "seq": i, "at": T0 + timedelta(seconds=i), "actor_id": i % 3,
               "actor_name": f"учитель{i % 3}", "address": "10.0.0.1", "action": "journal.grade_set",
               "object_type": "grade", "object_id": str(i), "old": "",
               "new": canonical_json({"value": i % 5 + 1}), "reason": "", "prev_hash": prev}
        row["hash"] = row_hash(row)
        prev = row["hash"]
        rows.append(row)
    return rows


def walk(rows: list[dict]) -> ChainWalker:
    walker = ChainWalker()
    walker.feed(rows)
    return walker


def test_an_intact_chain_passes():
    walker = walk(chain(20))
    assert walker.problem is None and walker.count == 20


@given(st.integers(2, 30), st.data())
def test_any_edited_field_is_caught_at_its_row(n, data):
    rows = chain(n)
    target = data.draw(st.integers(0, n - 1))
    field = data.draw(st.sampled_from([f for f in HASHED_FIELDS if f not in ("seq", "prev_hash")]))
    row = rows[target]
    if field == "at":
        row["at"] = row["at"] + timedelta(microseconds=1)
    elif field == "actor_id":
        row["actor_id"] = (row["actor_id"] or 0) + 1
    else:
        row[field] = str(row[field]) + "x"
    problem = walk(rows).problem
    assert problem is not None and problem.seq == row["seq"]


@given(st.integers(3, 30), st.data())
def test_any_deleted_row_is_caught(n, data):
    rows = chain(n)
    target = data.draw(st.integers(0, n - 2))  # the tail needs a checkpoint: see test_chain.py
    del rows[target]
    problem = walk(rows).problem
    assert problem is not None and problem.seq == target + 2


@given(st.integers(3, 30), st.data())
def test_any_swap_is_caught(n, data):
    rows = chain(n)
    a = data.draw(st.integers(0, n - 2))
    b = data.draw(st.integers(a + 1, n - 1))
    rows[a], rows[b] = rows[b], rows[a]
    assert walk(rows).problem is not None


def test_canonical_json_has_one_spelling():
    assert canonical_json({"б": 1, "a": [1, 2]}) == '{"a":[1,2],"б":1}'
    assert canonical_json(None) == "" and canonical_json("") == ""
