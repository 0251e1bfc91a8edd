"""The performance report's definitions (R-REP-2), pure: how a final counts and what a pupil's
finals make of them; успеваемость, качество and the average of a group."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from service.reports import rules


def five(subject: str, mark: int) -> rules.Mark:
    return rules.classify(str(mark), "scale", 1, 5, 3, None, subject)


def pupil(*marks: rules.Mark) -> rules.Pupil:
    return rules.Pupil(1, "Морозов Артём", "5А", list(marks))


def test_marks_count_by_their_system():
    assert five("Математика", 5) == rules.Mark("Математика", "5", 5, True)
    assert five("Математика", 2).passing is False
    assert rules.classify("7", "scale", 1, 10, 4, None).five_point is None  # a 10-point mark: no качество
    assert rules.classify("7", "scale", 1, 10, 4, None).passing is True
    assert rules.classify("незач", "marks", 0, 0, 0, False).passing is False
    assert rules.classify("н/а", "scale", 1, 5, 3, None).passing is None
    assert rules.classify("осв.", "scale", 1, 5, 3, None).passing is None


def test_what_a_pupils_finals_make_of_them():
    assert pupil(five("А", 5), five("Б", 5), rules.classify("зач", "marks", 0, 0, 0, True)).excellent
    one_four = pupil(five("А", 5), five("Б", 4), five("В", 5))
    assert one_four.single(4) == "Б" and one_four.good and not one_four.excellent
    one_three = pupil(five("А", 5), five("Б", 3), five("В", 4))
    assert one_three.single(3) == "Б" and not one_three.good and one_three.successful
    assert pupil(five("А", 3), five("Б", 3)).single(3) is None  # two «3»
    failing = pupil(five("А", 5), five("Б", 2))
    assert failing.failing == ["Б"] and not failing.successful and failing.single(4) is None
    na = pupil(five("А", 5), rules.classify("н/а", "scale", 1, 5, 3, None, "Б"))
    assert na.not_attested == ["Б"] and not na.successful
    exempt_only = pupil(rules.classify("осв.", "scale", 1, 5, 3, None, "Физкультура"))
    assert not exempt_only.counted


def test_a_class_in_numbers():
    """4 pupils: an отличник, a хорошист with one «4», one with a single «3», one failing →
    успеваемость 75 %, качество 50 %; the average of all ten 5-point finals."""
    ps = [pupil(five("А", 5), five("Б", 5)), pupil(five("А", 5), five("Б", 4)),
          pupil(five("А", 3), five("Б", 4)), pupil(five("А", 2), five("Б", 4)),
          pupil(rules.classify("осв.", "scale", 1, 5, 3, None, "Ф"))]
    s = rules.summarise(ps)
    assert (s.pupils, s.excellent, s.good_only, s.single_four, s.single_three, s.failing) == (4, 1, 1, 1, 1, 1)
    assert s.marks == {"5": 3, "4": 3, "3": 1, "2": 1}
    assert s.success_pct == Decimal("75.0") and s.quality_pct == Decimal("50.0")
    assert s.average == Decimal("4.00")  # (5+5+5+4+3+4+2+4) / 8


marks = st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=12)


@given(st.lists(marks, min_size=1, max_size=30))
def test_the_numbers_add_up(classes):
    """Whatever the marks: quality ≤ success ≤ 100; every final counted once; отличники and
    хорошисты are within the pupils; failing + successful ≤ pupils."""
    ps = [pupil(*[five(f"П{i}", m) for i, m in enumerate(ms)]) for ms in classes]
    s = rules.summarise(ps)
    assert sum(s.marks.values()) == sum(len(ms) for ms in classes)
    assert s.quality_pct <= s.success_pct <= 100
    assert s.excellent + s.good_only <= s.pupils
    assert s.failing + sum(1 for p in ps if p.successful) == s.pupils
    assert Decimal(1) <= s.average <= Decimal(5)
