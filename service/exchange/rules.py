"""Pure rules for imported cells: dates as schools type them, names (ФИО split in three),
class names, hours, SNILS. No I/O: tested without a database (tests/exchange/test_rules.py).

Each ``parse_*`` returns a clean value or raises ``CellError`` with a Russian message; the
importer adds the line number and the value."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from service.people.rules import PARENT_KINDS, fold, format_snils, snils_problem

DAY_MIN, DAY_MAX = date(1900, 1, 1), date(2199, 12, 31)
CELL_MAX = 300  # longer than any name, post or subject: a cell this long is a wrong column
NAME_MAX = 100
# Latin letters that look like Cyrillic ones: «7A» typed on an English layout is «7А».
_LOOKALIKE = str.maketrans("ABCEHKMOPTXaceopx", "АВСЕНКМОРТХасеорх")
_SPACES = re.compile(r"\s+")
_DATE = re.compile(r"^(\d{1,2})[./\-\s](\d{1,2})[./\-\s](\d{2}|\d{4})(?:\s*г\.?)?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_CLASS = re.compile(r"^(\d{1,2})\s*[-\s«\"]?\s*([А-ЯЁ]{0,2})[»\"]?$")
_INT = re.compile(r"^\d{1,3}(?:[.,]0+)?$")


class CellError(ValueError):
    """A cell that cannot be read; ``message`` is Russian and names what was expected."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def clean_text(value: object) -> str:
    """A cell as one line of text: stray spaces (also non-breaking ones) collapsed, numbers that
    a spreadsheet stored as floats written without «.0»."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    text = unicodedata.normalize("NFC", str(value))
    return _SPACES.sub(" ", text).strip()


def parse_day(value: object, today: date) -> date:
    """A date typed as text («01.09.2015», «1.9.15», «2015-09-01», «01/09/2015 г.») or stored as
    a date cell. A two-digit year is the latest year ending in those digits not after
    ``today``'s: «1.9.15» is 2015, «3.4.78» is 1978."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        day = value
    else:
        text = clean_text(value)
        if match := _DATE.match(text):
            d, m, y = (int(g) for g in match.groups())
            if len(match.group(3)) == 2:
                y += 2000 if 2000 + y <= today.year else 1900
        elif match := _ISO.match(text):
            y, m, d = (int(g) for g in match.groups())
        else:
            raise CellError("дата должна быть записана как ДД.ММ.ГГГГ, например 01.09.2015")
        try:
            day = date(y, m, d)
        except ValueError:
            raise CellError("такой даты нет в календаре") from None
    if not DAY_MIN <= day <= DAY_MAX:
        raise CellError("дата вне разумных пределов (1900–2199)")
    return day


def parse_birth_date(value: object, today: date) -> date:
    day = parse_day(value, today)
    if day > today:
        raise CellError("дата рождения в будущем")
    return day


def split_full_name(text: str) -> tuple[str, str, str]:
    """«Фамилия Имя Отчество» in one cell → three parts. More than three words: the rest is the
    patronymic («Алиев Руслан Тимур оглы»). One word is not enough."""
    words = clean_text(text).split(" ")
    if len(words) < 2 or not words[0]:
        raise CellError("в ФИО нужны хотя бы фамилия и имя")
    return words[0], words[1], " ".join(words[2:])


def check_name(text: str, what: str) -> str:
    text = clean_text(text)
    if len(text) > NAME_MAX:
        raise CellError(f"{what}: не длиннее {NAME_MAX} символов")
    if not re.fullmatch(r"[A-Za-zА-Яа-яЁё\-' .()]*", text):
        raise CellError(f"{what}: только буквы, дефис и пробел")
    return text


def class_name(value: object) -> str:
    """A class as schools write it («7б», «7 Б», «7-Б», «7«Б»», «7B») → «7Б»."""
    text = clean_text(value).upper().translate(_LOOKALIKE).replace("Ё", "Е")
    match = _CLASS.match(text)
    if not match or not 1 <= int(match.group(1)) <= 11:
        raise CellError("класс — номер от 1 до 11 и буква, например 7Б")
    return f"{int(match.group(1))}{match.group(2)}"


def parse_hours(value: object) -> int:
    text = clean_text(value)
    if not _INT.match(text) or not 1 <= int(re.split(r"[.,]", text)[0]) <= 40:
        raise CellError("часов в неделю — целое число от 1 до 40")
    return int(re.split(r"[.,]", text)[0])


def parse_week_days(value: object) -> int:
    text = clean_text(value).split(" ")[0]
    if text not in ("5", "6"):
        raise CellError("учебная неделя — 5 или 6 дней")
    return int(text)


def parse_snils(value: object) -> str:
    text = clean_text(value)
    if problem := snils_problem(text):
        raise CellError(problem)
    return format_snils(text)


def parse_sex(value: object) -> str:
    text = fold(clean_text(value))
    if text in ("", "-"):
        return ""
    if text in ("м", "муж", "муж.", "мужской", "m"):
        return "м"
    if text in ("ж", "жен", "жен.", "женский", "f"):
        return "ж"
    raise CellError("пол — «м» или «ж»")


_KIND_WORDS = {"мама": "мать", "папа": "отец", "опекунша": "опекун", "попечительница": "попечитель"}


def parse_parent_kind(value: object) -> str:
    text = fold(clean_text(value))
    text = _KIND_WORDS.get(text, text)
    if not text:
        return ""
    if text not in PARENT_KINDS:
        raise CellError("кем приходится — мать, отец, опекун, попечитель или другое")
    return text


def parse_phone(value: object) -> str:
    text = clean_text(value)
    if len(text) > 40 or not re.fullmatch(r"[0-9+()\-\s.,доб]*", text):
        raise CellError("телефон — цифры, «+», скобки и дефисы, не длиннее 40 символов")
    return text


def parse_email(value: object) -> str:
    text = clean_text(value)
    if text and (len(text) > 200 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text)):
        raise CellError("адрес почты вида name@example.ru")
    return text


def person_key(last: str, first: str, middle: str, birth_date: date | None) -> tuple:
    """Who counts as the same person when there is no SNILS: the full name (case and ё/е
    folded) and the birth date."""
    return (fold(last), fold(first), fold(middle), birth_date)


def name_key(text: str) -> str:
    """A subject's, post's or person's name as compared: folded, ё = е."""
    return fold(text)
