"""The pure rules of the school's calendar (R-YEAR-1, R-YEAR-2) and structure (R-ORG-1,
R-ORG-2): default periods and holidays, overlaps, school days of a five- or six-day week,
moving a calendar to the next year. No database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.errors import Refused
from service.school import rules

START, END = date(2026, 9, 1), date(2027, 5, 26)

days_ = st.dates(min_value=date(2000, 1, 1), max_value=date(2150, 12, 31))


@st.composite
def years(draw):
    start = draw(days_)
    return start, start + timedelta(days=draw(st.integers(min_value=1, max_value=366)))


def test_default_periods_are_quarters_for_1_to_9_and_halves_for_10_11():
    """R-YEAR-1: the usual Russian year; the last period ends with the year."""
    periods = rules.default_periods(START, END)
    junior = [p for p in periods if (p.grade_from, p.grade_to) == (1, 9)]
    senior = [p for p in periods if (p.grade_from, p.grade_to) == (10, 11)]
    assert [p.name for p in junior] == ["1 четверть", "2 четверть", "3 четверть", "4 четверть"]
    assert [p.name for p in senior] == ["1 полугодие", "2 полугодие"]
    assert junior[0].starts_on == START and junior[-1].ends_on == END == senior[-1].ends_on
    assert junior[1].starts_on == date(2026, 11, 5)
    trimesters = rules.default_periods(START, END, junior="trimesters")
    assert [p.name for p in trimesters if p.grade_to == 9] == ["1 триместр", "2 триместр", "3 триместр"]


@given(years(), st.sampled_from(["quarters", "trimesters"]))
def test_default_periods_always_pass_the_period_rules(year, junior):
    """Whatever the dates of a year, its default periods lie inside it, follow each other and
    are accepted by the same check the deputy's own periods meet (R-YEAR-1)."""
    start, end = year
    periods = rules.default_periods(start, end, junior)
    for i, period in enumerate(periods):
        rules.check_period(period, start, end, periods[:i])
    for day in rules.default_days(start, end):
        assert start <= day.starts_on <= day.ends_on <= end


def test_a_period_outside_its_year_or_overlapping_another_is_refused():
    """Issue 7 «bad input»: a period outside its year or overlapping another."""
    first = rules.Period("quarters", 1, "1 четверть", 1, 9, START, date(2026, 10, 24), id=1)
    with pytest.raises(Refused, match="за пределы учебного года"):
        rules.check_period(rules.Period("quarters", 2, "", 1, 9, date(2026, 11, 5), date(2027, 6, 30)),
                           START, END, [first])
    with pytest.raises(Refused, match="пересекаются"):
        rules.check_period(rules.Period("quarters", 2, "", 1, 9, date(2026, 10, 20), date(2026, 12, 28)),
                           START, END, [first])
    with pytest.raises(Refused, match="уже есть"):
        rules.check_period(rules.Period("quarters", 1, "", 1, 9, date(2026, 11, 5), date(2026, 12, 28)),
                           START, END, [first])
    # a period may be edited without meeting itself
    rules.check_period(rules.Period("quarters", 1, "", 1, 9, START, date(2026, 10, 25), id=1),
                       START, END, [first])


def test_one_scheme_and_one_grade_range_per_grade():
    """Quarters for 1–9 and half-years for 10–11, but not half-years for 5–11 too."""
    first = rules.Period("quarters", 1, "1 четверть", 1, 9, START, date(2026, 10, 24))
    rules.check_period(rules.Period("halves", 1, "", 10, 11, START, date(2026, 12, 28)), START, END, [first])
    with pytest.raises(Refused, match="один вид периодов"):
        rules.check_period(rules.Period("halves", 1, "", 5, 11, START, date(2026, 12, 28)), START, END, [first])
    with pytest.raises(Refused, match="один вид периодов"):
        rules.check_period(rules.Period("quarters", 2, "", 1, 4, date(2026, 11, 5), date(2026, 12, 28)),
                           START, END, [first])
    with pytest.raises(Refused, match="по порядку"):
        rules.check_period(rules.Period("quarters", 3, "", 1, 9, date(2026, 9, 1) - timedelta(days=0),
                                        date(2026, 9, 1)), date(2026, 8, 1), END,
                           [rules.Period("quarters", 1, "1 четверть", 1, 9, date(2026, 9, 2), date(2026, 10, 1))])


@given(days_, days_, days_, days_)
def test_overlap_is_symmetric_and_means_a_shared_day(a, b, c, d):
    a, b = sorted((a, b))
    c, d = sorted((c, d))
    shared = max(a, c) <= min(b, d)
    assert rules.overlaps(a, b, c, d) == rules.overlaps(c, d, a, b) == shared


def test_calendar_days_outside_the_year_and_weekday_workdays_are_refused():
    with pytest.raises(Refused, match="вне учебного года"):
        rules.check_day(rules.Day("holidays", "Летние", 1, 11, date(2027, 6, 1), date(2027, 8, 31)), START, END)
    with pytest.raises(Refused, match="будний день"):
        rules.check_day(rules.Day("workday", "Перенос", 1, 11, date(2026, 11, 3), date(2026, 11, 3)), START, END)
    rules.check_day(rules.Day("workday", "Перенос", 1, 11, date(2026, 11, 7), date(2026, 11, 7)), START, END)


calendar_entries = st.builds(
    rules.Day, st.sampled_from(list(rules.DAY_KINDS)), st.just("x"),
    st.integers(1, 11), st.integers(1, 11),
    st.dates(min_value=START, max_value=END), st.dates(min_value=START, max_value=END))


@given(st.dates(min_value=START - timedelta(days=30), max_value=END + timedelta(days=30)),
       st.integers(1, 11), st.sampled_from(rules.WEEK_DAYS), st.lists(calendar_entries, max_size=6))
def test_school_day_rules(day, grade, week_days, calendar):
    """R-YEAR-2: Sunday never (unless a moved working day), Saturday only in a six-day week;
    holidays and days off always free; nothing outside the year."""
    result = rules.is_school_day(day, grade, week_days, START, END, calendar)
    mine = [d for d in calendar if d.grade_from <= grade <= d.grade_to and d.starts_on <= day <= d.ends_on]
    if not START <= day <= END or any(d.kind != "workday" for d in mine):
        assert result is False
    elif any(d.kind == "workday" for d in mine):
        assert result is True
    else:
        assert result == (day.weekday() < week_days)
    if day.weekday() == 5 and not mine and START <= day <= END:
        assert result == (week_days == 6)


def test_holidays_count_only_for_their_grades():
    february = rules.Day("holidays", "Дополнительные каникулы", 1, 1, date(2027, 2, 15), date(2027, 2, 21))
    monday = date(2027, 2, 15)
    assert rules.is_school_day(monday, 1, 5, START, END, [february]) is False
    assert rules.is_school_day(monday, 2, 5, START, END, [february]) is True


@given(years(), st.integers(1, 3))
def test_a_copied_calendar_stays_inside_the_new_year(year, years_later):
    """«Create a year from the previous one»: periods and days move with the year and stay
    valid (R-YEAR-1)."""
    start, end = year
    periods, days = rules.default_periods(start, end), rules.default_days(start, end)
    new_start = rules.shift_date(start, start, start.replace(year=start.year + years_later)
                                 if (start.month, start.day) != (2, 29) else date(start.year + years_later, 3, 1))
    new_end = new_start + (end - start)
    moved_periods, moved_days = rules.shift_calendar(periods, days, start, new_start, new_end)
    for i, period in enumerate(moved_periods):
        assert new_start <= period.starts_on <= period.ends_on <= new_end
        rules.check_period(period, new_start, new_end, moved_periods[:i])
    for day in moved_days:
        rules.check_day(day, new_start, new_end)


def test_september_first_stays_september_first():
    assert rules.shift_date(date(2026, 11, 4), date(2026, 9, 1), date(2027, 9, 1)) == date(2027, 11, 4)
    assert rules.shift_date(date(2028, 2, 29), date(2027, 9, 1), date(2028, 9, 1)) == date(2029, 2, 28)
    assert rules.shift_date(date(2026, 9, 10), date(2026, 9, 1), date(2027, 9, 2)) == date(2027, 9, 11)


def test_year_names_dates_and_overlaps():
    rules.check_year("2027/2028", date(2027, 9, 1), date(2028, 5, 26), [("2026/2027", START, END)])
    with pytest.raises(Refused, match="2027/2028"):
        rules.check_year("2027-2028", date(2027, 9, 1), date(2028, 5, 26), [])
    with pytest.raises(Refused, match="раньше"):
        rules.check_year("2027/2028", date(2027, 9, 1), date(2027, 9, 1), [])
    with pytest.raises(Refused, match="пересекаются с учебным годом 2026/2027"):
        rules.check_year("2027/2028", date(2027, 5, 20), date(2028, 5, 1), [("2026/2027", START, END)])


def test_class_letters_hours_and_russian_names():
    """R-ORG-1, R-ORG-2."""
    assert rules.class_name(7, rules.clean_letter(" б ")) == "7Б"
    with pytest.raises(Refused, match="Буква"):
        rules.clean_letter("B")  # a Latin look-alike
    with pytest.raises(Refused, match="пять или шесть"):
        rules.check_class(7, 7)
    with pytest.raises(Refused, match="от 1 до 40"):
        rules.check_hours(0)
    with pytest.raises(Refused, match="по-русски"):
        rules.check_named("Math", "name", "Предмет")


def test_school_days_of_a_week_with_a_day_off_and_a_moved_working_day():
    """R-YEAR-2: 2–8 November 2026, 4 November off, Saturday 7 November worked instead."""
    calendar = [rules.Day("day_off", "День народного единства", 1, 11, date(2026, 11, 4), date(2026, 11, 4)),
                rules.Day("workday", "Перенос", 1, 11, date(2026, 11, 7), date(2026, 11, 7))]
    week = (date(2026, 11, 2), date(2026, 11, 8))
    assert rules.count_school_days(*week, 5, 5, START, END, calendar) == 5
    assert rules.count_school_days(*week, 5, 6, START, END, calendar) == 5
    assert rules.count_school_days(*week, 5, 5, START, END, []) == 5
    assert rules.count_school_days(*week, 5, 6, START, END, []) == 6


@given(st.dates(min_value=START, max_value=END), st.integers(0, 60), st.integers(1, 11),
       st.lists(calendar_entries, max_size=4))
def test_a_six_day_week_never_has_fewer_school_days(start, length, grade, calendar):
    end = min(start + timedelta(days=length), END)
    five = rules.count_school_days(start, end, grade, 5, START, END, calendar)
    six = rules.count_school_days(start, end, grade, 6, START, END, calendar)
    assert five <= six <= (end - start).days + 1
