"""Pure rules of operations: the 06:00 deadline (R-OPS-3), the weekly drill, the alarms of the
operations page (R-BAK-1), planned maintenance in the holidays (R-OPS-3) and availability
during working hours (R-OPS-2, R-OPS-4)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from service.ops import rules

MSK = ZoneInfo("Europe/Moscow")
TWO, SIX = time(2), time(6)
WORK_START, WORK_END = time(6), time(2)


def msk(*args) -> datetime:
    return datetime(*args, tzinfo=MSK)


# --- the window and its deadline ---------------------------------------------------------------


def test_deadline_is_six_inside_the_window_and_none_outside():
    """R-OPS-3: the window is 02:00–06:00; nothing heavy starts outside it."""
    assert rules.window_deadline(msk(2026, 11, 28, 2, 0), TWO, SIX) == msk(2026, 11, 28, 6, 0)
    assert rules.window_deadline(msk(2026, 11, 28, 5, 59), TWO, SIX) == msk(2026, 11, 28, 6, 0)
    assert rules.window_deadline(msk(2026, 11, 28, 6, 0), TWO, SIX) is None
    assert rules.window_deadline(msk(2026, 11, 28, 1, 59), TWO, SIX) is None
    assert rules.window_deadline(msk(2026, 11, 28, 14, 0), TWO, SIX) is None


def test_a_window_across_midnight():
    assert rules.window_deadline(msk(2026, 11, 28, 23, 30), time(23), time(3)) == msk(2026, 11, 29, 3)
    assert rules.window_deadline(msk(2026, 11, 29, 1, 0), time(23), time(3)) == msk(2026, 11, 29, 3)
    assert rules.window_deadline(msk(2026, 11, 29, 4, 0), time(23), time(3)) is None


moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)) \
    .map(lambda d: d.replace(tzinfo=MSK))
durations = st.integers(min_value=0, max_value=6 * 3600).map(lambda s: timedelta(seconds=s))


@given(moments, durations)
def test_a_step_starts_only_if_it_finishes_before_the_deadline(now, expected):
    deadline = rules.window_deadline(now, TWO, SIX)
    if deadline is None:
        return
    fits = rules.step_fits(now, deadline, expected)
    assert fits == (now + expected <= deadline)
    if fits:  # whatever fits now also fits a minute earlier: waiting never helps
        assert rules.step_fits(now - timedelta(minutes=1), deadline, expected)
    assert deadline - now <= timedelta(hours=4)


@given(moments, st.one_of(st.none(), moments))
def test_the_drill_runs_on_sunday_or_when_a_week_has_passed(now, last_ok):
    due = rules.drill_due(now, last_ok, 7)
    if now.isoweekday() == 7 or last_ok is None or now - last_ok >= timedelta(days=7):
        assert due
    else:
        assert not due


# --- alarms of the operations page ----------------------------------------------------------------


def test_alarm_when_the_backup_is_late_or_the_drill_failed_or_is_old():
    """R-BAK-1: the operations page turns red when a backup or a drill is late or failed."""
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    good = rules.RunSummary(now - timedelta(hours=10), True)
    assert rules.alarms(now, good, good, good) == []
    late = rules.RunSummary(now - timedelta(hours=27), True)
    assert any("27 ч назад" in a for a in rules.alarms(now, late, good, good))
    failed = rules.RunSummary(now - timedelta(hours=10), False)
    assert any("не прошла" in a for a in rules.alarms(now, good, failed, good))
    old = rules.RunSummary(now - timedelta(days=9), True)
    assert any("8 дней" in a for a in rules.alarms(now, good, old, old))
    assert len(rules.alarms(now, None, None, None)) == 2


# --- planned maintenance -------------------------------------------------------------------------

WINTER = [rules.Holidays(date(2026, 12, 29), date(2027, 1, 11))]
NOW = msk(2026, 12, 1, 10, 0)


def test_planned_maintenance_in_the_holidays_a_week_ahead_is_allowed():
    assert rules.planned_problem(NOW, msk(2027, 1, 5, 8), msk(2027, 1, 5, 20), WINTER, MSK) is None


def test_planned_maintenance_outside_holidays_or_too_soon_or_too_long_is_refused():
    """R-OPS-3: only in the holidays, at least 7 days ahead, at most a day."""
    problem = rules.planned_problem(NOW, msk(2026, 12, 20, 8), msk(2026, 12, 20, 20), WINTER, MSK)
    assert "не каникулы" in problem
    soon = msk(2026, 12, 30, 8)
    problem = rules.planned_problem(msk(2026, 12, 25, 10), soon, soon + timedelta(hours=4), WINTER, MSK)
    assert "за 7 дней" in problem
    assert "суток" in rules.planned_problem(NOW, msk(2027, 1, 4, 8), msk(2027, 1, 5, 9), WINTER, MSK)
    assert "позже начала" in rules.planned_problem(NOW, msk(2027, 1, 5, 8), msk(2027, 1, 5, 8), WINTER, MSK)
    # the last evening of the holidays running into a school day
    problem = rules.planned_problem(NOW, msk(2027, 1, 11, 20), msk(2027, 1, 12, 8), WINTER, MSK)
    assert "12.01.2027" in problem


def test_holidays_of_some_grades_only_do_not_count():
    first_grade = [rules.Holidays(date(2027, 2, 8), date(2027, 2, 14), 1, 1)]
    problem = rules.planned_problem(NOW, msk(2027, 2, 9, 8), msk(2027, 2, 9, 18), first_grade, MSK)
    assert "не каникулы" in problem
    split = [rules.Holidays(date(2027, 2, 8), date(2027, 2, 14), 1, 4),
             rules.Holidays(date(2027, 2, 8), date(2027, 2, 14), 5, 11)]
    assert rules.planned_problem(NOW, msk(2027, 2, 9, 8), msk(2027, 2, 9, 18), split, MSK) is None


# --- availability --------------------------------------------------------------------------------

MONTH_END = msk(2026, 12, 1, 0, 0)  # "now" after November is over


def _november(spans, planned=()):
    return rules.month_availability(2026, 11, spans, list(planned), MONTH_END, WORK_START,
                                    WORK_END, MSK)


def test_all_month_up_is_100_percent_and_working_time_is_20_hours_a_day():
    """R-OPS-1/2: working time 06:00–02:00 is 20 h a day; up all along is 100 %."""
    report = _november([rules.Span(msk(2026, 10, 31), msk(2026, 12, 2), True)])
    assert report.counted == timedelta(hours=20 * 30)
    assert report.percent == 100.0 and report.outages == [] and report.meets_target


def test_an_outage_of_90_minutes_is_listed_and_the_night_does_not_count():
    up_all = [rules.Span(msk(2026, 10, 31), msk(2026, 11, 10, 9, 0), True),
              rules.Span(msk(2026, 11, 10, 10, 30), msk(2026, 12, 2), True)]
    report = _november(up_all + [rules.Span(msk(2026, 11, 10, 9, 0), msk(2026, 11, 10, 10, 30), False)])
    assert report.down == timedelta(minutes=90)
    assert [(a.astimezone(MSK), b.astimezone(MSK)) for a, b in report.outages] == [
        (msk(2026, 11, 10, 9, 0), msk(2026, 11, 10, 10, 30))]
    assert round(report.percent, 3) == round(100 * (1 - 90 / (600 * 60)), 3)
    # down only in the night window (02:00–06:00): not working time, no outage
    night = _november([rules.Span(msk(2026, 10, 31), msk(2026, 11, 10, 2, 0), True),
                       rules.Span(msk(2026, 11, 10, 6, 0), msk(2026, 12, 2), True)])
    assert night.down == timedelta() and night.outages == []


def test_an_outage_across_the_night_is_one_outage_of_its_working_time():
    """R-OPS-4: 01:30–07:00 is one outage of 90 working minutes (01:30–02:00, 06:00–07:00)."""
    spans = [rules.Span(msk(2026, 10, 31), msk(2026, 11, 10, 1, 30), True),
             rules.Span(msk(2026, 11, 10, 7, 0), msk(2026, 12, 2), True)]
    report = _november(spans)
    assert report.down == timedelta(minutes=90)
    assert len(report.outages) == 1


def test_planned_maintenance_is_not_counted_and_silence_is_down():
    spans = [rules.Span(msk(2026, 10, 31), msk(2026, 11, 15, 8), True),
             rules.Span(msk(2026, 11, 15, 20), msk(2026, 12, 2), True)]
    planned = [(msk(2026, 11, 15, 8), msk(2026, 11, 15, 20))]
    assert _november(spans, planned).percent == 100.0
    assert _november(spans).down == timedelta(hours=12)  # nobody probed: the server was off
    assert _november([]).percent == 0.0


span_lists = st.lists(st.tuples(st.integers(0, 30 * 24 * 60), st.integers(1, 3 * 24 * 60),
                                st.booleans()), max_size=12)


@given(span_lists)
def test_availability_adds_up(raw):
    base = msk(2026, 11, 1)
    spans = [rules.Span(base + timedelta(minutes=a), base + timedelta(minutes=a + n), up)
             for a, n, up in raw]
    report = _november(spans)
    assert report.counted == timedelta(hours=600)
    assert timedelta() <= report.down <= report.counted
    assert 0.0 <= report.percent <= 100.0
    up_time = sum(((min(s.until, MONTH_END) - max(s.since, base)) for s in spans if s.up
                   and s.until > base), timedelta())
    assert report.down >= report.counted - up_time  # up time can cover no more than it lasts
    for a, b in report.outages:
        assert b - a > rules.LONG_OUTAGE
        assert base.astimezone(UTC) <= a < b <= MONTH_END.astimezone(UTC)
