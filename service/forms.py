"""The edge between the browser and the actions: every query or form value becomes a typed value
or a Russian message naming its field. Routes call these instead of parsing inline, so no raw
input reaches an action or the database unchecked (no 500 for ``page=1e20``, a NUL byte, a
far date or a superscript digit).

A form is a dict of field name → field; ``parse(form, data)`` returns the clean values or raises
``FormErrors`` with one message per bad field (all of them at once, so a user fixes a form in
one go). Each text field has a maximum length: the limits are written down in
docs/architecture.md («Input limits»).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from service.errors import Refused
from service.text import count

# Limits shared by every domain (docs/architecture.md, «Input limits»).
NAME_MAX = 100        # a surname, a first name, a class name
SHORT_MAX = 200       # a search string, a title, a login typed into a search
REASON_MAX = 1000     # why a change was made (goes into the audit log)
TEXT_MAX = 5000       # a comment, a topic, homework text
PASSWORD_MAX = 256    # longer is refused before any hashing
CODE_MAX = 64         # a one-time code as typed (with spaces and dashes)
LOGIN_MAX = 64        # a login (the account.login column)
CODE_NAME_MAX = 64    # a role or right code posted by a checkbox
ID_MAX = 2**31 - 1    # ids are 32-bit in the database
PAGE_MAX = 100_000    # a page number beyond any real list
DAY_MIN, DAY_MAX = date(1900, 1, 1), date(2199, 12, 31)

_ASCII_INT = re.compile(r"^[+-]?[0-9]{1,18}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FormErrors(Refused):
    """One or more fields are bad; ``errors`` maps each field to its Russian message."""

    def __init__(self, errors: dict[str, str]):
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = errors


def _one(data: Any, name: str) -> Any:
    if data is None:
        return None
    value = data.get(name) if hasattr(data, "get") else None
    return value


def _many(data: Any, name: str) -> list:
    if data is None:
        return []
    if hasattr(data, "getall"):
        try:
            return list(data.getall(name))
        except KeyError:
            return []
    value = data.get(name) if isinstance(data, Mapping) else None
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


@dataclass(frozen=True)
class Text:
    """Free text: trimmed, control characters refused, at most ``max_len`` characters."""

    label: str
    max_len: int = SHORT_MAX
    required: bool = False
    multiline: bool = False
    strip: bool = True

    def clean(self, raw: Any) -> str:
        if raw is None:
            raw = ""
        if not isinstance(raw, str):
            raise ValueError(f"{self.label}: ожидается текст")
        text = raw.replace("\r\n", "\n") if self.multiline else raw
        if self.strip:
            text = text.strip()
        bad = _CONTROL.search(text) or (not self.multiline and ("\n" in text or "\r" in text))
        if bad:
            raise ValueError(f"{self.label}: недопустимый символ (перевод строки или служебный знак)")
        if len(text) > self.max_len:
            raise ValueError(f"{self.label}: не длиннее {count(self.max_len, 'символа', 'символов', 'символов')}"
                             f" (сейчас {len(text)})")
        if self.required and not text:
            raise ValueError(f"{self.label}: заполните поле")
        return text


@dataclass(frozen=True)
class Secret(Text):
    """A password as typed: never trimmed (spaces count), at most ``PASSWORD_MAX``."""

    max_len: int = PASSWORD_MAX
    strip: bool = False


@dataclass(frozen=True)
class Int:
    """A whole number written with ASCII digits, within [min, max]; empty gives ``default``."""

    label: str
    min: int = 0
    max: int = ID_MAX
    default: int | None = None

    def clean(self, raw: Any) -> int | None:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return self.default
        if not isinstance(raw, str) or not _ASCII_INT.match(raw.strip()):
            raise ValueError(f"{self.label}: ожидается целое число")
        value = int(raw.strip())
        if not self.min <= value <= self.max:
            raise ValueError(f"{self.label}: число от {self.min} до {self.max}")
        return value


@dataclass(frozen=True)
class Page(Int):
    """A page number of a list: nonsense falls back to the first page instead of an error."""

    label: str = "Страница"
    min: int = 1
    max: int = PAGE_MAX
    default: int | None = 1

    def clean(self, raw: Any) -> int | None:
        try:
            return super().clean(raw)
        except ValueError:
            return 1


@dataclass(frozen=True)
class Day:
    """A date as ГГГГ-ММ-ДД (what <input type=date> sends), within [min, max]."""

    label: str
    min: date = DAY_MIN
    max: date = DAY_MAX
    required: bool = False

    def clean(self, raw: Any) -> date | None:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if self.required:
                raise ValueError(f"{self.label}: укажите дату")
            return None
        text = raw.strip() if isinstance(raw, str) else ""
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError(f"{self.label}: дата в виде ГГГГ-ММ-ДД")
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{self.label}: такой даты нет (ожидается ГГГГ-ММ-ДД)") from None
        if not self.min <= value <= self.max:
            raise ValueError(f"{self.label}: дата с {self.min:%d.%m.%Y} по {self.max:%d.%m.%Y}")
        return value


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of codes; case-sensitive (codes come from our own pages)."""

    label: str
    options: tuple[str, ...]
    default: str | None = None

    def clean(self, raw: Any) -> str | None:
        if raw is None or raw == "":
            if self.default is None:
                raise ValueError(f"{self.label}: выберите значение из списка")
            return self.default
        if raw not in self.options:
            raise ValueError(f"{self.label}: выберите значение из списка")
        return raw


@dataclass(frozen=True)
class Flag:
    """A checkbox: present with "1"/"on"/"true" → True."""

    label: str

    def clean(self, raw: Any) -> bool:
        return isinstance(raw, str) and raw.strip().lower() in ("1", "on", "true", "yes", "да")


@dataclass(frozen=True)
class Many:
    """A repeated field (checkboxes): each value cleaned by ``item``; at most ``max_items``."""

    item: Any
    max_items: int = 10_000

    @property
    def label(self) -> str:
        return self.item.label

    def clean_all(self, raws: list) -> list:
        if len(raws) > self.max_items:
            raise ValueError(f"{self.label}: слишком много значений (не больше {self.max_items})")
        values = [self.item.clean(r) for r in raws]
        return [v for v in values if v is not None]


def parse(form: Mapping[str, Any], data: Any) -> dict[str, Any]:
    """Clean every field of ``form`` from ``data`` (a form, query params or a dict); raise
    ``FormErrors`` naming each bad field. Fields not in ``form`` are ignored."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, field in form.items():
        try:
            if isinstance(field, Many):
                values[name] = field.clean_all(_many(data, name))
            else:
                values[name] = field.clean(_one(data, name))
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise FormErrors(errors)
    return values


def parse_filters(form: Mapping[str, Any], data: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """For search and filter forms: the clean values and the messages; a bad field is left out
    (None) and named in the messages instead of refusing the whole page."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, field in form.items():
        try:
            values[name] = parse({name: field}, data)[name]
        except FormErrors as exc:
            values[name] = None
            problems.update(exc.errors)
    return values, problems


def errors(exc: Refused) -> dict[str, str]:
    """Field → message for re-rendering a form: every field of ``FormErrors``, or the one
    field (``__all__`` for the form as a whole) of any other refusal."""
    if isinstance(exc, FormErrors):
        return dict(exc.errors)
    return {exc.field or "__all__": exc.message}


def value(field: Any, raw: Any, name: str = "") -> Any:
    """One value through one field (for a path or a single query parameter)."""
    return parse({name or "value": field}, {name or "value": raw})[name or "value"]
