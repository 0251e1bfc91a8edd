"""Pure rules about people's records: the SNILS checksum, names folded for search, the kinds
of family links, health and PE groups, who may sign a consent. No I/O: tested without a
database (tests/people/test_rules.py)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# «вид связи» of a parent link, as the school writes it
PARENT_KINDS = ("мать", "отец", "опекун", "попечитель", "другое")
# «группа здоровья» I–V and «физкультурная группа» (медицинская группа для занятий физкультурой)
HEALTH_GROUPS = ("I", "II", "III", "IV", "V")
PE_GROUPS = ("основная", "подготовительная", "специальная А", "специальная Б", "освобождён")
SEXES = ("м", "ж")
ADULT_AGE = 18
# Subjects whose teachers see the PE group of their pupils: «Физическая культура» and its
# spellings («физкультура» is written «Физическая культура» in every curriculum we saw).
PE_SUBJECT_PREFIXES = ("Физическ", "физическ", "ФИЗИЧЕСК")

_SNILS_DIGITS = re.compile(r"[0-9]{11}")
# Numbers up to 001-001-998 were issued before the checksum existed: they carry none.
_SNILS_UNCHECKED_BELOW = 1_001_999


def snils_check_digits(number: str) -> str:
    """The two check digits of the nine-digit SNILS number «XXX-XXX-XXX» (ПФР rule: digits
    weighted 9…1; a sum below 100 is the check, 100 and 101 give 00, above that modulo 101,
    where 100 again gives 00)."""
    total = sum(int(d) * w for d, w in zip(number, range(9, 0, -1), strict=True))
    if total > 101:
        total %= 101
    return f"{0 if total in (100, 101) else total:02d}"


def snils_problem(text: str) -> str | None:
    """A Russian message if ``text`` is not a valid SNILS; None when it is (or is empty)."""
    digits = re.sub(r"[\s-]", "", text or "")
    if not digits:
        return None
    if not _SNILS_DIGITS.fullmatch(digits) or not digits.isascii():
        return "СНИЛС: 11 цифр, например 112-233-445 95"
    if int(digits[:9]) >= _SNILS_UNCHECKED_BELOW and snils_check_digits(digits[:9]) != digits[9:]:
        return "СНИЛС: не сходится контрольное число — проверьте цифры"
    return None


def format_snils(text: str) -> str:
    """SNILS as stored and printed: «123-456-789 01» (empty stays empty). Call after
    :func:`snils_problem` found nothing."""
    d = re.sub(r"[\s-]", "", text or "")
    return f"{d[0:3]}-{d[3:6]}-{d[6:9]} {d[9:11]}" if d else ""


def fold(text: str) -> str:
    """A name as search compares it: case-insensitive, ё = е, й kept, spaces collapsed.
    SQLite's LIKE and lower() fold only ASCII (and PostgreSQL's lower() depends on the
    database's locale), so names are folded here, in Python, the same on both engines."""
    text = unicodedata.normalize("NFC", text or "").casefold()
    text = text.replace("ё", "е")
    return " ".join(text.split())


def name_matches(query: str, name: str) -> bool:
    """Every word of the query is part of the name: «мороз арт» finds «Морозов Артём»."""
    words = fold(query).split()
    folded = fold(name)
    return bool(words) and all(w in folded for w in words)


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def is_minor(birth_date: date | None, has_parents: bool, day: date) -> bool:
    """A minor's consent is signed by a parent or legal representative (152-ФЗ, ст. 9). With
    no birth date on file, a pupil with parents on file counts as a minor: the safe guess."""
    if birth_date is None:
        return has_parents
    return age_on(birth_date, day) < ADULT_AGE


def consent_signer_problem(minor: bool, signer_is_self: bool, signer_is_representative: bool) -> str | None:
    """Who may sign a consent: a minor's — a linked legal representative; an adult's — the
    person themself (or their linked legal representative, e.g. a guardian)."""
    if minor and not signer_is_representative:
        return ("Согласие за несовершеннолетнего подписывает родитель или законный представитель, "
                "записанный в его карточке")
    if not minor and not (signer_is_self or signer_is_representative):
        return "Согласие подписывает сам человек или его законный представитель"
    return None


def in_force_on(starts: date, ends: date | None, day: date) -> bool:
    """A dated record (a health sheet line) is in force on ``day``; ``ends`` inclusive."""
    return starts <= day and (ends is None or ends >= day)


def consent_in_force(given_on: date, withdrawn_on: date | None, day: date) -> bool:
    """Consent holds from the day it is given until the day it is withdrawn (that day itself
    is already without consent)."""
    return given_on <= day and (withdrawn_on is None or withdrawn_on > day)
