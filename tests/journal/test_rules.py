"""The journal's pure rules: what a typed cell means (R-ATT-1, R-GRADE-1), weighted averages
and suggested finals (R-GRADE-2), conversions between systems (R-GRADE-1), locks
(R-GRADE-4) and when families see forecasts and finals (R-GRADE-5)."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.errors import Refused
from service.journal import rules

FIVE = rules.System(id=1, code="5", name="Пятибалльная", kind="scale", low=1, high=5, pass_from=3)
HUNDRED = rules.System(id=4, code="100", name="Стобалльная", kind="scale", low=0, high=100, pass_from=50)
PASS = rules.System(id=2, code="zach", name="Зачёт / незачёт", kind="marks",
                    marks=(("зач", None, True), ("незач", None, False)))
NONE = rules.System(id=5, code="none", name="Без отметок", kind="none")


def test_a_cell_reads_attendance_and_marks_in_any_order():
    cell = rules.parse_cell(" 5 / н 4 ", FIVE)
    assert cell.attendance == "absent"
    assert [m for m, _ in cell.marks] == ["5", "4"]
    assert cell.text == "н 5 4"
    assert rules.parse_cell("", FIVE) == rules.Cell()
    assert rules.parse_cell("оп", FIVE).attendance == "late"
    assert rules.parse_cell("y", FIVE).attendance == "absent"  # the н key on a Latin layout


def test_a_mark_outside_the_system_is_refused_naming_it():
    with pytest.raises(Refused, match="«6» — не отметка системы «Пятибалльная»: допустимы целые числа от 1 до 5"):
        rules.parse_cell("6", FIVE)
    with pytest.raises(Refused, match="«отл»"):
        rules.parse_cell("отл", PASS)
    with pytest.raises(Refused, match="только посещаемость"):
        rules.parse_cell("5", NONE)
    assert rules.parse_cell("н", NONE).attendance == "absent"
    with pytest.raises(Refused, match="две отметки посещаемости"):
        rules.parse_cell("н б", FIVE)
    with pytest.raises(Refused, match="Не больше 4"):
        rules.parse_cell("5 5 5 5 5", FIVE)


def test_named_marks_match_without_case_or_yo():
    assert rules.parse_cell("ЗАЧ", PASS).marks == (("зач", None),)
    assert rules.parse_cell("незач", PASS).marks == (("незач", None),)
    assert rules.parse_cell("87", HUNDRED).marks == (("87", Decimal(87)),)


@given(st.sampled_from([None, *rules.ATTENDANCE]), st.lists(st.integers(1, 5), max_size=4))
def test_a_cell_reads_back_what_it_shows(attendance, marks):
    text = rules.cell_text(attendance, [str(m) for m in marks])
    cell = rules.parse_cell(text, FIVE)
    assert cell.attendance == attendance
    assert cell.text == text


def test_the_weighted_average_counts_weights_and_skips_unvalued_marks():
    grades = [(Decimal(5), Decimal(1)), (Decimal(3), Decimal(3)), (None, Decimal(1))]
    assert rules.weighted_average(grades) == Decimal("3.50")
    assert rules.weighted_average([(None, Decimal(1))]) is None
    assert rules.weighted_average([]) is None


@pytest.mark.parametrize(("average", "round_from", "mark"), [
    ("3.50", "0.5", "4"), ("3.49", "0.5", "3"), ("3.50", "0.6", "3"), ("3.60", "0.6", "4"),
    ("4.99", "0.5", "5"), ("1.00", "0.5", "1"),
])
def test_the_suggested_final_follows_the_schools_rounding(average, round_from, mark):
    assert rules.suggest_final(Decimal(average), FIVE, Decimal(round_from)) == mark


def test_conversions_map_ranges_and_refuse_overlaps():
    table = [(Decimal(0), Decimal(49), "2"), (Decimal(50), Decimal(69), "3"),
             (Decimal(70), Decimal(84), "4"), (Decimal(85), Decimal(100), "5")]
    assert rules.convert(Decimal(87), table) == "5"
    assert rules.convert(Decimal(50), table) == "3"
    rules.check_conversions(table)
    with pytest.raises(Refused, match="пересекаются"):
        rules.check_conversions([*table, (Decimal(60), Decimal(65), "3")])


def test_entries_lock_after_the_schools_days_and_in_a_closed_period():
    day = date(2026, 11, 2)
    assert rules.lock_state(day, date(2026, 11, 9), 7, False, False) == rules.FREE
    assert rules.lock_state(day, date(2026, 11, 10), 7, False, False) == rules.REASON
    assert rules.lock_state(day, date(2026, 11, 10), 7, False, True) == rules.APPROVAL
    assert rules.lock_state(day, date(2026, 11, 3), 7, True, False) == rules.REASON


def test_families_see_the_forecast_and_finals_by_the_days_004_sets():
    end = date(2026, 12, 29)
    assert rules.forecast_from(end, 14) == date(2026, 12, 15)
    assert rules.finals_from(end, 2) == date(2026, 12, 27)
    with pytest.raises(Refused, match="не позднее чем за 14 дней"):
        rules.check_visibility_days(13, 2)
    with pytest.raises(Refused, match="не позднее чем за 2 дня"):
        rules.check_visibility_days(14, 1)
