"""Pure rules of the timetable (R-TT-1, R-TT-2, R-YEAR-2): the A/B week of a date as a pure
function, property-tested across holidays and year boundaries; bell schedules; which dates a
weekly slot becomes a lesson on; two lessons in one place at once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.errors import Refused
from service.school.rules import Day, default_days
from service.timetable import rules

YEAR_START, YEAR_END = date(2026, 9, 1), date(2027, 5, 31)
CALENDAR = default_days(YEAR_START, YEAR_END)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


# --- weeks A and B --------------------------------------------------------------------------


@given(days, days)
def test_week_type_is_a_or_b_and_the_anchor_week_is_a(day, anchor):
    assert rules.week_type(anchor, 2, anchor) == 1
    assert rules.week_type(day, 2, anchor) in (1, 2)
    assert rules.week_type(day, 1, anchor) == 0


@given(days, days, st.integers(0, 6))
def test_every_day_of_a_week_has_the_week_s_type(day, anchor, shift):
    monday = rules.monday(day)
    assert rules.week_type(monday + timedelta(days=shift), 2, anchor) == rules.week_type(monday, 2, anchor)


@given(days, days)
def test_consecutive_weeks_alternate_across_new_year_and_any_boundary(day, anchor):
    this, following = rules.week_type(day, 2, anchor), rules.week_type(day + timedelta(days=7), 2, anchor)
    assert {this, following} == {1, 2}


@given(days, days)
def test_two_weeks_later_is_the_same_week(day, anchor):
    assert rules.week_type(day + timedelta(days=14), 2, anchor) == rules.week_type(day, 2, anchor)


def test_the_new_year_week_keeps_alternating():
    anchor = date(2026, 9, 1)  # Tuesday: the week of 31 August is week A
    assert rules.week_type(date(2026, 12, 28), 2, anchor) == 2  # 17 weeks after: B
    assert rules.week_type(date(2027, 1, 1), 2, anchor) == 2  # Friday of the same week
    assert rules.week_type(date(2027, 1, 4), 2, anchor) == 1


@given(st.integers(0, 40), st.sets(st.integers(1, 40), max_size=8))
def test_skipped_weeks_do_not_count_so_school_weeks_keep_alternating(weeks_on, holes):
    """With holiday weeks left out, the weeks that have school still alternate A, B, A, B
    (R-YEAR-2: two-week timetables over holidays)."""
    anchor = date(2026, 9, 1)
    skipped = [rules.monday(anchor) + timedelta(weeks=h) for h in holes]
    school_weeks = [w for w in range(weeks_on + 1) if w == 0 or w not in holes]
    types = [rules.week_type(anchor + timedelta(weeks=w), 2, anchor, skipped) for w in school_weeks]
    assert types == [1 if i % 2 == 0 else 2 for i in range(len(types))]


def test_autumn_holidays_skipped_week_b_follows_after_them():
    anchor = date(2026, 9, 1)
    holidays = rules.weeks_without_school(YEAR_START, YEAR_END, CALENDAR)
    assert holidays, "the default calendar has at least one whole week of holidays"
    first = holidays[0]
    before = first - timedelta(days=7)
    after = first + timedelta(days=7)
    while after in holidays:
        after += timedelta(days=7)
    kept = rules.week_type(before, 2, anchor, holidays)
    assert rules.week_type(after, 2, anchor, holidays) != kept
    # counted by the calendar instead, the holiday weeks count too
    weeks = (after - before).days // 7
    assert rules.week_type(after, 2, anchor) == (kept if weeks % 2 == 0 else 3 - kept)


def test_anchor_outside_the_year_is_refused():
    with pytest.raises(Refused) as refused:
        rules.check_anchor(2, date(2026, 8, 20), YEAR_START, YEAR_END)
    assert refused.value.field == "anchor" and "вне учебного года" in refused.value.message
    with pytest.raises(Refused):
        rules.check_anchor(2, None, YEAR_START, YEAR_END)
    rules.check_anchor(1, None, YEAR_START, YEAR_END)
    rules.check_anchor(2, date(2026, 9, 7), YEAR_START, YEAR_END)


# --- bells ----------------------------------------------------------------------------------


def test_times_are_read_as_a_deputy_types_them():
    assert rules.parse_time("08:30") == 510
    assert rules.parse_time(" 8.05 ") == 485
    assert rules.time_text(510) == "08:30"
    for bad in ("25:00", "8:7", "восемь", "", "08:60"):
        with pytest.raises(Refused):
            rules.parse_time(bad)


def test_overlapping_bells_are_refused_naming_both_lessons():
    bells = [rules.Bell(1, 510, 555), rules.Bell(2, 560, 605), rules.Bell(3, 600, 645)]
    with pytest.raises(Refused) as refused:
        rules.check_bells(bells)
    assert "2-й урок (09:20–10:05)" in refused.value.message
    assert "3-й урок (10:00–10:45)" in refused.value.message


@pytest.mark.parametrize("bells, phrase", [
    ([], "нет ни одного урока"),
    ([rules.Bell(1, 510, 555), rules.Bell(1, 560, 600)], "указан дважды"),
    ([rules.Bell(1, 555, 510)], "начинаться раньше"),
    ([rules.Bell(1, 360, 400)], "с 07:00 до 21:00"),
    ([rules.Bell(13, 510, 555)], "от 0 до 12"),
])
def test_impossible_bells_are_refused(bells, phrase):
    with pytest.raises(Refused) as refused:
        rules.check_bells(bells)
    assert phrase in refused.value.message


def test_a_weekday_belongs_to_one_schedule():
    assert rules.check_weekdays("531", {}) == "135"
    with pytest.raises(Refused) as refused:
        rules.check_weekdays("6", {6: "Суббота"})
    assert "На субботу" in refused.value.message and "«Суббота»" in refused.value.message
    with pytest.raises(Refused):
        rules.check_weekdays("17", {})


# --- lesson dates ---------------------------------------------------------------------------


def test_lessons_fall_on_school_days_only_and_follow_weeks_a_and_b():
    version = rules.Version(YEAR_START, None, 2, YEAR_START)
    got = list(rules.lesson_days(version, rules.Pattern(5, 5), YEAR_START, YEAR_END,
                                 YEAR_START, YEAR_END, CALENDAR))
    for day, weekday, week in got:
        assert rules.school_day(day, 5, 5, YEAR_START, YEAR_END, CALENDAR)
        assert weekday == day.isoweekday() <= 5
        assert week == rules.week_type(day, 2, YEAR_START)
    holidays = [d for d in CALENDAR if d.kind == "holidays" and d.grade_from <= 5 <= d.grade_to]
    assert holidays and not any(h.starts_on <= day <= h.ends_on for h in holidays for day, _, _ in got)


def test_a_moved_working_day_follows_the_weekday_it_is_told():
    saturday = date(2026, 12, 12)
    calendar = [*CALENDAR, Day("workday", "перенос", 1, 11, saturday, saturday)]
    version = rules.Version(YEAR_START, None, 1, None)
    got = dict(((d, w) for d, w, _ in rules.lesson_days(
        version, rules.Pattern(5, 5), saturday, saturday, YEAR_START, YEAR_END, calendar,
        {saturday: 1})))
    assert got == {saturday: 1}
    # not told: it keeps its own weekday (a five-day class has no Saturday slots to make)
    got = [w for _, w, _ in rules.lesson_days(version, rules.Pattern(5, 5), saturday, saturday,
                                              YEAR_START, YEAR_END, calendar)]
    assert got == [6]


def test_a_version_makes_lessons_only_inside_its_dates():
    version = rules.Version(date(2026, 11, 2), date(2026, 11, 6), 1, None)
    got = [d for d, _, _ in rules.lesson_days(version, rules.Pattern(5, 5), YEAR_START, YEAR_END,
                                              YEAR_START, YEAR_END, CALENDAR)]
    assert got and min(got) >= date(2026, 11, 2) and max(got) <= date(2026, 11, 6)


def test_a_cross_class_group_is_off_only_on_whole_school_holidays():
    first_graders = Day("holidays", "доп. каникулы 1 кл.", 1, 1, date(2027, 2, 15), date(2027, 2, 21))
    assert not rules.school_day(date(2027, 2, 16), 1, 5, YEAR_START, YEAR_END, [first_graders])
    assert rules.school_day(date(2027, 2, 16), None, 6, YEAR_START, YEAR_END, [first_graders])


# --- two places at once ---------------------------------------------------------------------


def place(**kw) -> rules.Place:
    base = {"weekday": 1, "number": 2, "week": 0, "teacher": 1, "label": "урок"}
    return rules.Place(**{**base, **kw})


@pytest.mark.parametrize("new, other, kind", [
    (place(teacher=1, school_class=5), place(teacher=1, school_class=6), "teacher"),
    (place(teacher=1, room=12, school_class=5), place(teacher=2, room=12, school_class=6), "room"),
    (place(teacher=1, school_class=5), place(teacher=2, school_class=5), "class"),
    (place(teacher=1, study_group=7, group_class=5), place(teacher=2, school_class=5), "class"),
    (place(teacher=1, study_group=7, group_class=5), place(teacher=2, study_group=7, group_class=5), "group"),
    (place(teacher=1, student=9), place(teacher=2, student=9), "student"),
    (place(teacher=1, week=1, school_class=5), place(teacher=2, week=0, school_class=5), "class"),
])
def test_two_lessons_in_one_place_clash(new, other, kind):
    assert rules.clash(new, other) == kind


@pytest.mark.parametrize("new, other", [
    (place(teacher=1, study_group=7, group_class=5), place(teacher=2, study_group=8, group_class=5)),
    (place(teacher=1, school_class=5, week=1), place(teacher=1, school_class=5, week=2)),
    (place(teacher=1, school_class=5), place(teacher=1, school_class=5, number=3)),
    (place(teacher=1, school_class=5, id=4), place(teacher=1, school_class=5, id=4)),
])
def test_parallel_subgroups_other_weeks_and_the_slot_itself_do_not_clash(new, other):
    assert rules.clash(new, other) is None


def test_a_clash_is_refused_naming_both_lessons():
    new = place(teacher=1, school_class=5, label="5А, Математика, понедельник, 2-й урок")
    other = place(teacher=1, school_class=6, label="6Б, Алгебра, понедельник, 2-й урок")
    with pytest.raises(Refused) as refused:
        rules.check_places(new, [other])
    assert "5А, Математика" in refused.value.message and "6Б, Алгебра" in refused.value.message
    assert refused.value.field == "teacher"
