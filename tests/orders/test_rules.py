"""Pure rules of the order book (R-ORG-3, R-ORG-1): dated intervals and the promotion plan,
with Hypothesis. No database."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from service.orders import rules
from service.orders.rules import Interval, NewClass, OldClass

START = date(2026, 9, 1)
LAST = date(2027, 5, 31)
days = st.integers(min_value=0, max_value=(LAST - START).days).map(lambda n: START + timedelta(n))


@st.composite
def intervals(draw) -> Interval:
    starts = draw(days)
    ends = draw(st.one_of(st.none(), days))
    return Interval(starts, ends)


@given(intervals(), intervals())
def test_overlap_means_a_shared_day(a, b):
    shared = rules.days_in([a], START, LAST + timedelta(1)) & rules.days_in([b], START, LAST + timedelta(1))
    assert rules.overlaps(a, b) == bool(shared) == rules.overlaps(b, a)


@given(intervals(), days)
def test_closing_before_a_day_ends_the_day_before(interval, day):
    if interval.ends_on is not None or not interval.starts_on < day:
        return
    closed = rules.closed_before(interval, day)
    assert closed.covers(day - timedelta(1)) and not closed.covers(day)
    assert closed.starts_on == interval.starts_on and not closed.void


@given(intervals(), days)
def test_a_voided_interval_covers_no_day(interval, day):
    assert not rules.voided(interval).covers(day)
    assert rules.voided(interval).void


def _state(memberships: list[tuple[int, Interval]]) -> dict[int, set[date]]:
    """Class → the days the student is in it: what the journal will show."""
    result: dict[int, set[date]] = {}
    for cls, interval in memberships:
        result.setdefault(cls, set()).update(rules.days_in([interval], START, LAST))
    return {c: d for c, d in result.items() if d}


@given(st.lists(st.tuples(st.integers(1, 40), st.integers(1, 4)), max_size=12))
def test_transfers_keep_a_student_in_one_class_and_cancels_restore_exactly(steps):
    """After any sequence of valid transfers («с даты»: the old class ends the day before) a
    student is in at most one class on every day; undoing the last transfer (the new interval
    voided, the old one reopened) gives back exactly the days before it."""
    memberships: list[tuple[int, Interval]] = [(1, Interval(START))]
    day = START
    for gap, target in steps:
        day += timedelta(gap)
        current = memberships[-1]
        if day > LAST or current[0] == target or not current[1].starts_on < day:
            continue  # the action refuses these
        before = _state(memberships)
        memberships[-1] = (current[0], rules.closed_before(current[1], day))
        memberships.append((target, Interval(day)))
        for d in (day - timedelta(1), day, LAST):
            assert sum(1 for _, i in memberships if i.covers(d)) == 1
        undone = [*memberships[:-2], (current[0], Interval(current[1].starts_on)),
                  (target, rules.voided(memberships[-1][1]))]
        assert _state(undone) == before


@st.composite
def schools(draw):
    keys = draw(st.lists(st.tuples(st.integers(1, 11), st.sampled_from("АБВ")), unique=True,
                         max_size=8))
    classes, pupil = [], 1
    for n, (grade, letter) in enumerate(keys):
        size = draw(st.integers(0, 4))
        classes.append(OldClass(n + 1, grade, letter, 100 + n, 5, tuple(range(pupil, pupil + size))))
        pupil += size
    everyone = [p for c in classes for p in c.pupils]
    held = draw(st.sets(st.sampled_from(everyone))) if everyone else set()
    ninth = [p for c in classes if c.grade == 9 for p in c.pupils if p not in held]
    leaving = draw(st.sets(st.sampled_from(ninth))) if ninth else set()
    return classes, held, leaving


@given(schools())
def test_promotion_plan_moves_every_pupil_once(school):
    classes, held, leaving = school
    plan = rules.promotion_plan(classes, leaving, held)
    grade = {p: c.grade for c in classes for p in c.pupils}
    assert sorted(m.student for m in plan.moves) == sorted(grade)
    targets = {(n.grade, n.letter) for n in plan.new_classes}
    assert len(targets) == len(plan.new_classes)
    for m in plan.moves:
        if m.student in held:
            assert m.kind == "repeat" and m.to[0] == grade[m.student]
        elif grade[m.student] == 11 or m.student in leaving:
            assert m.kind == "graduate" and m.to is None
        else:
            assert m.kind == "promote" and m.to[0] == grade[m.student] + 1
        if m.to is not None:
            assert m.to in targets
    for c in classes:  # 7Б → 8Б keeps its class teacher
        if c.grade < 11:
            new = next(n for n in plan.new_classes if (n.grade, n.letter) == (c.grade + 1, c.letter))
            assert new.class_teacher == c.class_teacher and new.name == f"{c.grade + 1}{c.letter}"


def test_existing_classes_of_the_new_year_are_reused():
    plan = rules.promotion_plan([OldClass(1, 7, "Б", 5, 5, (1, 2))], [], [],
                                [NewClass(8, "Б", 9, 6, id=77)])
    assert plan.new_classes == (NewClass(8, "Б", 9, 6, id=77),)
    assert {m.to for m in plan.moves} == {(8, "Б")}


def test_nobody_promoted_past_eleven_and_held_back_keep_their_grade():
    plan = rules.promotion_plan([OldClass(1, 11, "А", 3, 5, (1, 2)), OldClass(2, 1, "А", 4, 5, (3,))],
                                held_back=[2, 3])
    assert [(m.student, m.kind, m.to) for m in plan.moves] == [
        (3, "repeat", (1, "А")), (1, "graduate", None), (2, "repeat", (11, "А"))]
    assert [n.name for n in plan.new_classes] == ["1А", "2А", "11А"]
