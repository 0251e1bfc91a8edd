"""Pure rules of people's records (R-ORG-1, R-SEC-2): the SNILS checksum, names folded for
search (case and ё/е), who signs a consent, when a consent or a health line is in force."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from service.people import rules

nine_digits = st.integers(min_value=0, max_value=999_999_999).map(lambda n: f"{n:09d}")


def test_known_snils_numbers():
    assert rules.snils_problem("112-233-445 95") is None
    assert rules.snils_problem("11223344595") is None
    assert "контрольное число" in rules.snils_problem("112-233-445 96")
    assert rules.snils_problem("") is None  # not on file yet
    assert "11 цифр" in rules.snils_problem("112-233-445")
    assert "11 цифр" in rules.snils_problem("１１２-233-445 95")  # full-width digits
    assert rules.format_snils("11223344595") == "112-233-445 95"


@given(nine_digits)
def test_a_number_with_its_own_check_digits_is_accepted_and_formatted(number):
    snils = number + rules.snils_check_digits(number)
    assert rules.snils_problem(snils) is None
    formatted = rules.format_snils(snils)
    assert len(formatted) == 14 and rules.snils_problem(formatted) is None
    assert formatted.replace("-", "").replace(" ", "") == snils


@given(nine_digits, st.integers(min_value=1, max_value=99))
def test_wrong_check_digits_are_refused(number, shift):
    if int(number) < 1_001_999:  # the oldest numbers carry no checksum
        return
    right = int(rules.snils_check_digits(number))
    wrong = f"{(right + shift) % 100:02d}"
    assert rules.snils_problem(number + wrong) is not None


@given(nine_digits, st.integers(min_value=0, max_value=8), st.integers(min_value=1, max_value=9))
def test_one_mistyped_digit_is_caught(number, position, delta):
    if int(number) < 1_001_999:
        return
    snils = number + rules.snils_check_digits(number)
    typo = str((int(number[position]) + delta) % 10)
    mistyped = number[:position] + typo + number[position + 1:]
    if int(mistyped) < 1_001_999:
        return
    assert rules.snils_problem(mistyped + snils[9:]) is not None


def test_check_digits_fold_100_and_101_to_00():
    seen = {}  # the first numbers (with a checksum) whose weighted sums are exactly 100 and 101
    for n in range(1_001_999, 1_200_000):
        number = f"{n:09d}"
        total = sum(int(d) * w for d, w in zip(number, range(9, 0, -1), strict=True))
        if total in (100, 101) and total not in seen:
            seen[total] = number
        if len(seen) == 2:
            break
    assert len(seen) == 2
    for number in seen.values():
        assert rules.snils_check_digits(number) == "00"


def test_fold_ignores_case_and_yo():
    assert rules.fold("  Артём   ФЁДОРОВ ") == "артем федоров"
    assert rules.name_matches("артем", "Морозов Артём Дмитриевич")
    assert rules.name_matches("АРТЁМ мороз", "Морозов Артём Дмитриевич")
    assert rules.name_matches("федор", "Фёдоров Илья")
    assert not rules.name_matches("морозова", "Морозов Артём")
    assert not rules.name_matches("   ", "Морозов Артём")
    assert not rules.name_matches("%", "Морозов Артём")  # no wildcards: a search is literal


@given(st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ ", min_size=1))
def test_a_name_is_found_by_any_casing_of_itself(name):
    if not name.strip():
        return
    assert rules.name_matches(name.upper(), name)
    assert rules.name_matches(name.lower().replace("ё", "е"), name)
    assert rules.fold(rules.fold(name)) == rules.fold(name)


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2030, 12, 31)),
       st.integers(min_value=0, max_value=40 * 366))
def test_age_grows_by_one_on_each_birthday(birth, days):
    day = birth + timedelta(days=days)
    age = rules.age_on(birth, day)
    assert 0 <= age <= 41
    assert rules.is_minor(birth, False, day) == (age < 18)


def test_who_signs_a_consent():
    assert rules.consent_signer_problem(minor=True, signer_is_self=True, signer_is_representative=False)
    assert rules.consent_signer_problem(True, False, True) is None
    assert rules.consent_signer_problem(False, True, False) is None
    assert rules.consent_signer_problem(False, False, False)
    # no birth date on file: a pupil with parents is taken for a minor
    assert rules.is_minor(None, True, date(2026, 9, 1))
    assert not rules.is_minor(None, False, date(2026, 9, 1))


def test_consent_ends_on_the_day_of_withdrawal():
    given_on, withdrawn = date(2026, 9, 1), date(2026, 10, 1)
    assert not rules.consent_in_force(given_on, None, date(2026, 8, 31))
    assert rules.consent_in_force(given_on, withdrawn, date(2026, 9, 30))
    assert not rules.consent_in_force(given_on, withdrawn, withdrawn)
    assert rules.in_force_on(given_on, withdrawn, withdrawn)  # a health line: ends inclusive
