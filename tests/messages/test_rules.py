"""Pure rules of messages (R-MSG-1): answer times in Russian, and the statistics of how quickly
parents were answered, per teacher and month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from service.messages import rules

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_answer_times_read_in_russian():
    assert rules.duration_text(timedelta(minutes=7, seconds=59)) == "7 мин"
    assert rules.duration_text(timedelta(hours=2)) == "2 ч"
    assert rules.duration_text(timedelta(hours=2, minutes=5)) == "2 ч 5 мин"
    assert rules.duration_text(timedelta(days=3, hours=4, minutes=59)) == "3 дн 4 ч"
    assert rules.duration_text(timedelta(days=1)) == "1 дн"
    assert rules.duration_text(timedelta(seconds=-5)) == "0 мин"


@given(st.integers(min_value=0, max_value=10**7))
def test_the_text_says_the_span_to_the_minute_or_to_the_hour_beyond_a_day(minutes):
    """Read back, the text is the span to the minute under a day, to the hour beyond."""
    text = rules.duration_text(timedelta(minutes=minutes))
    units = {"дн": 1440, "ч": 60, "мин": 1}
    words = text.split()
    told = sum(int(n) * units[u] for n, u in zip(words[::2], words[1::2], strict=True))
    assert told <= minutes < told + (60 if minutes >= 1440 else 1)


def _wait(person, sent, answered=None, read=None, name="Попова"):
    return {"addressee": person, "sent_at": sent, "answered_at": answered, "read_at": read,
            "last_name": name, "first_name": "Мария", "middle_name": "Сергеевна"}


def test_waits_are_grouped_by_teacher_and_the_school_month_they_began_in():
    """R-MSG-1: per teacher and month — received, answered, the median, within a day, unread
    and read without an answer; a wait begun at 01:30 Moscow time on 1 November is November's
    even though it is still 31 October in UTC."""
    oct31_utc = datetime(2026, 10, 31, 22, 30, tzinfo=UTC)  # 01:30 on 1 November in Moscow
    waits = [
        _wait(1, oct31_utc, oct31_utc + timedelta(hours=1), oct31_utc),
        _wait(1, datetime(2026, 11, 3, 15, tzinfo=UTC), datetime(2026, 11, 5, 15, tzinfo=UTC)),
        _wait(1, datetime(2026, 11, 4, 15, tzinfo=UTC), datetime(2026, 11, 4, 18, tzinfo=UTC)),
        _wait(1, datetime(2026, 11, 20, 15, tzinfo=UTC)),  # unread
        _wait(1, datetime(2026, 11, 21, 15, tzinfo=UTC), read=datetime(2026, 11, 21, 16, tzinfo=UTC)),
        _wait(2, datetime(2026, 10, 5, 9, tzinfo=UTC), datetime(2026, 10, 5, 9, 30, tzinfo=UTC), name="Кузнецов"),
    ]
    stats = rules.answer_stats(waits, MSK, NOW)
    assert [(s.name.split()[0], s.month_name) for s in stats] == [("Кузнецов", "октябрь 2026"), ("Попова", "ноябрь 2026")]
    nov = stats[1]
    assert (nov.received, nov.answered, nov.within_day, nov.unread, nov.read_only) == (5, 3, 2, 1, 1)
    assert nov.median == timedelta(hours=3)  # of 1 h, 3 h and 2 days
    assert nov.longest == NOW - datetime(2026, 11, 20, 15, tzinfo=UTC)  # the unread one, still growing
    assert nov.within_day_share == 40
    total = rules.totals(stats)
    assert total == {"received": 6, "answered": 4, "within_day": 3, "unread": 1, "read_only": 1,
                     "within_day_share": 50}


def test_no_waits_no_rows():
    assert rules.answer_stats([], MSK, NOW) == []
    assert rules.totals([])["within_day_share"] is None
