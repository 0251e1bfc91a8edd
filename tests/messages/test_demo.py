"""The demo school's messages (issue 10 item 7): families wrote during the year and were
answered, mostly the same evening; class teachers wrote to their parents; the demo logins have
threads of their own, one of «roditel»'s waiting unread for «klruk»; the answer-times page has
something to show. Every thread is between two different people and every answer comes after
the question."""

from __future__ import annotations

import pytest

from service.accounts.queries import viewer_for_user
from service.demo import generate_demo_school
from service.messages import queries, rules
from service.settings import get_settings
from service.timetable.tables import Lesson
from tests.messages.conftest import TODAY

pytestmark = pytest.mark.anyio


async def _rows(sql: str, *args) -> list[dict]:
    return await Lesson.raw(sql, *args).run()


async def _viewer(login: str):
    account = (await _rows("SELECT id FROM account WHERE login = {}", login))[0]["id"]
    return await viewer_for_user(account)


@pytest.mark.parametrize("size", ["S", "M"])
async def test_the_demo_school_has_a_years_worth_of_messages(sqlite_db, size):
    result = await generate_demo_school(size, 2026)
    threads = await _rows("SELECT * FROM message_thread")
    messages = await _rows("SELECT * FROM thread_message ORDER BY thread, id")
    assert result.counts["message_threads"] == len(threads) > 20
    assert all(t["starter"] != t["recipient"] for t in threads)
    by_thread: dict[int, list[dict]] = {}
    for m in messages:
        by_thread.setdefault(m["thread"], []).append(m)
    assert set(by_thread) == {t["id"] for t in threads}
    for m in messages:
        assert m["answered_at"] is None or m["answered_at"] > m["sent_at"]
        assert m["read_at"] is None or m["read_at"] >= m["sent_at"] or m["answered_at"] is not None
    kinds = {(t["starter_as"], t["recipient_as"]) for t in threads}
    assert {("parent", "staff"), ("staff", "parent"), ("student", "staff"), ("staff", "staff")} <= kinds
    # the demo logins' own threads
    klruk, roditel = await _viewer("klruk"), await _viewer("roditel")
    assert await queries.unread(klruk) >= 1
    mine, _ = await queries.threads(roditel)
    assert any(t["other"] == klruk.person_id for t in mine)
    # the administration's page has teachers, months and answers to show
    waits = await queries.parent_waits(min(m["sent_at"] for m in messages), max(m["sent_at"] for m in messages)
                                       .replace(year=TODAY.year + 1))
    stats = rules.answer_stats(waits, get_settings().tz, max(m["sent_at"] for m in messages))
    assert len({s.person for s in stats}) >= 2 and len({s.month for s in stats}) >= 2
    total = rules.totals(stats)
    assert 0 < total["answered"] < total["received"]
