"""Private calendar feeds of a timetable (issue item 7; R-TT-3: a change reaches the phone's
calendar as an update of the same event): made for oneself or one's child only, the token
kept only as its hash, a revoked address answering nothing, events with stable UIDs."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from icalendar import Calendar

from service.accounts.queries import viewer_for_user
from service.audit.tables import AccessLog, AuditEvent
from service.errors import NotFound, Refused
from service.people.tables import ParentLink
from service.timetable import feeds
from service.timetable.tables import CalendarFeed, Lesson
from tests.test_query_counts import counting
from tests.timetable.factories import MONDAY, add_lesson, timetable_school

pytestmark = pytest.mark.anyio


async def _viewer(t, key: str):
    return await viewer_for_user(t.school.users[key])


async def _events(token: str) -> dict[str, object]:
    body = await feeds.feed(token, "10.0.0.7", MONDAY)
    assert body is not None
    cal = Calendar.from_ical(body)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


async def test_a_teacher_s_feed_has_timed_events_named_after_the_class(db):
    """A teacher's address: each lesson an event at its bell times in the school's time zone,
    «Математика (5А)» in room «каб. 12»; only the token's SHA-256 is stored; made and read are
    on record."""
    t = await timetable_school()
    lesson = await add_lesson(t, MONDAY, 1, "uchitel")
    await add_lesson(t, MONDAY + timedelta(days=70), 1, "uchitel")  # beyond eight weeks
    teacher = await _viewer(t, "uchitel")
    feed_id, token = await feeds.do_create_feed(teacher, t.school.people["uchitel"])
    [row] = await CalendarFeed.select().run()
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(row) and len(token) >= 40
    events = await _events(token)
    assert list(events) == [f"lesson-{lesson}@ezh"]
    event = events[f"lesson-{lesson}@ezh"]
    start = event.decoded("DTSTART")
    assert (start.hour, start.minute, str(start.tzinfo)) == (8, 30, "Europe/Moscow")
    assert event.decoded("DTEND") - start == timedelta(minutes=45)
    assert str(event["SUMMARY"]) == "Математика (5А)" and str(event["LOCATION"]) == "каб. 12"
    assert str(event["STATUS"]) == "CONFIRMED" and int(event["SEQUENCE"]) == 0
    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action).run()]
    assert "timetable.feed_created" in actions
    [seen] = await AccessLog.select().run()
    assert seen["person_id"] == t.school.people["uchitel"] and seen["viewer_id"] is None
    assert seen["address"] == "10.0.0.7" and str(feed_id) in seen["viewer_name"]


async def test_a_change_updates_the_same_event(db):
    """R-TT-3: a replacement keeps the UID and raises SEQUENCE, the description names the
    substitute; a cancelled lesson is STATUS:CANCELLED; a student's events carry no class name."""
    t = await timetable_school()
    people = t.school.people
    lesson = await add_lesson(t, MONDAY + timedelta(days=1), 2, "uchitel")
    gone = await add_lesson(t, MONDAY + timedelta(days=1), 3, "uchitel")
    pupil = await _viewer(t, "pupil1")
    _, token = await feeds.do_create_feed(pupil, people["pupil1"])
    before = (await _events(token))[f"lesson-{lesson}@ezh"]
    assert str(before["SUMMARY"]) == "Математика"
    assert "Учитель: Попова М. С." in str(before["DESCRIPTION"])

    await Lesson.update({Lesson.taught_by: people["other"], Lesson.revision: Lesson.revision + 1}).where(
        Lesson.id == lesson).run()
    await Lesson.update({Lesson.cancelled: True, Lesson.revision: 1}).where(Lesson.id == gone).run()
    events = await _events(token)
    after = events[f"lesson-{lesson}@ezh"]
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert "Замена: Кузнецов О. И." in str(after["DESCRIPTION"])
    assert str(after["STATUS"]) == "CONFIRMED"
    assert str(events[f"lesson-{gone}@ezh"]["STATUS"]) == "CANCELLED"
    # the planned teacher no longer teaches it: their calendar shows it cancelled
    _, mine = await feeds.do_create_feed(await _viewer(t, "uchitel"), people["uchitel"])
    assert str((await _events(mine))[f"lesson-{lesson}@ezh"]["STATUS"]) == "CANCELLED"


async def test_revoked_or_unknown_address_gives_nothing(db):
    t = await timetable_school()
    await add_lesson(t, MONDAY, 1, "uchitel")
    teacher = await _viewer(t, "uchitel")
    feed_id, token = await feeds.do_create_feed(teacher, t.school.people["uchitel"])
    assert await feeds.feed(token, "", MONDAY) is not None
    assert await feeds.feed(token[:-1] + ("A" if token[-1] != "A" else "B"), "", MONDAY) is None
    assert await feeds.feed("", "", MONDAY) is None
    with pytest.raises(NotFound):
        await feeds.do_revoke_feed(await _viewer(t, "klruk"), feed_id)  # not theirs
    await feeds.do_revoke_feed(teacher, feed_id)
    assert await feeds.feed(token, "", MONDAY) is None
    with pytest.raises(Refused):
        await feeds.do_revoke_feed(teacher, feed_id)
    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action).run()]
    assert actions.count("timetable.feed_revoked") == 1


async def test_only_one_s_own_or_one_s_child_s_timetable(db):
    """A parent makes an address for their child, not for another child; a teacher not for a
    colleague; a parent's address stops when the parent link is gone."""
    t = await timetable_school()
    people = t.school.people
    await add_lesson(t, MONDAY, 1, "uchitel")
    parent = await _viewer(t, "roditel")
    assert [x["id"] for x in await feeds.targets(parent, MONDAY)] == [people["pupil1"]]
    _, token = await feeds.do_create_feed(parent, people["pupil1"])
    assert await feeds.feed(token, "", MONDAY) is not None
    for foreign in ("pupil2", "pupil3", "roditel", "uchitel"):
        if foreign != "roditel":
            with pytest.raises(NotFound):
                await feeds.do_create_feed(parent, people[foreign])
    with pytest.raises(NotFound):
        await feeds.do_create_feed(await _viewer(t, "klruk"), people["uchitel"])
    with pytest.raises(NotFound):  # a parent has no timetable of their own
        await feeds.do_create_feed(parent, people["roditel"])
    await ParentLink.delete().where(ParentLink.parent == people["roditel"]).run()
    assert await feeds.feed(token, "", MONDAY) is None


async def test_a_maker_keeps_a_few_addresses_at_most(db):
    t = await timetable_school()
    teacher = await _viewer(t, "uchitel")
    for _ in range(feeds.MAX_ACTIVE):
        await feeds.do_create_feed(teacher, t.school.people["uchitel"])
    with pytest.raises(Refused, match="отзовите"):
        await feeds.do_create_feed(teacher, t.school.people["uchitel"])
    assert await CalendarFeed.count().run() == feeds.MAX_ACTIVE


async def test_a_feed_costs_the_same_queries_for_one_lesson_or_sixty(db, monkeypatch):
    """Fast: the feed is a constant number of queries, however many lessons it holds."""
    t = await timetable_school()
    await add_lesson(t, MONDAY, 1, "uchitel")
    _, token = await feeds.do_create_feed(await _viewer(t, "uchitel"), t.school.people["uchitel"])
    with counting(monkeypatch) as seen:
        await feeds.feed(token, "", MONDAY)
    small = len(seen)
    for week in range(6):
        for day in range(5):
            for number in (2, 3):
                await add_lesson(t, MONDAY + timedelta(days=7 * week + day), number, "uchitel",
                                 school_class="6Б" if number == 3 else "5А")
    with counting(monkeypatch) as seen:
        body = await feeds.feed(token, "", MONDAY)
    assert len(Calendar.from_ical(body).walk("VEVENT")) == 61
    assert len(seen) == small <= 7, seen
