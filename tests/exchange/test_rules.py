"""Pure rules of imports (R-X-1): dates typed as schools type them, SNILS checksums, names,
classes, column names and the header row under title rows, and the preview's line-by-line
errors (duplicates in the file and in the database, unknown classes). No database."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from service.exchange import rules
from service.exchange.mapping import find_header, plan_columns
from service.exchange.preview import Lookups, build_preview
from service.people.rules import snils_check_digits
from service.readers import Table

TODAY = date(2026, 11, 27)
YEAR = {"id": 1, "name": "2026/2027", "starts_on": date(2026, 9, 1), "closed_at": None}


@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
def test_dates_typed_in_any_usual_way_read_back_the_same(day):
    """R-X-1: «01.09.2015», «1.9.2015», «2015-09-01», «01/09/2015 г.» and date cells."""
    for text in (f"{day:%d.%m.%Y}", f"{day.day}.{day.month}.{day.year}", day.isoformat(),
                 f"{day:%d/%m/%Y} г.", f"  {day:%d.%m.%Y} ", f"{day:%d-%m-%Y}"):
        assert rules.parse_day(text, TODAY) == day, text
    assert rules.parse_day(day, TODAY) == day


@given(st.dates(min_value=date(1927, 1, 1), max_value=TODAY))
def test_two_digit_years_are_the_latest_not_in_the_future(day):
    """«1.9.15» is 2015 and «3.4.78» is 1978: within a hundred years before today."""
    assert rules.parse_day(f"{day.day}.{day.month}.{day.year % 100:02d}", TODAY) == day


@pytest.mark.parametrize("text", ["31.02.2015", "2015", "завтра", "01.13.2015", "1.9", "0.0.0",
                                  "01.09.1815", "99999999"])
def test_impossible_dates_are_refused_in_russian(text):
    with pytest.raises(rules.CellError) as exc:
        rules.parse_day(text, TODAY)
    assert any(word in exc.value.message for word in ("дата", "даты"))


def test_birth_date_in_the_future_is_refused():
    with pytest.raises(rules.CellError, match="будущем"):
        rules.parse_birth_date("01.01.2030", TODAY)


@given(st.integers(min_value=1_001_999, max_value=999_999_999), st.integers(0, 10), st.integers(1, 9))
@example(11390426, 8, 1)  # the sum goes from 100 to 101: both check digits are «00»
def test_snils_checksum_accepts_valid_and_refuses_a_changed_digit(number, position, delta):
    """R-X-1: a bad SNILS checksum is a line error."""
    digits = f"{number:09d}"
    good = digits + snils_check_digits(digits)
    assert rules.parse_snils(f"{good[:3]}-{good[3:6]}-{good[6:9]} {good[9:]}") == \
        f"{good[:3]}-{good[3:6]}-{good[6:9]} {good[9:]}"
    assert rules.parse_snils(good) == rules.parse_snils(f" {good} ")
    changed = good[:position] + str((int(good[position]) + delta) % 10) + good[position + 1:]
    # sums of 100 and 101 both give «00», so a changed digit can keep a valid number (11390426)
    if int(changed[:9]) >= 1_001_999 and snils_check_digits(changed[:9]) != changed[9:]:
        with pytest.raises(rules.CellError, match="контрольное число"):
            rules.parse_snils(changed)


@pytest.mark.parametrize("text", ["7б", "7 Б", "7-Б", "7«Б»", " 7б ", "07Б"])
def test_classes_as_schools_write_them(text):
    assert rules.class_name(text) == "7Б"
    assert rules.class_name("7B") == "7В"  # Latin look-alike letters typed on the wrong layout


@pytest.mark.parametrize("text", ["12А", "0Б", "А7", "седьмой"])
def test_not_a_class(text):
    with pytest.raises(rules.CellError):
        rules.class_name(text)


def test_full_name_split_in_three_and_stray_spaces():
    assert rules.split_full_name("  Иванов   Иван  Иванович ") == ("Иванов", "Иван", "Иванович")
    assert rules.split_full_name("Алиев Руслан Тимур оглы") == ("Алиев", "Руслан", "Тимур оглы")
    assert rules.split_full_name("Иванов Иван") == ("Иванов", "Иван", "")
    with pytest.raises(rules.CellError):
        rules.split_full_name("Иванов")


def test_yo_and_ye_are_one_person():
    assert rules.person_key("Семёнов", "Пётр", "", None) == rules.person_key("СЕМЕНОВ", "петр", "", None)


def test_column_synonyms_and_header_under_title_rows():
    rows = [["Список обучающихся МБОУ СОШ"], [None], ["на 01.09.2026"],
            ["№", "Фамилия ученика", "Имя", "Отчество", "Д.р.", "Класс", "Снилс "]]
    assert find_header("students", rows) == 3
    plan = plan_columns("students", rows[3])
    assert plan.fields == [None, "last_name", "first_name", "middle_name", "birth_date",
                           "class_name", "snils"]
    assert plan.missing("students") == []
    assert plan_columns("students", ["ФИО", "Дата рождения", "Литера", "Параллель"]).missing("students") == []


def test_unsure_columns_are_asked_and_missing_ones_named():
    plan = plan_columns("students", ["ФИО", "Дата рождениия", "Класс"])
    assert plan.fields[1] is None and plan.guesses == {1: "birth_date"} and plan.unsure == [1]
    assert "«Дата рождения»" in plan.missing("students")[0]
    assert plan_columns("students", ["ФИО", "Дата рождениия", "Класс"],
                        {1: "birth_date"}).missing("students") == []


def _students(*lines, found=None):
    rows = [["Список учеников"], ["ФИО", "Дата рождения", "Класс", "СНИЛС"], *lines]
    found = found or Lookups(today=TODAY, year=YEAR, classes={"5А": 1})
    return build_preview("students", Table(rows, list(range(1, len(rows) + 1)), "csv"), found)


def test_preview_names_line_number_and_value():
    preview = _students(["Иванов Иван", "31.02.2015", "5А", ""],
                        ["Петров Пётр", "01.03.2015", "9Я", ""],
                        ["Сидоров Олег", "01.03.2015", "5А", "112-233-445 96"],
                        ["Кузнецов Ян", "", "5А", ""])
    assert not preview.clean
    assert preview.errors == [
        "Строка 3: «Дата рождения» = «31.02.2015» — такой даты нет в календаре",
        "Строка 4: класса «9Я» нет в текущем учебном году",
        "Строка 5: «СНИЛС» = «112-233-445 96» — СНИЛС: не сходится контрольное число — проверьте цифры",
        "Строка 6: не заполнено «Дата рождения»",
    ]


def test_duplicates_within_the_file_and_in_the_database():
    found = Lookups(today=TODAY, year=YEAR, classes={"5А": 1}, snils={"112-233-445 95": 9},
                    people={rules.person_key("Орлова", "Анна", "", date(2015, 1, 2)): 8})
    preview = _students(["Иванов Иван", "01.03.2015", "5А", ""],
                        ["ИВАНОВ  иван", "1.3.15", "5 а", ""],
                        ["Петров Пётр", "01.03.2015", "5А", "112-233-445 95"],
                        ["Орлёва Анна", "02.01.2015", "5А", ""],
                        ["Орлова Анна", "02.01.2015", "5А", ""], found=found)
    assert preview.errors == [
        "Строка 4: ИВАНОВ иван, 01.03.2015 — повторяет строку 3",
        "Строка 5: СНИЛС 112-233-445 95 (Петров Пётр, 01.03.2015) уже есть в базе",
        "Строка 7: Орлова Анна, 02.01.2015 — уже есть в базе",
    ]
    assert len(preview.items) == 2


def test_a_clean_file_with_stray_spaces_and_yo():
    preview = _students(["  Семёнов   Пётр  Ильич ", " 1.9.15 ", "5а", "  "])
    assert preview.clean
    assert preview.items[0]["last_name"] == "Семёнов" and preview.items[0]["middle_name"] == "Ильич"
    assert preview.items[0]["birth_date"] == date(2015, 9, 1) and preview.items[0]["class_id"] == 1


def test_no_header_row_is_a_clear_answer():
    table = Table([["Просто текст"], ["ещё текст"]], [1, 2], "csv")
    preview = build_preview("subjects", table, Lookups(today=TODAY))
    assert not preview.clean and "не найдена строка заголовков" in preview.errors[0]
